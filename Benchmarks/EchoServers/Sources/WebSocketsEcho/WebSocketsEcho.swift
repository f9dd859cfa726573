import CoreMetrics
import Logging
import NIOCore
import Prometheus
import NIOPosix
import WSHTTP
import WSServer
import WSTLS
import EchoServerSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The project's own server as an echo server on one event loop thread, measured by
/// `Benchmarks/echo-compare.sh` against `NIOWebSocketEcho`'s NIOWebSocket on the same terms.
///
/// Each accepted connection gets `WSHTTP`'s server pipeline, which upgrades every request
/// whatever its path (a plain request gets the library's 404). `--mode eventloop` (the default)
/// echoes in an ``EchoHandler`` on the event loop; `--mode async` echoes from a task per
/// connection that reads `webSocket.messages` and awaits each `send`. Messages may be up to the
/// default 1 MiB; there is no keepalive ping and no idle timeout, so that the server sends
/// nothing but echoes. With `--tls-cert FILE --tls-key FILE` it serves `wss` instead of `ws`
/// (WSTLS, in either mode), for `Benchmarks/tls-compare.sh`. Logs warnings and above only.
/// `--metrics prometheus` bootstraps swift-metrics with swift-prometheus, so that the
/// library's instruments record into a real backend (`none`, the default, leaves swift-metrics'
/// no-op backend: nothing is recorded), for `Benchmarks/instructions-per-message.sh`.
///
/// `--server` serves through WSServer's `WebSocketServer` instead of a bare bootstrap: its
/// gatekeeping (accept gate, registry, handshake deadline, connection limit, origin and rate
/// checks, error tap) around the same handlers, on the same one loop, without `websockets
/// serve`'s signal handling, so that valgrind can count what the server layer adds per
/// connection (`Benchmarks/connection-cost.sh`).
///
/// Prints `listening on HOST:PORT` once bound; SIGINT or SIGTERM closes the listener and the
/// event loop, then the process exits with status 0.
@main
enum WebSocketsEcho {
    static func main() {
        let usage = """
            usage: WebSocketsEcho [--host ADDRESS] [--port PORT] [--mode eventloop|async] [--max-message BYTES]
                                  [--tls-cert FILE --tls-key FILE] [--metrics none|prometheus] [--server yes|no]
            """
        let commandLine = EchoCommandLine(name: "WebSocketsEcho", flags: ["--mode", "--max-message", "--tls-cert", "--tls-key", "--metrics", "--server"],
                                          usage: usage)
        // --mode: `eventloop` (the default) echoes in an ``EchoHandler`` on the event loop,
        // `async` from a task per connection.
        guard let mode = Mode(rawValue: commandLine.values["--mode"] ?? "eventloop") else {
            writeLine("WebSocketsEcho: --mode needs eventloop or async", to: 2)
            exit(2)
        }
        // --max-message: the largest frame and message (1009 beyond); the library's 1 MiB by
        // default, the Autobahn suite's cases 9.* need 16 MiB.
        guard let maxMessage = Int(commandLine.values["--max-message"] ?? "\(1 << 20)"), maxMessage > 0 else {
            writeLine("WebSocketsEcho: --max-message needs a positive number of bytes", to: 2)
            exit(2)
        }
        switch commandLine.values["--metrics"] ?? "none" {
        case "none":
            break
        case "prometheus":
            var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
            factory.nameAndLabelSanitizer = { (WebSocketMetrics.prometheusName($0), WebSocketMetrics.prometheusLabels($1)) }
            MetricsSystem.bootstrap(factory)
        default:
            writeLine("WebSocketsEcho: --metrics needs none or prometheus", to: 2)
            exit(2)
        }
        let tls = makeTLSContext(certificate: commandLine.values["--tls-cert"], key: commandLine.values["--tls-key"])
        var logger = Logger(label: "WebSocketsEcho")
        logger.logLevel = .warning
        switch commandLine.values["--server"] ?? "no" {
        case "no":
            break
        case "yes":
            runServer(commandLine: commandLine, mode: mode, maxMessage: maxMessage, tls: tls, logger: logger)
        default:
            writeLine("WebSocketsEcho: --server needs yes or no", to: 2)
            exit(2)
        }
        runUntilStopped(name: "WebSocketsEcho", on: commandLine) { group in
            makeBootstrap(group: group, mode: mode, maxMessage: maxMessage, tls: tls, logger: logger)
        }
    }

    /// The TLS context of `--tls-cert` (the chain, PEM) and `--tls-key` (its key, PEM): nil
    /// for `ws` when neither is given; exits with status 2 when only one is, or when WSTLS
    /// refuses them (the error says why: a missing file, a key that does not match, …).
    private static func makeTLSContext(certificate: String?, key: String?) -> TLSServerContext? {
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case let (certificate?, key?):
            do {
                return try TLSServerContext(TLSServerConfiguration(certificateChain: .file(certificate), privateKey: .file(key)))
            } catch {
                writeLine("WebSocketsEcho: \(error)", to: 2)
                exit(2)
            }
        default:
            writeLine("WebSocketsEcho: --tls-cert and --tls-key go together", to: 2)
            exit(2)
        }
    }

    /// `--server yes`: WSServer's `WebSocketServer` on one loop, until SIGINT or SIGTERM.
    private static func runServer(commandLine: EchoCommandLine, mode: Mode, maxMessage: Int, tls: TLSServerContext?,
                                  logger: Logger) -> Never {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = WebSocketServer.Configuration()
        configuration.webSocket = WebSocket.Configuration(maxFrameSize: maxMessage, maxMessageSize: maxMessage, autoPing: .disabled)
        let server = WebSocketServer(host: commandLine.host, port: commandLine.port, configuration: configuration, tls: tls, group: group,
                                     logger: logger, handlers: makeHandlers(mode: mode))
        do {
            try group.any().makeFutureWithTask { try await server.start() }.wait()
        } catch {
            writeLine("WebSocketsEcho: \(error)", to: 2)
            exit(1)
        }
        writeLine("listening on \(commandLine.host):\(commandLine.port)", to: 1)
        var signal: Int32 = 0
        sigwait(&stopSignals, &signal)
        try? group.any().makeFutureWithTask { await server.shutdown() }.wait()
        try? group.syncShutdownGracefully()
        exit(0)
    }

    /// Who consumes each connection's messages.
    enum Mode: String {
        /// An ``EchoHandler`` whose callback runs on the event loop and sends from there.
        case eventLoop = "eventloop"
        /// A task per connection that reads `webSocket.messages` and awaits each send.
        case async
    }

    /// The listener: every accepted connection gets the library's server pipeline, behind a
    /// ``TLSHandler`` when `tls` is given.
    private static func makeBootstrap(group: MultiThreadedEventLoopGroup, mode: Mode, maxMessage: Int, tls: TLSServerContext?,
                                      logger: Logger) -> ServerBootstrap {
        let configuration = WebSocket.Configuration(maxFrameSize: maxMessage, maxMessageSize: maxMessage, autoPing: .disabled)
        let handlers = makeHandlers(mode: mode)
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(tls: tls.map { WebSocketTLS.openSSL($0) }, configuration: configuration, logger: logger, handlers: handlers)
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }

    /// Upgrades every request; echoes on the event loop or from a task, as `mode` says.
    private static func makeHandlers(mode: Mode) -> WebSocketServerHandlers {
        switch mode {
        case .eventLoop:
            // The connection stays open after `upgraded` returns: the handler does the work.
            return WebSocketServerHandlers(consumer: .eventLoop { _ in EchoHandler() })
        case .async:
            // The library closes the connection (1000) when this returns.
            return WebSocketServerHandlers(consumer: .async) { webSocket in
                for await message in webSocket.messages {
                    do {
                        try await webSocket.send(message)
                    } catch {
                        return
                    }
                }
            }
        }
    }
}
