import CoreMetrics
import NIOCore
import Tracing
import WSDeflate
import WSFraming

/// What one connection records of itself, when metrics or tracing are on (a connection
/// with neither has none, and pays one nil check per message). It runs on the connection's
/// event loop. Per message it only adds to ``MessageTally``; the handler hands the sums to
/// the backend with ``report(deflate:)`` once per read or write.
final class ConnectionObserver {
    let instruments: RoleInstruments?
    let all: MetricsInstruments?
    /// The connection's span and what it counts, when tracing is on: out of line, so that a
    /// connection with metrics alone does not carry it.
    let trace: ConnectionTrace?
    let openedAt: NIODeadline
    @exclusivity(unchecked) var tally = MessageTally()
    private var deflateReported = PerMessageDeflate.Totals()
    /// What ``RoleInstruments/outboundQueued`` holds for this connection now.
    private var queuedReported = 0

    /// An observer, or nil when nothing would be recorded.
    static func make(role: WebSocketRole, metrics: WebSocketMetrics, tracing: WebSocketTracing, span: (any Span)?) -> ConnectionObserver? {
        let all = metrics.resolved
        let trace = span.map { ConnectionTrace(span: $0, messageTracer: tracing.messageSpans ? tracing.tracer : nil) }
        guard all != nil || trace != nil else { return nil }
        return ConnectionObserver(instruments: all?.role(role), all: all, trace: trace)
    }

    private init(instruments: RoleInstruments?, all: MetricsInstruments?, trace: ConnectionTrace?) {
        self.instruments = instruments
        self.all = all
        self.trace = trace
        openedAt = .now()
        instruments?.active.increment()
    }

    /// A data message arrived whole.
    func received(_ kind: MessageKind, count: Int) {
        tally.add(.receive, kind, count)
        trace?.message("WebSocket receive", kind, count)
    }

    /// A data message (or a fragment of one) was queued for sending.
    func sent(_ kind: MessageKind, count: Int, countsMessage: Bool = true) {
        tally.add(.transmit, kind, count, countsMessage: countsMessage)
        if countsMessage { trace?.message("WebSocket send", kind, count) }
    }

    /// Hands what was counted since the last report to the backend.
    func report(deflate: PerMessageDeflate?) {
        guard let instruments else { return }
        if tally.hasCounts { tally.report(to: instruments) }
        if let deflate {
            let now = deflate.totals
            guard now != deflateReported else { return }
            let was = deflateReported
            deflateReported = now
            add(instruments.deflateBytes[0], now.compressedIn - was.compressedIn)
            add(instruments.deflateBytes[1], now.decompressedIn - was.decompressedIn)
            add(instruments.deflateBytes[2], now.compressedOut - was.compressedOut)
            add(instruments.deflateBytes[3], now.uncompressedOut - was.uncompressedOut)
        }
    }

    /// The keepalive's Pong came back after `roundTrip`.
    func keepAliveAnswered(after roundTrip: Duration) {
        instruments?.keepAliveRoundTrip.recordNanoseconds(roundTrip.nanoseconds)
    }

    /// The outbound queue went over the budget (`crossed`), or was sampled while over it:
    /// `queued` bytes wait for the peer.
    func outboundQueued(_ queued: Int, crossed: Bool) {
        guard let instruments else { return }
        if crossed { instruments.overBudget.increment() }
        guard queued != queuedReported else { return }
        let change = queued - queuedReported
        if change > 0 { instruments.outboundQueued.increment(by: Double(change)) } else { instruments.outboundQueued.decrement(by: Double(-change)) }
        queuedReported = queued
    }

    /// The connection ended: the last counts, its Close frames, its life, and its span.
    func closed(_ outcome: CloseOutcome, connection: WebSocketConnection, deflate: PerMessageDeflate?) {
        report(deflate: deflate)
        outboundQueued(0, crossed: false)
        if let instruments, let all {
            typealias Label = WebSocketMetrics.Label
            let role = (Label.role, instruments.role.label)
            if let sent = connection.sentClose {
                all.counter(WebSocketMetrics.Name.closeFrames, [role, (Label.direction, "transmit"), (Label.closeCode, sent.code.label)]).increment()
            }
            if let received = connection.receivedClose {
                all.counter(WebSocketMetrics.Name.closeFrames, [role, (Label.direction, "receive"), (Label.closeCode, received.code.label)]).increment()
            }
            all.timer(WebSocketMetrics.Name.connectionDuration, [role, (Label.closeCode, "\(outcome.code.rawValue)")])
                .recordNanoseconds(NIODeadline.now().uptimeNanoseconds &- openedAt.uptimeNanoseconds)
            instruments.active.decrement()
        }
        trace?.end(outcome)
    }

    private func add(_ counter: Counter, _ amount: Int) {
        if amount > 0 { counter.increment(by: amount) }
    }
}

@available(*, unavailable)
extension ConnectionObserver: Sendable {}

/// A connection's span, from the upgrade request to the close, with the message counts it
/// ends with and, when asked for, a span per message.
final class ConnectionTrace {
    let span: any Span
    /// Where message spans go, when they were asked for.
    let messageTracer: (any Tracer)?
    var received = 0
    var sent = 0

    init(span: any Span, messageTracer: (any Tracer)?) {
        self.span = span
        self.messageTracer = messageTracer
    }

    /// Counts a message sent or received (`name` says which) and, when asked for, records its span.
    func message(_ name: String, _ kind: MessageKind, _ count: Int) {
        let isSend = name.hasSuffix("send")
        if isSend { sent &+= 1 } else { received &+= 1 }
        guard let messageTracer else { return }
        let message = messageTracer.startSpan(name, context: span.context, ofKind: isSend ? .producer : .consumer)
        message.attributes["websocket.message.type"] = kind == .text ? "text" : "binary"
        message.attributes["messaging.message.body.size"] = count
        message.end()
    }

    /// Ends the span with the close outcome.
    func end(_ outcome: CloseOutcome) {
        span.attributes["websocket.close.code"] = Int(outcome.code.rawValue)
        span.attributes["websocket.close.reason"] = outcome.reason
        span.attributes["websocket.close.clean"] = outcome.wasClean
        span.attributes["websocket.messages.received"] = received
        span.attributes["websocket.messages.sent"] = sent
        if outcome.isFailure { span.setStatus(SpanStatus(code: .error, message: "\(outcome)")) }
        span.end()
    }
}

@available(*, unavailable)
extension ConnectionTrace: Sendable {}

/// Messages and bytes counted since the last report, with plain adds.
struct MessageTally {
    enum Direction: Int { case receive = 0, transmit = 2 }

    /// Receive text, receive binary, transmit text, transmit binary.
    var messages: (Int, Int, Int, Int) = (0, 0, 0, 0)
    var bytes: (Int, Int, Int, Int) = (0, 0, 0, 0)
    /// Wire bytes: receive, transmit.
    var wire: (Int, Int) = (0, 0)

    var hasCounts: Bool {
        (messages.0 | messages.1 | messages.2 | messages.3) | (bytes.0 | bytes.1 | bytes.2 | bytes.3) | (wire.0 | wire.1) != 0
    }

    mutating func add(_ direction: Direction, _ kind: MessageKind, _ count: Int, countsMessage: Bool = true) {
        let step = countsMessage ? 1 : 0
        switch (direction, kind) {
        case (.receive, .text): messages.0 &+= step; bytes.0 &+= count
        case (.receive, .binary): messages.1 &+= step; bytes.1 &+= count
        case (.transmit, .text): messages.2 &+= step; bytes.2 &+= count
        case (.transmit, .binary): messages.3 &+= step; bytes.3 &+= count
        }
    }

    mutating func report(to instruments: RoleInstruments) {
        func push(_ counter: Counter, _ value: inout Int) {
            if value != 0 { counter.increment(by: value); value = 0 }
        }
        push(instruments.messages[0], &messages.0)
        push(instruments.messages[1], &messages.1)
        push(instruments.messages[2], &messages.2)
        push(instruments.messages[3], &messages.3)
        push(instruments.messageBytes[0], &bytes.0)
        push(instruments.messageBytes[1], &bytes.1)
        push(instruments.messageBytes[2], &bytes.2)
        push(instruments.messageBytes[3], &bytes.3)
        push(instruments.wireBytes[0], &wire.0)
        push(instruments.wireBytes[1], &wire.1)
    }
}

extension Optional where Wrapped == CloseCode {
    /// The ``WebSocketMetrics/Label/closeCode`` of a Close frame's code.
    var label: String { map { "\($0.rawValue)" } ?? "none" }
}

extension CloseOutcome {
    /// Whether a span should call this ending an error: an abnormal end (1006), or a close
    /// for a fault (1002, 1003, 1007–1011, 1015). 1000, 1001, 1005 and the application's own
    /// codes (3000–4999) are not.
    var isFailure: Bool {
        switch code.rawValue {
        case 1002, 1003, 1006, 1007, 1008, 1009, 1010, 1011, 1015: true
        default: false
        }
    }
}

extension Duration {
    /// The whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ attoseconds / 1_000_000_000
    }
}
