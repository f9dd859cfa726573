import MetricsTestKit
import NIOCore
import NIOPosix
import Testing
import WSConnect

@Suite("WebSocket.connect's metrics: connect time, and failures by stage", .timeLimit(.minutes(1)))
struct ClientMetricsTests {
    @Test("a bad URL, a closed port and a refused upgrade each count at their stage; a connection that opens is timed")
    func stages() async throws {
        let backend = TestMetrics()
        var configuration = WebSocketClientConfiguration()
        configuration.webSocket.metrics = WebSocketMetrics(factory: backend)
        func failures(_ stage: String) throws -> Int64 {
            try backend.expectCounter(WebSocketMetrics.Name.clientConnectFailures, [(WebSocketMetrics.Label.errorType, stage)]).totalValue
        }
        await #expect(throws: WebSocketClientError.self) { _ = try await WebSocket.connect(to: "http://nope", configuration: configuration) }
        #expect(try failures("invalid_url") == 1)

        // A port nobody listens on: bind one, note it, close it.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let closedPort = probe.localAddress?.port ?? 1
        try await probe.close()
        await #expect(throws: WebSocketClientError.self) {
            _ = try await WebSocket.connect(to: "ws://127.0.0.1:\(closedPort)/", configuration: configuration)
        }
        #expect(try failures("connect") == 1)

        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(logger: testLogger, handlers: WebSocketServerHandlers(
                    shouldUpgrade: { upgrade in upgrade.target == "/no" ? .refuse(HTTPResponse(status: .forbidden)) : .accept() },
                    upgraded: { webSocket in for await _ in webSocket.messages {} }))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress?.port ?? 0
        await #expect(throws: WebSocketError.self) { _ = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/no", configuration: configuration) }
        #expect(try failures("upgrade_refused") == 1)

        let webSocket = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/yes", configuration: configuration)
        #expect(try backend.expectTimer(WebSocketMetrics.Name.clientConnectDuration).values.count == 1)
        await webSocket.close()
        try await server.close()
    }
}
