/// Where Redis is and how to talk to it, read from a URL:
/// `redis://[[username]:password@]host[:port]` or `rediss://…` for TLS (port 6379 by default).
///
/// A path (`/0`, a database) is accepted and ignored: pub/sub does not depend on the database.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    /// The host name or IP address (IPv6 without its brackets).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// Whether the connection uses TLS (`rediss://`).
    public var tls: Bool
    /// The ACL user for AUTH; nil for the default user.
    public var username: String?
    /// The password for AUTH; nil for none.
    public var password: String?

    /// A URL from its parts.
    public init(host: String, port: Int = 6379, tls: Bool = false, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
    }

    /// Reads `text`.
    ///
    /// - Throws: ``RedisError`` (``RedisError/Kind/invalidURL``) saying what is wrong with it.
    public init(_ text: String) throws(RedisError) {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            throw RedisError(.invalidURL, "\"\(text)\" is not a Redis URL: write redis://HOST:PORT or rediss://HOST:PORT")
        }
        let scheme = text[..<colon]
        let rest = text[text.index(colon, offsetBy: 3)...]
        switch scheme.lowercased() {
        case "redis": tls = false
        case "rediss": tls = true
        default: throw RedisError(.invalidURL, "\"\(text)\": the scheme must be redis or rediss, not \(scheme)")
        }
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        username = nil
        password = nil
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : try Self.decoded(user, in: text)
                password = try Self.decoded(credentials[credentials.index(after: colon)...], in: text)
            } else {
                // redis://secret@host: a password alone, as redis-cli reads it.
                password = try Self.decoded(credentials, in: text)
            }
        }
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw RedisError(.invalidURL, "\"\(text)\": an IPv6 address needs its closing ]")
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw RedisError(.invalidURL, "\"\(text)\": unexpected \(after) after the address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        guard !host.isEmpty else { throw RedisError(.invalidURL, "\"\(text)\" has no host") }
        if let portText {
            guard let port = Int(portText), (1...65_535).contains(port) else {
                throw RedisError(.invalidURL, "\"\(text)\": the port must be a number from 1 to 65535, not \"\(portText)\"")
            }
            self.port = port
        } else {
            port = 6379
        }
    }

    /// `host:port`, as errors and logs name it.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The URL without its password.
    public var description: String {
        let credentials = password == nil ? "" : "\(username ?? ""):***@"
        return "\(tls ? "rediss" : "redis")://\(credentials)\(address)"
    }

    /// Percent-decodes a part of the URL.
    private static func decoded(_ part: Substring, in text: String) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        var iterator = part.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw RedisError(.invalidURL, "\"\(text)\": a % must be followed by two hexadecimal digits")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
