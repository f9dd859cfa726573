#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
@_spi(WSInternal) import WSHandshake
@_spi(WSInternal) import WSTLS

/// Time-limited, signed tokens for WebSocket URLs: WebSockets.jl's gatekeeping advice made a tool.
/// A server puts a token in the page it serves (`new WebSocket("wss://…/chat?token=…")`) and
/// checks it in `shouldUpgrade`, before the 101; only pages it served, recently, get in.
///
/// A token is `v1.EXPIRY.SUBJECT.MAC`: the expiry in Unix seconds, the subject (who it was
/// made for, base64url), and an HMAC-SHA256 of the rest under the server's secret (base64url).
/// Checking recomputes the MAC and compares in constant time, then checks the expiry.
///
/// ```swift
/// let gate = GateToken(secret: secretBytes)                        // 32 random bytes, kept on the server
/// let token = gate.make(subject: "user-42", validFor: .seconds(60)) // put it in the page
/// // in shouldUpgrade:
/// guard let subject = gate.subject(ofTokenIn: upgrade.target) else { return .refuse(HTTPResponse(status: .forbidden)) }
/// ```
public struct GateToken: Sendable {
    private let secret: [UInt8]

    /// Tokens signed with `secret`: at least 16 bytes, random, kept on the server.
    public init(secret: [UInt8]) {
        precondition(secret.count >= 16, "a GateToken secret needs at least 16 random bytes")
        self.secret = secret
    }

    /// A token for `subject`, valid for `validFor` from `now` (Unix seconds; the current time
    /// by default). An expiry past the largest time there is stays at it: a token for ever.
    public func make(subject: String, validFor: Duration, now: Int = GateToken.unixTime()) -> String {
        let (sum, overflow) = now.addingReportingOverflow(Int(validFor.components.seconds))
        let expiry = overflow ? (validFor > .zero ? Int.max : Int.min) : sum
        let body = "v1.\(expiry).\(Base64URL.encode(Array(subject.utf8)))"
        return body + "." + Base64URL.encode(HMACSHA256.authenticationCode(key: secret, message: Array(body.utf8)))
    }

    /// The subject of `token` when it is this server's, intact and not expired at `now`; nil
    /// otherwise (forged, altered, expired, or not a token).
    public func subject(of token: String, now: Int = GateToken.unixTime()) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "v1", let expiry = Int(parts[1]),
              let mac = Base64URL.decode(parts[3]), let subject = Base64URL.decode(parts[2]) else { return nil }
        let body = parts[0...2].joined(separator: ".")
        let expected = HMACSHA256.authenticationCode(key: secret, message: Array(body.utf8))
        guard mac.count == expected.count else { return nil }
        // Constant time: every byte is compared whatever the first difference.
        let difference = zip(mac, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) }
        guard difference == 0, now < expiry else { return nil }
        return String(validating: subject, as: UTF8.self)
    }

    /// The subject of the token in `target`'s query parameter `name` (`/chat?token=…`), as
    /// ``subject(of:now:)`` checks it.
    public func subject(ofTokenIn target: String, parameter name: String = "token", now: Int = GateToken.unixTime()) -> String? {
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") where pair.hasPrefix("\(name)=") {
            return subject(of: String(pair.dropFirst(name.count + 1)), now: now)
        }
        return nil
    }

    /// The current time in Unix seconds.
    public static func unixTime() -> Int {
        Int(clock_gettime_realtime())
    }
}

private func clock_gettime_realtime() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return now.tv_sec
}

/// Base64 with the URL alphabet and no padding (RFC 4648 §5): safe in a query string. The
/// handshake's `Base64` with two letters swapped and the padding dropped.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        String(Base64.encode(bytes).compactMap { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 == "=" ? nil : $0 })
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        guard !text.contains(where: { $0 == "+" || $0 == "/" || $0 == "=" }) else { return nil }
        let standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        return Base64.decode(standard + String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4))
    }
}
