import Logging
import NIOCore
import NIOPosix
import WSHTTP

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
/// nothing but echoes. Logs warnings and above only.
///
/// Prints `listening on HOST:PORT` once bound; SIGINT or SIGTERM closes the listener and the
/// event loop, then the process exits with status 0.
@main
enum WebSocketsEcho {
    static func main() {
        let options: ServerOptions
        do {
            options = try ServerOptions(arguments: CommandLine.arguments.dropFirst())
        } catch {
            if let message = error.message { writeLine("WebSocketsEcho: \(message)", to: 2) }
            writeLine(ServerOptions.usage, to: error.message == nil ? 1 : 2)
            exit(error.message == nil ? 0 : 2)
        }

        // Block SIGINT and SIGTERM before any thread starts (threads inherit the mask), so that
        // only the main thread takes them, in `sigwait`, and can shut down in order.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        var logger = Logger(label: "WebSocketsEcho")
        logger.logLevel = .warning
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var status: Int32 = 0
        do {
            let bootstrap = makeBootstrap(group: group, options: options, logger: logger)
            let server = try bootstrap.bind(host: options.host, port: options.port).wait()
            writeLine("listening on \(options.host):\(options.port)", to: 1)
            var signal: Int32 = 0
            sigwait(&stopSignals, &signal)
            try server.close().wait()
        } catch {
            writeLine("WebSocketsEcho: \(error)", to: 2)
            status = 1
        }
        try? group.syncShutdownGracefully()
        exit(status)
    }

    /// The listener: every accepted connection gets the library's server pipeline.
    private static func makeBootstrap(group: MultiThreadedEventLoopGroup, options: ServerOptions, logger: Logger) -> ServerBootstrap {
        let framing = WebSocketConnection.Configuration(maxFrameSize: options.maxMessage, maxMessageSize: options.maxMessage)
        let configuration = WebSocket.Configuration(framing: framing, autoPing: .disabled, idleTimeout: nil)
        let handlers = makeHandlers(mode: options.mode)
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(configuration: configuration, logger: logger, handlers: handlers)
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }

    /// Upgrades every request; echoes on the event loop or from a task, as `mode` says.
    private static func makeHandlers(mode: ServerOptions.Mode) -> WebSocketServerHandlers {
        switch mode {
        case .eventLoop:
            // The connection stays open after `upgraded` returns: the handler does the work.
            return WebSocketServerHandlers(consumer: .eventLoop { EchoHandler() }, upgraded: { _ in })
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

    /// Writes `line` and a newline to a file descriptor, unbuffered, so that a script reading
    /// a pipe sees it at once.
    private static func writeLine(_ line: String, to descriptor: Int32) {
        var text = line + "\n"
        text.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}
