import ArgumentParser
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import WSServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `websockets serve`: the demo page at `/`, the files of `--root` beside it, an echo of every
/// message on every WebSocket path on the event-loop fast path, and `/relay` for the page.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the demo page and echo every WebSocket message.",
        discussion: """
            Open http://HOST:PORT/ in two browser windows and drag the shapes: the page talks to /relay, which \
            passes every move to the other pages. Every other WebSocket path echoes each message back, on the \
            event loop, at the library's full speed. Stop with Ctrl-C (SIGINT) or SIGTERM: clients get 1001.
            """)

    @Option(help: "The address to listen on (0.0.0.0 or :: for every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port (0 for a free one; the address is printed).")
    var port = 8080

    @Option(help: "A folder whose files are served beside the page.")
    var root: String?

    @Option(name: .customLong("tls-cert"), help: "A PEM certificate chain: serve https and wss (with --tls-key).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("max-message-size"), help: "The largest message and frame accepted, in bytes.")
    var maxMessageSize = 16 << 20

    @Option(name: .customLong("log-level"), help: "Log levels: info, or info,WSHTTP=debug (default: WS_LOG_LEVEL, else info).")
    var logLevel: LogLevelOption?

    @Flag(name: .customLong("no-deflate"), help: "Refuse permessage-deflate (accepted by default, with 12-bit windows).")
    var noDeflate = false

    @OptionGroup(title: "Limits (the library's defaults)")
    var limits: ServeLimits

    @OptionGroup(title: "Metrics")
    var metrics: ServeMetricsOptions

    func validate() throws {
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxMessageSize >= 125 else { throw ValidationError("--max-message-size must be at least 125 bytes") }
    }

    func run() async throws {
        LogLevelOption.bootstrap(logLevel)
        let logger = Logger(label: "websockets.serve")
        let recording = ServeMetrics.bootstrap(metrics)
        let registry = metrics.port == nil ? recording.registry : nil
        var tls: TLSServerContext?
        if let tlsCertificate, let tlsKey {
            do {
                tls = try TLSServerContext(TLSServerConfiguration(certificateChain: .file(tlsCertificate), privateKey: .file(tlsKey)))
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let files: StaticFiles?
        do { files = try root.map { try StaticFiles(folder: $0) } } catch { throw ValidationError("--root: \(error)") }
        var configuration = WebSocketServer.Configuration()
        configuration.webSocket.maxFrameSize = maxMessageSize
        configuration.webSocket.maxMessageSize = maxMessageSize
        if noDeflate { configuration.webSocket.deflate = nil }
        limits.apply(to: &configuration)
        let relay = WebSocketGroup(name: "relay") // a page that falls behind misses moves; the next one puts it right
        let page = Array(DemoPage.html.utf8)
        let handlers = WebSocketServerHandlers(
            http: { request, _ in
                if request.path == "/" || request.path?.hasPrefix("/?") == true {
                    return (HTTPResponse(status: .ok, headerFields: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"]), page)
                }
                if let registry, request.path == "/metrics" { return ServeMetrics.response(registry) }
                return files?.response(for: request)
                    ?? (HTTPResponse(status: .notFound, headerFields: [.contentType: "text/plain; charset=utf-8"]), Array("not found\n".utf8))
            },
            consumer: .eventLoop({ handshake in ServeHandler(relay: relay, isRelay: Relay.isRelay(handshake.target)) }),
            upgraded: { webSocket in
                guard Relay.isRelay(webSocket.handshake.target) else { return }
                relay.add(webSocket) // it leaves when it closes
                _ = await webSocket.closed()
            })
        let server = WebSocketServer(host: host, port: port, configuration: configuration, tls: tls, logger: logger, handlers: handlers)
        do {
            try await server.start()
        } catch {
            throw ValidationError("cannot listen on \(host):\(port): \(error)")
        }
        var services: [any Service] = [server]
        if let metricsPort = metrics.port, let registry = recording.registry {
            let metricsServer = ServeMetrics.separateServer(host: host, port: metricsPort, registry: registry, logger: logger)
            do {
                try await metricsServer.start()
            } catch {
                await server.shutdown()
                throw ValidationError("cannot listen on \(host):\(metricsPort) for --metrics-port: \(error)")
            }
            services.append(metricsServer)
        }
        let scheme = tls == nil ? "http" : "https"
        let bound = server.localAddress?.port ?? port
        let shownHost = host.contains(":") ? "[\(host)]" : host
        // Written at once (standard output may be a pipe), for scripts that wait for the address.
        let line = Array("listening on \(scheme)://\(shownHost):\(bound)/  (echo on any WebSocket path; Ctrl-C stops)\n".utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if let dashboard = recording.dashboard { services.append(StatsFeed(dashboard: dashboard, relay: relay, server: server)) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Sends the page's charts their numbers: a `stats` message to every page on `/relay`, once a second.
struct StatsFeed: Service {
    let dashboard: DashboardMetrics
    let relay: WebSocketGroup
    let server: WebSocketServer

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            guard relay.count > 0 else { continue }
            relay.broadcast(.text(dashboard.statsMessage(connections: server.connectionCount)))
        }
    }
}

/// The fast path of `serve`: an echo, except on `/relay`, whose moves go to the other pages.
final class ServeHandler: WebSocketEventLoopHandler {
    private let relay: WebSocketGroup
    /// Whether the connection is the page's `/relay`: all the handler keeps of its request.
    private let isRelay: Bool

    init(relay: WebSocketGroup, isRelay: Bool) {
        self.relay = relay
        self.isRelay = isRelay
    }

    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        guard isRelay, !Relay.isPing(message) else {
            webSocket.send(message)
            return
        }
        relay.broadcast(message.message, except: webSocket.id)
    }
}

/// The demo page's relay, `/relay`: which connections it is, and which messages stay with their sender.
enum Relay {
    static func isRelay(_ target: String) -> Bool {
        target == "/relay" || target.hasPrefix("/relay?")
    }

    /// A page's round-trip probe, `{"type":"ping",…}` (spaces allowed): answered to its sender only.
    static func isPing(_ message: WebSocket.LentMessage) -> Bool {
        guard message.kind == .text else { return false }
        let pattern = #"{"type":"ping""#.utf8
        return message.withUnsafeBytes { bytes in
            bytes.lazy.filter { $0 != UInt8(ascii: " ") }.prefix(pattern.count).elementsEqual(pattern)
        }
    }
}
