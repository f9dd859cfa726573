public import Tracing

/// Whether and where WebSocket connections record spans (swift-distributed-tracing).
///
/// Each connection is one span, from its upgrade request to its close: the server's a
/// child of the W3C `traceparent` (or whatever the tracer propagates) of the upgrade request,
/// the client's a parent whose context goes out in the upgrade request. The span carries the
/// handshake's facts (`url.path`, `http.response.status_code`, `websocket.subprotocol`,
/// `websocket.deflate`), an `upgraded` event at the 101, and the close outcome
/// (`websocket.close.code`, `websocket.close.reason`, `websocket.close.clean`, and the
/// message counts) when it ends; a refused upgrade ends it with the refusal's status.
/// A server's async `upgraded` handler runs with the span's context as its
/// `ServiceContext.current`, so that its own spans are the connection's children.
///
/// A span per message is opt-in (``messageSpans``): it costs a span per message.
public struct WebSocketTracing: Sendable, Hashable {
    enum Source: Sendable {
        case system
        case disabled
        case tracer(TracerBox)
    }

    let source: Source
    /// Whether each data message sent or received is a span of its own (`WebSocket send`,
    /// `WebSocket receive`), a child of the connection's. Default false.
    public var messageSpans: Bool

    /// The tracer `InstrumentationSystem` was bootstrapped with, read when each connection
    /// starts; nothing is recorded while it is the no-op one. The default.
    public static let system = WebSocketTracing(source: .system, messageSpans: false)
    /// No spans.
    public static let disabled = WebSocketTracing(source: .disabled, messageSpans: false)

    private init(source: Source, messageSpans: Bool) {
        self.source = source
        self.messageSpans = messageSpans
    }

    /// Spans recorded by `tracer` (a test's `InMemoryTracer`, one of your own), or by the
    /// bootstrapped one when `tracer` is nil.
    ///
    /// - Parameters:
    ///   - tracer: where spans go; `InstrumentationSystem.tracer` when nil.
    ///   - messageSpans: a span per data message too.
    public init(tracer: (any Tracer)? = nil, messageSpans: Bool = false) {
        self.init(source: tracer.map { .tracer(TracerBox($0)) } ?? .system, messageSpans: messageSpans)
    }

    /// The tracer to record into, or nil when nothing is recorded.
    var tracer: (any Tracer)? {
        switch source {
        case .disabled: return nil
        case .tracer(let box): return box.tracer
        case .system:
            let tracer = InstrumentationSystem.tracer
            return tracer is NoOpTracer ? nil : tracer
        }
    }

    public static func == (lhs: WebSocketTracing, rhs: WebSocketTracing) -> Bool {
        guard lhs.messageSpans == rhs.messageSpans else { return false }
        switch (lhs.source, rhs.source) {
        case (.system, .system), (.disabled, .disabled): return true
        case (.tracer(let a), .tracer(let b)): return a === b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(messageSpans)
        switch source {
        case .system: hasher.combine(0)
        case .disabled: hasher.combine(1)
        case .tracer(let box): hasher.combine(ObjectIdentifier(box))
        }
    }
}

/// A user's tracer, by reference: two configurations are equal when they share one.
final class TracerBox: Sendable {
    let tracer: any Tracer
    init(_ tracer: any Tracer) { self.tracer = tracer }
}
