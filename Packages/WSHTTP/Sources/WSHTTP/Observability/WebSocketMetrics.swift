public import CoreMetrics
import Synchronization

/// Where WebSocket connections, servers, clients and groups record their metrics
/// (swift-metrics): the instruments of ``WebSocketMetrics/Name``, with the labels listed there.
///
/// ```swift
/// MetricsSystem.bootstrap(PrometheusMetricsFactory())   // once, at start-up
/// var configuration = WebSocket.Configuration()          // metrics: .system, the default
/// ```
///
/// The default, ``system``, records into whatever `MetricsSystem` was bootstrapped with when
/// a connection or server starts; while it is swift-metrics' no-op backend (nothing was
/// bootstrapped), nothing is recorded and nothing costs. ``init(factory:dimensions:)`` records
/// into a backend of your own (a test's `TestMetrics`, one registry per server).
///
/// What a connection counts per message (messages, payload and wire bytes) is added up in
/// the connection and handed to the backend once per read or write, never more than one
/// call per instrument per read.
public struct WebSocketMetrics: Sendable, Hashable {
    enum Source: Sendable {
        case system
        case disabled
        case instruments(MetricsInstruments)
    }

    let source: Source

    /// The backend `MetricsSystem` was bootstrapped with, read when each connection or server
    /// starts. The default.
    public static let system = WebSocketMetrics(source: .system)
    /// Nothing is recorded.
    public static let disabled = WebSocketMetrics(source: .disabled)

    private init(source: Source) { self.source = source }

    /// Records into `factory`; the instruments are made now, once, and shared by every
    /// connection, server and group given this value.
    ///
    /// - Parameters:
    ///   - factory: the backend (Prometheus's, OpenTelemetry's, a test's).
    ///   - dimensions: labels added to every instrument (`[("server", "eu-1")]`): keep them
    ///     few and fixed, each combination is a time series of every instrument.
    public init(factory: any MetricsFactory, dimensions: [(String, String)] = []) {
        source = factory is NOOPMetricsHandler ? .disabled : .instruments(MetricsInstruments(factory: factory, dimensions: dimensions))
    }

    /// The instruments to record into, or nil when nothing is recorded.
    @_spi(WSInternal) public var resolved: MetricsInstruments? {
        switch source {
        case .disabled: nil
        case .instruments(let instruments): instruments
        case .system: MetricsInstruments.forSystem()
        }
    }

    public static func == (lhs: WebSocketMetrics, rhs: WebSocketMetrics) -> Bool {
        switch (lhs.source, rhs.source) {
        case (.system, .system), (.disabled, .disabled): true
        case (.instruments(let a), .instruments(let b)): a === b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch source {
        case .system: hasher.combine(0)
        case .disabled: hasher.combine(1)
        case .instruments(let instruments): hasher.combine(ObjectIdentifier(instruments))
        }
    }
}

extension MetricsInstruments {
    /// The instruments of `MetricsSystem.factory`, made the first time it is not the no-op
    /// backend (swift-metrics lets a process bootstrap once); nil until then.
    static func forSystem() -> MetricsInstruments? {
        if let made = systemSlot.withLock({ $0 }) { return made }
        let factory = MetricsSystem.factory
        if factory is NOOPMetricsHandler { return nil }
        return systemSlot.withLock { slot in
            if let slot { return slot }
            let made = MetricsInstruments(factory: factory, dimensions: [])
            slot = made
            return made
        }
    }

    private static let systemSlot = Mutex<MetricsInstruments?>(nil)
}
