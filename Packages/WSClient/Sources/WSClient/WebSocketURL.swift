/// A `ws://` or `wss://` URL, taken apart: scheme, host (a name, an IPv4 address, or an IPv6
/// address written in brackets), port (the scheme's default when absent) and target (path and
/// query; `/` when empty). Fragments are not allowed (RFC 6455 §3); nor is user information.
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
        func invalid(_ why: String) -> WebSocketClientError { WebSocketClientError(.invalidURL, "'\(text)' is not a WebSocket URL: \(why)") }
        guard let schemeEnd = text.firstRange(of: "://") else { throw invalid("it has no scheme (ws:// or wss://)") }
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "ws": secure = false
        case "wss": secure = true
        case let other: throw invalid("the scheme is \(other), not ws or wss")
        }
        let rest = text[schemeEnd.upperBound...]
        guard !rest.contains("#") else { throw invalid("a WebSocket URL has no fragment (RFC 6455 §3)") }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let target = String(rest[authorityEnd...])
        self.target = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : target)
        guard !authority.contains("@") else { throw invalid("user information in the URL is not supported; send an Authorization header") }
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("an IPv6 address lacks its closing bracket") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw invalid("an IPv6 address must be in brackets, as in ws://[::1]:8080/") }
            host = String(parts[0])
            if parts.count == 2 { portText = parts[1] }
        }
        guard !host.isEmpty else { throw invalid("it has no host") }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw invalid("the port '\(portText)' is not 1 to 65535") }
            self.port = port
        } else {
            port = secure ? 443 : 80
        }
    }

    /// The URL written out again, with the port when it is not the default.
    public var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let portPart = port == (secure ? 443 : 80) ? "" : ":\(port)"
        return "\(secure ? "wss" : "ws")://\(bracketed)\(portPart)\(target)"
    }
}
