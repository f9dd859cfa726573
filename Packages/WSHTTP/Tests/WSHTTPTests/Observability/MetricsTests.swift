import HTTPTypes
import CoreMetrics
import MetricsTestKit
import NIOCore
import NIOPosix
import Testing
import WSFraming
import WSHandshake
@_spi(WSInternal) @testable import WSHTTP

/// The instruments a test reads, summed over every series whose labels include `labels`.
struct MetricsProbe {
    let backend = TestMetrics()
    var metrics: WebSocketMetrics { WebSocketMetrics(factory: backend) }
    /// A connection's configuration that records here.
    var configuration: WebSocket.Configuration {
        var configuration = WebSocket.Configuration()
        configuration.metrics = metrics
        return configuration
    }

    func counter(_ name: String, _ labels: [(String, String)] = []) -> Int64 {
        backend.counters(label: name).filter { matches($0.dimensions, labels) }.reduce(0) { $0 + $1.totalValue }
    }

    func gauge(_ name: String, _ labels: [(String, String)] = []) -> Double {
        backend.meters(label: name).filter { matches($0.dimensions, labels) }.reduce(0) { $0 + ($1.lastValue ?? 0) }
    }

    func timings(_ name: String, _ labels: [(String, String)] = []) -> [Int64] {
        backend.timers(label: name).filter { matches($0.dimensions, labels) }.flatMap(\.values)
    }

    private func matches(_ dimensions: [(String, String)], _ wanted: [(String, String)]) -> Bool {
        wanted.allSatisfy { want in dimensions.contains { $0 == want } }
    }
}

/// A raw peer that sends an upgrade request and then never reads, with a small receive buffer.
func neverReadingPeer(port: Int) async throws -> any Channel {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(.socketOption(.so_rcvbuf), value: 4096)
        .channelOption(.autoRead, value: false)
        .connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(ByteBuffer(bytes: upgradeRequest(port: port))).get()
    return channel
}

typealias Name = WebSocketMetrics.Name
typealias Label = WebSocketMetrics.Label

@Suite("Metrics: what connections, upgrades and groups record", .timeLimit(.minutes(1)))
struct MetricsTests {
    @Test("an echo counts messages and bytes by role, direction and type; the gauge goes up and down; the close is recorded")
    func echoCounts() async throws {
        let probe = MetricsProbe()
        var configuration = probe.configuration
        configuration.deflate = nil
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        let client = try await connect(port: server.port, configuration: configuration)
        #expect(probe.gauge(Name.activeConnections, [(Label.role, "client")]) == 1)
        try await client.send(text: "hello")        // 5 bytes
        _ = try await client.receive()
        try await client.send(binary: [1, 2, 3])    // 3 bytes
        _ = try await client.receive()
        await client.close(code: .normalClosure, reason: "bye")

        let server1 = [(Label.role, "server")]
        let client1 = [(Label.role, "client")]
        #expect(try await eventually { probe.gauge(Name.activeConnections, server1) == 0 })
        #expect(probe.gauge(Name.activeConnections, client1) == 0)
        #expect(probe.counter(Name.messages, server1 + [(Label.direction, "receive"), (Label.messageType, "text")]) == 1)
        #expect(probe.counter(Name.messages, server1 + [(Label.direction, "transmit"), (Label.messageType, "binary")]) == 1)
        #expect(probe.counter(Name.messages, client1 + [(Label.direction, "transmit")]) == 2)
        #expect(probe.counter(Name.messageBytes, client1 + [(Label.direction, "transmit"), (Label.messageType, "text")]) == 5)
        #expect(probe.counter(Name.messageBytes, server1 + [(Label.direction, "receive"), (Label.messageType, "binary")]) == 3)
        // On the wire: two masked frames of 6 + 4 header bytes, and the client's Close (2 + 4 + 2 + 3).
        #expect(probe.counter(Name.wireBytes, server1 + [(Label.direction, "receive")]) == 11 + 9 + 11)
        #expect(probe.counter(Name.closeFrames, client1 + [(Label.direction, "transmit"), (Label.closeCode, "1000")]) == 1)
        #expect(probe.counter(Name.closeFrames, server1 + [(Label.direction, "receive"), (Label.closeCode, "1000")]) == 1)
        #expect(probe.timings(Name.connectionDuration, server1 + [(Label.closeCode, "1000")]).count == 1)
        #expect(probe.timings(Name.httpRequestDuration, [(Label.statusCode, "101"), (Label.method, "GET")]).count == 1)
        await server.stop()
    }

    @Test("permessage-deflate's bytes, compressed and not, give the compression ratio")
    func deflateRatio() async throws {
        let probe = MetricsProbe()
        let configuration = probe.configuration
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        let client = try await connect(port: server.port, configuration: configuration)
        let text = String(repeating: "all work and no play makes a dull message ", count: 100)
        try await client.send(text: text)
        _ = try await client.receive()
        await client.close()
        let server1 = [(Label.role, "server"), (Label.direction, "receive")]
        #expect(try await eventually { probe.gauge(Name.activeConnections) == 0 })
        let inflated = probe.counter(Name.deflateBytes, server1 + [(Label.deflateForm, "uncompressed")])
        let compressed = probe.counter(Name.deflateBytes, server1 + [(Label.deflateForm, "compressed")])
        #expect(inflated == Int64(text.utf8.count))
        #expect(compressed > 0 && compressed < inflated / 10)
        let sent = [(Label.role, "server"), (Label.direction, "transmit")]
        #expect(probe.counter(Name.deflateBytes, sent + [(Label.deflateForm, "uncompressed")]) == Int64(text.utf8.count))
    }

    @Test("a refused upgrade counts by its status, a bad request by 400, and each is an HTTP request")
    func refusals() async throws {
        let probe = MetricsProbe()
        let configuration = probe.configuration
        let server = try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(
            shouldUpgrade: { _ in .refuse(HTTPResponse(status: .forbidden)) }, upgraded: { _ in }))
        _ = try await rawExchange(port: server.port, upgradeRequest(port: server.port))
        _ = try await rawExchange(port: server.port, Array("NOT HTTP AT ALL\r\n\r\n".utf8))
        #expect(try await eventually { probe.counter(Name.connectionsRefused, [(Label.refusal, "400")]) == 1 })
        #expect(probe.counter(Name.connectionsRefused, [(Label.refusal, "403")]) == 1)
        #expect(probe.timings(Name.httpRequestDuration, [(Label.statusCode, "403")]).count == 1)
        #expect(probe.gauge(Name.activeConnections) == 0)
        await server.stop()
    }

    @Test("a peer that stops reading: over the budget once, its queued bytes shown, and nothing once it is gone")
    func slowReader() async throws {
        let probe = MetricsProbe()
        var configuration = probe.configuration
        configuration.maxBufferedOutboundBytes = 64 << 10
        configuration.deflate = nil
        let flood = Array(repeating: UInt8(7), count: 16 << 10)
        let server = try await TestServer.start(configuration: configuration, receiveBufferSize: 4096, handlers: WebSocketServerHandlers(
            upgraded: { webSocket in
                // Sends until the connection refuses (it waits over the budget; then the test closes it).
                while (try? await webSocket.send(binary: flood)) != nil {}
            }))
        let channel = try await neverReadingPeer(port: server.port)
        let role = [(Label.role, "server")]
        #expect(try await eventually { probe.counter(Name.outboundOverBudget, role) >= 1 })
        #expect(try await eventually { probe.gauge(Name.outboundQueuedBytes, role) > 0 })
        // The budget holds for a task that sends in a loop on the connection's own event loop
        // (it once starved the flush, and its messages piled up past 4 GiB).
        #expect(probe.gauge(Name.outboundQueuedBytes, role) <= Double(3 * (64 << 10)))
        try await channel.close()
        #expect(try await eventually { probe.gauge(Name.activeConnections, role) == 0 })
        #expect(probe.gauge(Name.outboundQueuedBytes, role) == 0)
        await server.stop()
    }

    @Test("keepalive round trips are recorded; a user's own ping is not one")
    func keepAlive() async throws {
        let probe = MetricsProbe()
        var configuration = probe.configuration
        configuration.autoPing = .every(.milliseconds(50), timeout: .seconds(5))
        let server = try await TestServer.start(configuration: configuration, handlers: echoHandlers)
        var quiet = WebSocket.Configuration()
        quiet.autoPing = .disabled
        let client = try await connect(port: server.port, configuration: quiet)
        _ = try await client.ping()
        // The server's keepalive pings the quiet client; its Pongs come back on their own.
        #expect(try await eventually { probe.timings(Name.keepAliveRoundTrip, [(Label.role, "server")]).count >= 2 })
        #expect(probe.timings(Name.keepAliveRoundTrip, [(Label.role, "client")]).isEmpty)
        await client.close()
        await server.stop()
    }

    @Test("a group's members gauge follows joins and closes; messages a slow member misses are counted")
    func group() async throws {
        let probe = MetricsProbe()
        let room = WebSocketGroup(name: "room", metrics: probe.metrics)
        let joined = AsyncStream.makeStream(of: Void.self)
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            room.add(webSocket)
            joined.continuation.yield()
            for await _ in webSocket.messages {}
        }))
        let a = try await connect(port: server.port)
        let b = try await connect(port: server.port)
        var iterator = joined.stream.makeAsyncIterator()
        _ = await iterator.next()
        _ = await iterator.next()
        let group = [(Label.group, "room")]
        #expect(try await eventually { probe.gauge(Name.groupMembers, group) == 2 })
        await a.close()
        #expect(try await eventually { probe.gauge(Name.groupMembers, group) == 1 })
        await b.close()
        #expect(try await eventually { probe.gauge(Name.groupMembers, group) == 0 })
        #expect(probe.counter(Name.groupSlowMembers, group) == 0)
        await server.stop()
    }

    @Test("a member that does not read misses broadcasts, counted as skipped; with .close it is closed, counted as closed",
          arguments: [WebSocketGroup.SlowMemberPolicy.skipMessage, .close])
    func slowMember(policy: WebSocketGroup.SlowMemberPolicy) async throws {
        let probe = MetricsProbe()
        let room = WebSocketGroup(slowMember: policy, name: "slow", metrics: probe.metrics)
        var configuration = WebSocket.Configuration()
        configuration.maxBufferedOutboundBytes = 16 << 10
        configuration.deflate = nil
        let joined = AsyncStream.makeStream(of: Void.self)
        let server = try await TestServer.start(configuration: configuration, receiveBufferSize: 4096, handlers: WebSocketServerHandlers(
            upgraded: { webSocket in
                room.add(webSocket)
                joined.continuation.yield()
                _ = await webSocket.closed()
            }))
        let channel = try await neverReadingPeer(port: server.port)
        var iterator = joined.stream.makeAsyncIterator()
        _ = await iterator.next()
        let action = policy == .skipMessage ? "skipped" : "closed"
        let labels = [(Label.group, "slow"), (Label.slowMemberAction, action)]
        let chunk = WebSocketMessage.binary(Array(repeating: 1, count: 8 << 10))
        #expect(try await eventually {
            room.broadcast(chunk)
            return probe.counter(Name.groupSlowMembers, labels) >= 1
        })
        if policy == .close { #expect(try await eventually { probe.gauge(Name.groupMembers, [(Label.group, "slow")]) == 0 }) }
        try await channel.close()
        await server.stop()
    }

    @Test("with no backend bootstrapped, nothing is made: the default costs nothing")
    func noBackend() {
        #expect(WebSocketMetrics.system.resolved == nil)
        #expect(WebSocketMetrics(factory: NOOPMetricsHandler.instance).resolved == nil)
        #expect(WebSocket.Configuration().metrics == .system)
    }

    @Test("the Prometheus names follow OpenTelemetry's exporter: _total on counters, _seconds on durations")
    func prometheusNames() {
        #expect(WebSocketMetrics.prometheusName(Name.messages) == "websocket_messages_total")
        #expect(WebSocketMetrics.prometheusName(Name.httpRequestDuration) == "http_server_request_duration_seconds")
        #expect(WebSocketMetrics.prometheusName(Name.activeConnections) == "websocket_connections_active")
        #expect(WebSocketMetrics.prometheusName("my.own") == "my_own")
        #expect(WebSocketMetrics.prometheusLabels([(Label.role, "server")]).first! == ("websocket_role", "server"))
        #expect(Set(WebSocketMetrics.instruments.map(\.name)).count == WebSocketMetrics.instruments.count)
    }
}
