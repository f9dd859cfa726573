import MetricsTestKit
import NIOCore
import NIOPosix
import Testing
import WSServer

/// Counter totals of `backend` over every series whose labels include `labels`.
private func total(_ backend: TestMetrics, _ name: String, _ labels: [(String, String)] = []) -> Int64 {
    backend.counters(label: name).filter { counter in labels.allSatisfy { want in counter.dimensions.contains { $0 == want } } }
        .reduce(0) { $0 + $1.totalValue }
}

@Suite("WebSocketServer's metrics: connections accepted and refused before the 101, by reason", .timeLimit(.minutes(1)))
struct ServerMetricsTests {
    typealias Name = WebSocketMetrics.Name
    typealias Label = WebSocketMetrics.Label

    @Test("accepted connections, and the refusals of the filter, the origin list, the connection limit and the pending cap")
    func refusals() async throws {
        let backend = TestMetrics()
        var configuration = WebSocketServer.Configuration(maxConnections: 1, maxPendingConnections: 1, handshakeTimeout: .seconds(100))
        configuration.webSocket.metrics = WebSocketMetrics(factory: backend)
        configuration.allowedOrigins = ["https://good.example"]
        let server = try await startServer(configuration: configuration)
        let kept = try await connect(server, origin: "https://good.example")
        // The connection limit: a second WebSocket gets 503.
        await #expect(throws: WebSocketError.self) { _ = try await connect(server, origin: "https://good.example") }
        // An origin not on the list gets 403.
        await #expect(throws: WebSocketError.self) { _ = try await connect(server, origin: "https://evil.example") }
        #expect(total(backend, Name.connectionsRefused, [(Label.refusal, "503")]) == 1)
        #expect(total(backend, Name.connectionsRefused, [(Label.refusal, "403")]) == 1)
        // Two connections that never send a byte: the second drops the first (the cap is 1).
        let idle1 = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: server.boundPort).get()
        let idle2 = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: server.boundPort).get()
        #expect(try await eventually { total(backend, Name.connectionsRefused, [(Label.refusal, "pending_limit")]) >= 1 })
        #expect(try await eventually { total(backend, Name.connectionsAccepted) == 5 })
        try? await idle1.close()
        try? await idle2.close()
        await kept.close()
        await server.shutdown()
    }

    @Test("the connection filter's refusals and handshake timeouts are counted too")
    func filterAndTimeout() async throws {
        let backend = TestMetrics()
        var filtered = WebSocketServer.Configuration()
        filtered.webSocket.metrics = WebSocketMetrics(factory: backend)
        filtered.connectionFilter = { _ in false }
        let server = try await startServer(configuration: filtered)
        _ = try await rawExchange(port: server.boundPort, Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(try await eventually { total(backend, Name.connectionsRefused, [(Label.refusal, "filter")]) == 1 })
        await server.shutdown()

        var slow = WebSocketServer.Configuration(handshakeTimeout: .milliseconds(200))
        slow.webSocket.metrics = WebSocketMetrics(factory: backend)
        let timing = try await startServer(configuration: slow)
        let (_, closed) = try await rawExchange(port: timing.boundPort, Array("GET / HTTP/1.1\r\n".utf8))
        #expect(closed)
        #expect(try await eventually { total(backend, Name.connectionsRefused, [(Label.refusal, "handshake_timeout")]) == 1 })
        await timing.shutdown()
    }
}
