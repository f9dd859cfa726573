import CoreMetrics
import Synchronization
@_spi(WSInternal) import WSHTTP

/// The backplane's statistics, and its metrics when a backend records them.
final class RedisCounters: Sendable {
    enum DropReason: String {
        case disconnected
        case overLimit = "over_limit"
        case rejected
        case malformed
    }

    private let publishedCount = Atomic<Int>(0)
    private let receivedCount = Atomic<Int>(0)
    private let disconnected = Atomic<Int>(0)
    private let overLimit = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let malformed = Atomic<Int>(0)
    private let reconnects = Atomic<Int>(0)
    private let instruments: Instruments?

    private struct Instruments: Sendable {
        let transmitted: Counter
        let received: Counter
        let dropped: [String: Counter]
        let connections: Meter
        let reconnects: Counter
    }

    init(metrics: WebSocketMetrics) {
        instruments = metrics.resolved.map { all in
            typealias Name = WebSocketMetrics.Name
            typealias Label = WebSocketMetrics.Label
            let reasons: [DropReason] = [.disconnected, .overLimit, .rejected, .malformed]
            return Instruments(
                transmitted: all.counter(Name.backplaneMessages, [(Label.direction, "transmit")]),
                received: all.counter(Name.backplaneMessages, [(Label.direction, "receive")]),
                dropped: Dictionary(uniqueKeysWithValues: reasons.map {
                    ($0.rawValue, all.counter(Name.backplaneDropped, [(Label.dropReason, $0.rawValue)]))
                }),
                connections: all.meter(Name.backplaneConnections, []),
                reconnects: all.counter(Name.backplaneReconnects, []))
        }
    }

    func published() {
        publishedCount.add(1, ordering: .relaxed)
        instruments?.transmitted.increment()
    }

    func received() {
        receivedCount.add(1, ordering: .relaxed)
        instruments?.received.increment()
    }

    func dropped(_ reason: DropReason, count: Int = 1) {
        switch reason {
        case .disconnected: disconnected.add(count, ordering: .relaxed)
        case .overLimit: overLimit.add(count, ordering: .relaxed)
        case .rejected: rejected.add(count, ordering: .relaxed)
        case .malformed: malformed.add(count, ordering: .relaxed)
        }
        instruments?.dropped[reason.rawValue]?.increment(by: count)
    }

    func connectionsChanged(by delta: Int) {
        if delta > 0 { instruments?.connections.increment(by: Double(delta)) } else { instruments?.connections.decrement(by: Double(-delta)) }
    }

    func reconnected() {
        reconnects.add(1, ordering: .relaxed)
        instruments?.reconnects.increment()
    }

    var statistics: RedisBackplane.Statistics {
        .init(published: publishedCount.load(ordering: .relaxed), received: receivedCount.load(ordering: .relaxed),
              droppedDisconnected: disconnected.load(ordering: .relaxed), droppedOverLimit: overLimit.load(ordering: .relaxed),
              rejected: rejected.load(ordering: .relaxed), malformed: malformed.load(ordering: .relaxed),
              reconnects: reconnects.load(ordering: .relaxed))
    }
}
