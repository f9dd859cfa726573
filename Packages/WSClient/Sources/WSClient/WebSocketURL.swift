/// A `ws://` or `wss://` URL, taken apart: scheme, host (a name, an IPv4 address, or an IPv6
/// address written in brackets), port (the scheme's default when absent) and target (path and
/// query; `/` when empty). Fragments are not allowed (RFC 6455 §3); nor is user information.
///
/// What goes on the wire is checked here, so that no URL can write into the request: a control
/// character anywhere (a line break would start a header of its own) is refused; a host name
/// has only ASCII letters, digits, `-`, `.`, `_` and `~` (an internationalised name in its
/// punycode form, `xn--…`), an IPv6 address only hex digits, `:` and `.`; in the target, a
/// space, a non-ASCII character and the other characters a URI may not hold (`"`, `<`, `>`,
/// `\`, `^`, a backtick, `{`, `|`, `}`) are percent-encoded as UTF-8, as a browser does
/// (`/café x` is sent as `/caf%C3%A9%20x`).
public struct WebSocketURL: Sendable, Hashable, CustomStringConvertible {
    /// `wss` when true, `ws` when false.
    public let secure: Bool
    /// The host, without brackets: `example.com`, `127.0.0.1`, `::1`.
    public let host: String
    /// The port: given, or 443 for `wss` and 80 for `ws`.
    public let port: Int
    /// Path and query, such as `/chat?room=1`.
    public let target: String

    /// Parses `text`.
    /// - Throws: ``WebSocketClientError`` with code `.invalidURL` and what is wrong.
    public init(_ text: String) throws(WebSocketClientError) {
        func invalid(_ why: String) -> WebSocketClientError {
            WebSocketClientError(.invalidURL, "'\(printable(text, limit: 1000))' is not a WebSocket URL: \(why)")
        }
        if let control = text.unicodeScalars.first(where: \.isControl) {
            throw invalid("it contains a control character (U+\(String(control.value, radix: 16, uppercase: true).leftPadded(to: 4))); a URL has none")
        }
        // Taken apart by Unicode scalars, not Characters: a delimiter followed by a combining
        // mark (`#\u{301}`) is one Character, and would otherwise pass as something else.
        let scalars = Substring(text).unicodeScalars
        guard let schemeEnd = Self.firstRange(of: "://", in: scalars) else { throw invalid("it has no scheme (ws:// or wss://)") }
        switch String(Substring(scalars[..<schemeEnd.lowerBound])).lowercased() {
        case "ws": secure = false
        case "wss": secure = true
        case let other: throw invalid("the scheme is \(other), not ws or wss")
        }
        let rest = scalars[schemeEnd.upperBound...]
        guard !rest.contains("#") else { throw invalid("a WebSocket URL has no fragment (RFC 6455 §3)") }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let target = Self.percentEncoded(Substring(rest[authorityEnd...]))
        self.target = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : target)
        guard !authority.contains("@") else { throw invalid("user information in the URL is not supported; send an Authorization header") }
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("an IPv6 address lacks its closing bracket") }
            host = String(Substring(authority[authority.index(after: authority.startIndex)..<close]))
            guard host.utf8.allSatisfy({ Self.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else {
                throw invalid("an IPv6 address in brackets has only hex digits, ':' and '.'")
            }
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw invalid("unexpected text after the IPv6 address") }
                portText = Substring(after.dropFirst())
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw invalid("an IPv6 address must be in brackets, as in ws://[::1]:8080/") }
            host = String(Substring(parts[0]))
            if parts.count == 2 { portText = Substring(parts[1]) }
        }
        guard !host.isEmpty else { throw invalid("it has no host") }
        if !host.contains(":"), let bad = host.unicodeScalars.first(where: { !Self.isHostCharacter($0) }) {
            throw invalid(bad.isASCII ? "the host has a '\(bad)', which a host name cannot hold"
                                      : "the host is not ASCII: write an internationalised name in its punycode form (xn--…)")
        }
        if let portText {
            guard portText.utf8.allSatisfy(Self.isDigit), let port = Int(portText), (1...65535).contains(port) else { throw invalid("the port '\(portText)' is not 1 to 65535") }
            self.port = port
        } else {
            port = secure ? 443 : 80
        }
    }

    /// Where `needle` (ASCII) first occurs in `scalars`.
    static func firstRange(of needle: String, in scalars: Substring.UnicodeScalarView) -> Range<String.Index>? {
        let pattern = Array(needle.unicodeScalars)
        var start = scalars.startIndex
        while start != scalars.endIndex {
            if scalars[start...].starts(with: pattern) {
                return start..<scalars.index(start, offsetBy: pattern.count)
            }
            start = scalars.index(after: start)
        }
        return nil
    }

    /// A letter, digit, `-`, `.`, `_` or `~`: RFC 3986's unreserved characters, which are all a
    /// DNS name or an IPv4 address needs.
    private static func isHostCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        let byte = UInt8(scalar.value)
        return isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || "-._~".utf8.contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    /// The ASCII characters a URI may not hold, besides the controls (refused before).
    private static let notInURI = Array(#" "<>\^`{|}"#.utf8)

    /// `target` with every byte a URI may not hold percent-encoded: non-ASCII (as UTF-8), space,
    /// and `notInURI`. A `%` is kept, so a target already encoded is sent as it is.
    private static func percentEncoded(_ target: Substring) -> String {
        func allowed(_ byte: UInt8) -> Bool { byte < 0x80 && !notInURI.contains(byte) }
        if target.utf8.allSatisfy(allowed) { return String(target) }
        let digits = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(target.utf8.count * 3)
        for byte in target.utf8 {
            if allowed(byte) {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The URL written out again, with the port when it is not the default.
    public var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let portPart = port == (secure ? 443 : 80) ? "" : ":\(port)"
        return "\(secure ? "wss" : "ws")://\(bracketed)\(portPart)\(target)"
    }
}

extension String {
    /// The string with zeros in front, to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(width - count, 0)) + self
    }
}
