/// An HTTP proxy that tunnels with `CONNECT` (RFC 9110 §9.3.6): the client connects to it and
/// asks for a tunnel to the WebSocket server; TLS and the upgrade then run through the tunnel.
public struct HTTPProxy: Sendable, Hashable {
    /// The proxy's host.
    public var host: String
    /// The proxy's port.
    public var port: Int
    /// `user:password` for `Proxy-Authorization: Basic`, when the proxy asks for it.
    public var credentials: String?

    /// A proxy at `host`:`port`.
    public init(host: String, port: Int, credentials: String? = nil) {
        self.host = host
        self.port = port
        self.credentials = credentials
    }

    /// A proxy from a URL as `http_proxy` holds it: `http://[user:password@]host[:port]`
    /// (port 80 by default; a bare `host:port` is taken as http).
    public init?(url: String) {
        // By Unicode scalars, as WebSocketURL: a delimiter with a combining mark after it is
        // still the delimiter.
        var rest = Substring(url).unicodeScalars
        if let scheme = WebSocketURL.firstRange(of: "://", in: rest) {
            guard String(Substring(rest[..<scheme.lowerBound])).lowercased() == "http" else { return nil }
            rest = rest[scheme.upperBound...]
        }
        rest = rest.prefix { $0 != "/" }
        var credentials: String?
        if let at = rest.lastIndex(of: "@") {
            credentials = String(Substring(rest[..<at]))
            rest = rest[rest.index(after: at)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty, parts.count <= 2 else { return nil }
        let port = parts.count == 2 ? Int(String(Substring(parts[1]))) : 80
        guard let port, (1...65535).contains(port) else { return nil }
        self.init(host: String(Substring(host)), port: port, credentials: credentials)
    }

    /// The proxy the environment names for `url`: `https_proxy` for `wss`, `http_proxy` for
    /// `ws` (either case), unless `no_proxy` lists the host (`*`, a name, or a domain suffix
    /// such as `.example.com` or `example.com`, with an optional `:port`).
    public static func fromEnvironment(for url: WebSocketURL, environment: [String: String]) -> HTTPProxy? {
        func value(_ name: String) -> String? {
            (environment[name.lowercased()] ?? environment[name.uppercased()]).flatMap { $0.isEmpty ? nil : $0 }
        }
        if let noProxy = value("no_proxy") {
            let host = url.host.lowercased()
            for entry in noProxy.split(separator: ",").map({ $0.trimmingPrefix(" ").lowercased() }) {
                let name = entry.hasPrefix("[") ? String(entry.dropFirst().prefix { $0 != "]" })
                                                 : String(entry.split(separator: ":").first ?? "")
                if name == "*" || name == host { return nil }
                let suffix = name.hasPrefix(".") ? name : "." + name
                if !name.isEmpty, host.hasSuffix(suffix) { return nil }
            }
        }
        return value(url.secure ? "https_proxy" : "http_proxy").flatMap { HTTPProxy(url: $0) }
    }
}
