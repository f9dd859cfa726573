import ArgumentParser
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import WSServer
import WSRedis
import WSTopics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `websockets serve`: the demo page at `/`, the files of `--root` beside it, an echo of every
/// message on every WebSocket path on the event-loop fast path, `/relay` for the page and
/// `/topics/NAME` for any room: on this node, or on every node of `--redis`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the demo page and echo every WebSocket message.",
        discussion: """
            Open http://HOST:PORT/ in two browser windows and drag the shapes: the page talks to /relay, which \
            passes every move to the other pages. A WebSocket to /topics/NAME joins the room NAME: what it sends \
            goes to the room's other members. With --redis, /relay and the rooms span every server on that Redis. \
            Every other WebSocket path echoes each message back, on the event loop, at the library's full speed. \
            Stop with Ctrl-C (SIGINT) or SIGTERM: clients get 1001.
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

    @Option(name: .customLong("event-loops"), help: ArgumentHelp(
        "Event loop threads, each serving its share of the connections (default: NIO_SINGLETON_GROUP_LOOP_COUNT, else one per CPU this process may run on, so that taskset -c 1 gives one).",
        valueName: "count"))
    var eventLoops: Int?

    @Flag(name: .customLong("no-deflate"), help: "Refuse permessage-deflate (accepted by default, with 12-bit windows).")
    var noDeflate = false

    @OptionGroup(title: "Limits (the library's defaults)")
    var limits: ServeLimits

    @OptionGroup(title: "Metrics")
    var metrics: ServeMetricsOptions

    @OptionGroup(title: "Across servers")
    var topicOptions: ServeTopicsOptions

    func validate() throws {
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxMessageSize >= 125 else { throw ValidationError("--max-message-size must be at least 125 bytes") }
        if let eventLoops, !(1...1024).contains(eventLoops) {
            throw ValidationError("--event-loops must be 1 to 1024, not \(eventLoops)")
        }
    }

    func run() async throws {
        let loops = EventLoopCount.apply(eventLoops) // before anything starts a loop
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
        // A page that falls behind misses moves (the next one puts it right), on any node.
        let (topics, redis) = try await topicOptions.makeTopics(logger: logger)
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
            // Every step on the event loop: no task per connection.
            shouldUpgradeOnLoop: { request in ServeTopics.decision(for: request.target, topics: topics) },
            consumer: .eventLoop({ handshake in ServeHandler(topics: topics, topic: ServeTopics.topic(of: handshake.target)) }),
            upgradedOnLoop: { webSocket in
                guard let topic = ServeTopics.topic(of: webSocket.handshake.target) else { return }
                do throws(TopicError) {
                    try topics.subscribe(webSocket, to: topic) // it leaves when it closes
                } catch {
                    Task(executorPreference: webSocket.taskExecutor) { _ = await webSocket.close(code: .policyViolation, reason: error.message) }
                }
            })
        let server = WebSocketServer(host: host, port: port, configuration: configuration, tls: tls, logger: logger, handlers: handlers)
        do {
            try await server.start()
        } catch {
            await redis?.shutdown()
            throw ValidationError("cannot listen on \(host):\(port): \(error)")
        }
        var services: [any Service] = [server]
        if let redis { services.append(redis) }
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
        let line = Array("listening on \(scheme)://\(shownHost):\(bound)/  (echo on any WebSocket path; \(loops) event loop\(loops == 1 ? "" : "s"); Ctrl-C stops)\n".utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if let dashboard = recording.dashboard { services.append(StatsFeed(dashboard: dashboard, topics: topics, server: server)) }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Sends the page's charts their numbers: a `stats` message to this node's pages on `/relay`,
/// once a second (each node's own figures stay with its own pages).
struct StatsFeed: Service {
    let dashboard: DashboardMetrics
    let topics: WebSocketTopics
    let server: WebSocketServer

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            guard topics.subscriberCount(of: ServeTopics.relay) > 0 else { continue }
            try? topics.publish(.text(dashboard.statsMessage(connections: server.connectionCount)), to: ServeTopics.relay, reach: .thisNode)
        }
    }
}

/// The fast path of `serve`: an echo, except on a topic (`/relay`, `/topics/NAME`), whose
/// messages go to the topic's other subscribers.
final class ServeHandler: WebSocketEventLoopHandler {
    private let topics: WebSocketTopics
    /// The connection's topic, or nil for an echo: all the handler keeps of its request.
    private let topic: String?

    init(topics: WebSocketTopics, topic: String?) {
        self.topics = topics
        self.topic = topic
    }

    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        guard let topic, !(topic == ServeTopics.relay && Relay.isPing(message)) else {
            webSocket.send(message)
            return
        }
        do throws(TopicError) {
            try topics.publish(message, to: topic, except: webSocket.id)
        } catch {
            // The name was checked before the upgrade: what is left is a message over the limit
            // (a reason of its own: a Close's reason is at most 123 bytes, the topic's name 256).
            webSocket.close(code: .messageTooBig, reason: "message of \(message.count) bytes over the topic limit of \(topics.limits.maxMessageBytes)")
        }
    }
}

/// The demo page's relay: which of its messages stay with their sender.
enum Relay {
    /// A page's round-trip probe, `{"type":"ping",…}` (spaces allowed): answered to its sender only.
    static func isPing(_ message: WebSocket.LentMessage) -> Bool {
        guard message.kind == .text else { return false }
        let pattern = #"{"type":"ping""#.utf8
        return message.withUnsafeBytes { bytes in
            bytes.lazy.filter { $0 != UInt8(ascii: " ") }.prefix(pattern.count).elementsEqual(pattern)
        }
    }
}
