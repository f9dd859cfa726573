import CoreMetrics
import Synchronization
import WSServer

/// The few numbers the demo page charts, taken from the library's own instruments (a
/// swift-metrics backend, beside Prometheus's when `--metrics` is on): the server's open
/// WebSockets, data messages in and out, the keepalive's latest round trip, and how
/// connections ended, by close code. Everything else it is offered is dropped.
final class DashboardMetrics: MetricsFactory, Sendable {
    let webSockets = Total()
    let messagesIn = Total()
    let messagesOut = Total()
    let bytesIn = Total()
    let bytesOut = Total()
    /// The latest keepalive round trip, in nanoseconds; -1 before the first.
    let roundTrip = Total(-1)
    private let closeCodes = Mutex<[String: Int64]>([:])

    /// The totals so far, as the page's `stats` message: `{"type":"stats",…}`.
    func statsMessage(connections: Int) -> String {
        let codes = closeCodes.withLock { $0 }.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        let rtt = roundTrip.value
        let rttText = rtt < 0 ? "null" : "\(Double(rtt) / 1e6)"
        return #"{"type":"stats","connections":\#(connections),"webSockets":\#(webSockets.value),"#
            + #""messagesIn":\#(messagesIn.value),"messagesOut":\#(messagesOut.value),"#
            + #""bytesIn":\#(bytesIn.value),"bytesOut":\#(bytesOut.value),"#
            + #""roundTripMs":\#(rttText),"closeCodes":{\#(codes)}}"#
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard Self.isServer(dimensions) else { return NOOPMetricsHandler.instance }
        let inbound = Self.value(WebSocketMetrics.Label.direction, dimensions) == "receive"
        switch label {
        case WebSocketMetrics.Name.messages: return AtomicCounter(inbound ? messagesIn : messagesOut)
        case WebSocketMetrics.Name.messageBytes: return AtomicCounter(inbound ? bytesIn : bytesOut)
        default: return NOOPMetricsHandler.instance
        }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard label == WebSocketMetrics.Name.activeConnections, Self.isServer(dimensions) else { return NOOPMetricsHandler.instance }
        return AtomicMeter(webSockets)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard Self.isServer(dimensions) else { return NOOPMetricsHandler.instance }
        switch label {
        case WebSocketMetrics.Name.keepAliveRoundTrip:
            return LatestTimer(roundTrip)
        case WebSocketMetrics.Name.connectionDuration:
            return CloseCodeTimer(self, code: Self.value(WebSocketMetrics.Label.closeCode, dimensions) ?? "?")
        default:
            return NOOPMetricsHandler.instance
        }
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    fileprivate func closed(_ code: String) { closeCodes.withLock { $0[code, default: 0] += 1 } }

    private static func isServer(_ dimensions: [(String, String)]) -> Bool {
        value(WebSocketMetrics.Label.role, dimensions) == "server"
    }

    private static func value(_ label: String, _ dimensions: [(String, String)]) -> String? {
        dimensions.first { $0.0 == label }?.1
    }
}

/// One number, changed from any thread.
final class Total: Sendable {
    private let atomic: Atomic<Int64>
    init(_ initial: Int64 = 0) { atomic = Atomic(initial) }
    var value: Int64 { atomic.load(ordering: .relaxed) }
    func add(_ amount: Int64) { atomic.add(amount, ordering: .relaxed) }
    func store(_ value: Int64) { atomic.store(value, ordering: .relaxed) }
}

private final class AtomicCounter: CounterHandler, Sendable {
    private let total: Total
    init(_ total: Total) { self.total = total }
    func increment(by amount: Int64) { total.add(amount) }
    func reset() {}
}

private final class AtomicMeter: MeterHandler, Sendable {
    private let total: Total
    init(_ total: Total) { self.total = total }
    func set(_ value: Int64) { total.store(value) }
    func set(_ value: Double) { set(Int64(value)) }
    func increment(by amount: Double) { total.add(Int64(amount)) }
    func decrement(by amount: Double) { total.add(-Int64(amount)) }
}

private final class LatestTimer: TimerHandler, Sendable {
    private let total: Total
    init(_ total: Total) { self.total = total }
    func recordNanoseconds(_ duration: Int64) { total.store(duration) }
}

private final class CloseCodeTimer: TimerHandler, Sendable {
    private let dashboard: DashboardMetrics
    private let code: String
    init(_ dashboard: DashboardMetrics, code: String) {
        self.dashboard = dashboard
        self.code = code
    }
    func recordNanoseconds(_ duration: Int64) { dashboard.closed(code) }
}
