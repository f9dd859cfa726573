public import CoreMetrics
import Synchronization
import WSFraming

/// The swift-metrics instruments of one backend, made once and shared by every connection
/// that records into it. Instruments whose labels are known in advance are made here; those
/// labelled by a value seen at run time (a close code, a status) are made on first use and
/// kept, under a lock taken once per connection or request, never per message.
@_spi(WSInternal) public final class MetricsInstruments: Sendable {
    let factory: any MetricsFactory
    let dimensions: [(String, String)]
    let server: RoleInstruments
    let client: RoleInstruments
    let connectionsAccepted: Counter
    let clientConnectDuration: Timer
    private let labelled = Mutex<[LabelledKey: any AnyObject & Sendable]>([:])
    /// The request-duration timers by method and status, looked up without making their
    /// labels' text: every request records one (an upgrade's 101 included).
    private let requestTimers = Mutex<[RequestKey: Timer]>([:])

    init(factory: any MetricsFactory, dimensions: [(String, String)]) {
        self.factory = factory
        self.dimensions = dimensions
        server = RoleInstruments(.server, factory: factory, dimensions: dimensions)
        client = RoleInstruments(.client, factory: factory, dimensions: dimensions)
        connectionsAccepted = Counter(label: WebSocketMetrics.Name.connectionsAccepted, dimensions: dimensions, factory: factory)
        clientConnectDuration = Timer(label: WebSocketMetrics.Name.clientConnectDuration, dimensions: dimensions, factory: factory)
    }

    func role(_ role: WebSocketRole) -> RoleInstruments { role == .server ? server : client }

    /// A counter labelled by values seen at run time, made once per label set.
    @_spi(WSInternal) public func counter(_ name: String, _ labels: [(String, String)]) -> Counter {
        instrument(name, labels) { Counter(label: name, dimensions: $0, factory: factory) }
    }

    /// A timer labelled by values seen at run time, made once per label set.
    @_spi(WSInternal) public func timer(_ name: String, _ labels: [(String, String)]) -> Timer {
        instrument(name, labels) { Timer(label: name, dimensions: $0, factory: factory) }
    }

    /// A gauge labelled by values seen at run time, made once per label set.
    @_spi(WSInternal) public func meter(_ name: String, _ labels: [(String, String)]) -> Meter {
        instrument(name, labels) { Meter(label: name, dimensions: $0, factory: factory) }
    }

    private func instrument<Instrument: AnyObject & Sendable>(
        _ name: String, _ labels: [(String, String)], make: ([(String, String)]) -> Instrument
    ) -> Instrument {
        let key = LabelledKey(name: name, labels: labels.map { "\($0.0)=\($0.1)" })
        return labelled.withLock { made in
            if let existing = made[key] as? Instrument { return existing }
            let instrument = make(labels + dimensions)
            made[key] = instrument
            return instrument
        }
    }

    /// Records a TCP connection accepted by a server.
    @_spi(WSInternal) public func accepted() { connectionsAccepted.increment() }

    /// Records a client connection that opened `duration` after it was asked for.
    @_spi(WSInternal) public func clientConnected(after duration: Duration) {
        clientConnectDuration.recordNanoseconds(duration.nanoseconds)
    }

    /// Records a refusal before a connection became a WebSocket.
    @_spi(WSInternal) public func refused(_ reason: String) {
        counter(WebSocketMetrics.Name.connectionsRefused, [(WebSocketMetrics.Label.refusal, reason)]).increment()
    }

    /// Records an HTTP request answered (an upgrade's 101 included) and, for an upgrade that
    /// was refused, the refusal by its status.
    func answered(method: String, status: Int, isUpgrade: Bool, after duration: Duration) {
        let key = RequestKey(method: method, status: status)
        let recorder = requestTimers.withLock { $0[key] } ?? {
            let made = self.timer(WebSocketMetrics.Name.httpRequestDuration,
                             [(WebSocketMetrics.Label.method, method), (WebSocketMetrics.Label.statusCode, "\(status)")])
            requestTimers.withLock { $0[key] = made }
            return made
        }()
        recorder.recordNanoseconds(duration.nanoseconds)
        if isUpgrade, status != 101 { refused("\(status)") }
    }

    /// Records a failed TLS handshake.
    func tlsFailed(_ role: WebSocketRole, cause: String) {
        counter(WebSocketMetrics.Name.tlsHandshakeFailures,
                [(WebSocketMetrics.Label.role, role.label), (WebSocketMetrics.Label.errorType, cause)]).increment()
    }

    /// Records a client connection that failed at `stage`.
    @_spi(WSInternal) public func clientFailed(_ stage: String) {
        counter(WebSocketMetrics.Name.clientConnectFailures, [(WebSocketMetrics.Label.errorType, stage)]).increment()
    }

    private struct RequestKey: Hashable {
        var method: String
        var status: Int
    }

    private struct LabelledKey: Hashable {
        var name: String
        var labels: [String]
    }
}

/// The instruments of one role's connections, by direction and message type.
final class RoleInstruments: Sendable {
    let role: WebSocketRole
    let active: Meter
    /// In ``MessageTally``'s order: receive text, receive binary, transmit text, transmit binary.
    let messages: [Counter]
    let messageBytes: [Counter]
    /// Receive, transmit.
    let wireBytes: [Counter]
    /// Receive compressed, receive uncompressed, transmit compressed, transmit uncompressed.
    let deflateBytes: [Counter]
    let outboundQueued: Meter
    let overBudget: Counter
    let keepAliveRoundTrip: Timer

    init(_ role: WebSocketRole, factory: any MetricsFactory, dimensions: [(String, String)]) {
        typealias Name = WebSocketMetrics.Name
        typealias Label = WebSocketMetrics.Label
        self.role = role
        let roleLabel = [(Label.role, role.label)]
        let directions = ["receive", "transmit"]
        func labels(_ extra: [(String, String)]) -> [(String, String)] { roleLabel + extra + dimensions }
        active = Meter(label: Name.activeConnections, dimensions: labels([]), factory: factory)
        var messages: [Counter] = []
        var messageBytes: [Counter] = []
        for direction in directions {
            for type in ["text", "binary"] {
                let set = labels([(Label.direction, direction), (Label.messageType, type)])
                messages.append(Counter(label: Name.messages, dimensions: set, factory: factory))
                messageBytes.append(Counter(label: Name.messageBytes, dimensions: set, factory: factory))
            }
        }
        self.messages = messages
        self.messageBytes = messageBytes
        wireBytes = directions.map { Counter(label: Name.wireBytes, dimensions: labels([(Label.direction, $0)]), factory: factory) }
        deflateBytes = directions.flatMap { direction in
            ["compressed", "uncompressed"].map { form in
                Counter(label: Name.deflateBytes, dimensions: labels([(Label.direction, direction), (Label.deflateForm, form)]), factory: factory)
            }
        }
        outboundQueued = Meter(label: Name.outboundQueuedBytes, dimensions: labels([]), factory: factory)
        overBudget = Counter(label: Name.outboundOverBudget, dimensions: labels([]), factory: factory)
        keepAliveRoundTrip = Timer(label: Name.keepAliveRoundTrip, dimensions: labels([]), factory: factory)
    }
}

extension WebSocketRole {
    /// The ``WebSocketMetrics/Label/role`` value.
    var label: String { self == .server ? "server" : "client" }
}
