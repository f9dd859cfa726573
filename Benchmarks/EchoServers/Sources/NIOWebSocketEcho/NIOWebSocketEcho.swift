import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SwiftNIO's NIOWebSocket as an echo server on one event loop thread: the baseline that
/// `Benchmarks/echo-compare.sh` measures the project's server against.
///
/// The pipeline has the shape of swift-nio's `NIOWebSocketServer` example: NIO's HTTP/1 server
/// handlers with an upgrade handler holding a `NIOWebSocketServerUpgrader`, which swaps them for
/// NIO's frame decoder and encoder and a ``WebSocketEchoHandler``. Every request is upgraded,
/// whatever its path; a request without an upgrade gets a 426 from ``HTTPFallbackHandler``.
/// Frames may be up to NIO's default 16 KiB.
///
/// Prints `listening on HOST:PORT` once bound; SIGINT or SIGTERM closes the listener and the
/// event loop, then the process exits with status 0.
@main
enum NIOWebSocketEcho {
    static func main() {
        let options: ServerOptions
        do {
            options = try ServerOptions(arguments: CommandLine.arguments.dropFirst())
        } catch {
            if let message = error.message { writeLine("NIOWebSocketEcho: \(message)", to: 2) }
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

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var status: Int32 = 0
        do {
            let server = try makeBootstrap(group: group).bind(host: options.host, port: options.port).wait()
            writeLine("listening on \(options.host):\(options.port)", to: 1)
            var signal: Int32 = 0
            sigwait(&stopSignals, &signal)
            try server.close().wait()
        } catch {
            writeLine("NIOWebSocketEcho: \(error)", to: 2)
            status = 1
        }
        try? group.syncShutdownGracefully()
        exit(status)
    }

    /// The listener: every accepted connection gets the HTTP upgrade pipeline.
    private static func makeBootstrap(group: MultiThreadedEventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler())
                            }
                        }
                    )
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(
                                    name: HTTPFallbackHandler.name,
                                    promise: nil
                                )
                            }
                        )
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        HTTPFallbackHandler(),
                        name: HTTPFallbackHandler.name
                    )
                }
            }
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }

    /// Writes `line` and a newline to a file descriptor, unbuffered, so that a script reading
    /// a pipe sees it at once.
    private static func writeLine(_ line: String, to descriptor: Int32) {
        var text = line + "\n"
        text.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}
