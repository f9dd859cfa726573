import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import EchoServerSupport

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
        let commandLine = EchoCommandLine(name: "NIOWebSocketEcho", usage: "usage: NIOWebSocketEcho [--host ADDRESS] [--port PORT]")
        runUntilStopped(name: "NIOWebSocketEcho", on: commandLine, makeBootstrap: makeBootstrap)
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
}
