import HTTPTypes
import InMemoryTracing
import NIOCore
import Synchronization
import Testing
import Tracing
import WSFraming
@testable import WSHTTP

/// An in-memory tracer that propagates W3C trace context (`traceparent`), as OpenTelemetry's
/// propagator does, so that a test can send a trace context any W3C tracer would.
struct W3CTracer: Tracer {
    let recorder = InMemoryTracer(idGenerator: .init(nextTraceID: { hex(16) }, nextSpanID: { hex(8) }))

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind, at instant: @autoclosure () -> Instant,
        function: String, file fileID: String, line: UInt
    ) -> InMemorySpan {
        recorder.startSpan(operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID, line: line)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Carrier == Inject.Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Carrier == Extract.Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = value.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32, parts[2].count == 16 else { return }
        context.inMemorySpanContext = InMemorySpanContext(traceID: String(parts[1]), spanID: String(parts[2]), parentSpanID: nil)
    }
}

/// `count` random bytes in lowercase hex: a W3C trace or span ID.
private func hex(_ count: Int) -> String {
    (0..<count).map { _ in
        let byte = UInt8.random(in: 0...255)
        return String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
    }.joined()
}

@Suite("Tracing: a span per connection, parented by the upgrade request's traceparent", .timeLimit(.minutes(1)))
struct TracingTests {
    @Test("the server's span is a child of the request's traceparent and ends with the close outcome")
    func serverSpan() async throws {
        let tracer = W3CTracer()
        var configuration = WebSocket.Configuration()
        configuration.tracing = WebSocketTracing(tracer: tracer)
        let seenInHandler = Mutex<String?>(nil)
        let server = try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(upgraded: { webSocket in
            seenInHandler.withLock { $0 = ServiceContext.current?.inMemorySpanContext?.traceID }
            for await message in webSocket.messages { try? await webSocket.send(message) }
        }))
        // The example of the W3C recommendation.
        let client = try await connect(port: server.port, target: "/chat?room=1",
                                       headerFields: [HTTPField.Name("traceparent")!: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
        try await client.send(text: "hi")
        _ = try await client.receive()
        await client.close(code: .normalClosure, reason: "done")
        #expect(try await eventually { !tracer.recorder.finishedSpans.isEmpty })
        let span = try #require(tracer.recorder.finishedSpans.first)
        #expect(span.operationName == "WebSocket")
        #expect(span.kind == .server)
        #expect(span.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(span.parentSpanID == "00f067aa0ba902b7")
        #expect(span.attributes["url.path"]?.toSpanAttribute() == "/chat")
        #expect(span.attributes["http.response.status_code"]?.toSpanAttribute() == 101)
        #expect(span.attributes["websocket.close.code"]?.toSpanAttribute() == 1000)
        #expect(span.attributes["websocket.close.clean"]?.toSpanAttribute() == true)
        #expect(span.attributes["websocket.messages.received"]?.toSpanAttribute() == 1)
        #expect(span.events.map(\.name) == ["upgraded"])
        #expect(span.status == nil)
        // The handler ran inside the connection's span.
        #expect(seenInHandler.withLock { $0 } == "4bf92f3577b34da6a3ce929d0e0e4736")
        await server.stop()
    }

    @Test("the client's span goes out as the request's traceparent: both sides are one trace")
    func clientSpan() async throws {
        let serverTracer = W3CTracer(), clientTracer = W3CTracer()
        var serverConfiguration = WebSocket.Configuration(), clientConfiguration = WebSocket.Configuration()
        serverConfiguration.tracing = WebSocketTracing(tracer: serverTracer)
        clientConfiguration.tracing = WebSocketTracing(tracer: clientTracer, messageSpans: true)
        let server = try await TestServer.start(configuration: serverConfiguration, handlers: echoHandlers)
        let client = try await connect(port: server.port, configuration: clientConfiguration)
        try await client.send(text: "hi")
        _ = try await client.receive()
        await client.close()
        #expect(try await eventually { serverTracer.recorder.finishedSpans.count == 1 && clientTracer.recorder.finishedSpans.count == 3 })
        let clientSpans = clientTracer.recorder.finishedSpans
        let connection = try #require(clientSpans.first { $0.operationName == "WebSocket" })
        let serverSpan = try #require(serverTracer.recorder.finishedSpans.first)
        #expect(connection.kind == .client)
        #expect(serverSpan.traceID == connection.traceID)
        #expect(serverSpan.parentSpanID == connection.spanID)
        // Message spans were asked for on the client: one sent, one received, children of the connection's.
        let messages = clientSpans.filter { $0.operationName != "WebSocket" }
        #expect(Set(messages.map(\.operationName)) == ["WebSocket send", "WebSocket receive"])
        #expect(messages.allSatisfy { $0.parentSpanID == connection.spanID })
        await server.stop()
    }

    @Test("a refused upgrade ends its span with the status; a failing close marks the span an error")
    func refusedAndFailed() async throws {
        let tracer = W3CTracer()
        var configuration = WebSocket.Configuration()
        configuration.tracing = WebSocketTracing(tracer: tracer)
        let server = try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(
            shouldUpgrade: { upgrade in upgrade.target == "/no" ? .refuse(HTTPResponse(status: .notFound)) : .accept() },
            upgraded: { webSocket in for await _ in webSocket.messages {} }))
        _ = try await rawExchange(port: server.port, upgradeRequest(path: "/no", port: server.port))
        #expect(try await eventually { tracer.recorder.finishedSpans.count == 1 })
        #expect(tracer.recorder.finishedSpans.first?.attributes["http.response.status_code"]?.toSpanAttribute() == 404)
        // An unmasked frame from a client: the server fails the connection with 1002.
        _ = try await rawExchange(port: server.port, upgradeRequest(port: server.port) + [0x81, 0x02, 0x68, 0x69], closeAfter: false)
        #expect(try await eventually { tracer.recorder.finishedSpans.count == 2 })
        let failed = try #require(tracer.recorder.finishedSpans.last)
        #expect(failed.attributes["websocket.close.code"]?.toSpanAttribute() == 1002)
        #expect(failed.status?.code == .error)
        await server.stop()
    }

    @Test("with no tracer bootstrapped, no span is made")
    func noTracer() {
        #expect(WebSocketTracing.system.tracer == nil)
        #expect(WebSocketTracing.disabled.tracer == nil)
        #expect(WebSocket.Configuration().tracing == .system)
    }
}
