import NIOCore
@_spi(WSInternal) import WSHandshake
import WSHTTP

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
        var rest = Substring(url)
        if let scheme = rest.firstRange(of: "://") {
            guard rest[..<scheme.lowerBound].lowercased() == "http" else { return nil }
            rest = rest[scheme.upperBound...]
        }
        rest = rest.prefix { $0 != "/" }
        var credentials: String?
        if let at = rest.lastIndex(of: "@") {
            credentials = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty, parts.count <= 2 else { return nil }
        let port = parts.count == 2 ? Int(parts[1]) : 80
        guard let port, (1...65535).contains(port) else { return nil }
        self.init(host: String(host), port: port, credentials: credentials)
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

/// Asks the proxy for a tunnel on a connected channel, then takes itself out of the pipeline.
final class ProxyConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: [UInt8]
    private let promise: EventLoopPromise<Void>
    private var response: [UInt8] = []
    /// The promise is answered: the tunnel is open, or it failed.
    private var finished = false

    init(target: WebSocketURL, proxy: HTTPProxy, promise: EventLoopPromise<Void>) {
        let authority = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        var text = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let credentials = proxy.credentials {
            text += "Proxy-Authorization: Basic \(Base64.encode(Array(credentials.utf8)))\r\n"
        }
        request = Array((text + "\r\n").utf8)
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        response += buffer.readBytes(length: buffer.readableBytes) ?? []
        guard let end = response.firstRange(of: Array("\r\n\r\n".utf8)) else {
            if response.count > 16_384 { fail("the proxy's answer has no end within 16 KiB", context: context) }
            return
        }
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first.map(String.init) ?? head
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        guard let status, (200..<300).contains(status) else {
            fail("the proxy refused the tunnel: \(statusLine)", context: context)
            return
        }
        guard end.upperBound == response.count else {
            fail("the proxy sent bytes after its answer to CONNECT", context: context)
            return
        }
        finished = true
        promise.succeed()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(WebSocketClientError(.proxyFailed, "the proxy closed the connection before opening the tunnel"))
        context.fireChannelInactive()
    }

    /// Removed before the tunnel opened: the channel closed around the moment this handler
    /// was added (its channelInactive had already gone by), so nothing else would answer.
    func handlerRemoved(context: ChannelHandlerContext) {
        finish(WebSocketClientError(.proxyFailed, "the connection to the proxy closed before the tunnel opened"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)", context: context)
    }

    private func fail(_ message: String, context: ChannelHandlerContext) {
        finish(WebSocketClientError(.proxyFailed, message))
        context.close(promise: nil)
    }

    private func finish(_ error: WebSocketClientError) {
        guard !finished else { return }
        finished = true
        promise.fail(error)
    }
}
