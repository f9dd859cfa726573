extension WebSocketMetrics {
    /// The names of the instruments, as given to swift-metrics (OpenTelemetry's style:
    /// dotted, `http.server.*` where OpenTelemetry has a convention). ``instruments`` says
    /// each one's kind, unit and labels; ``prometheusName(_:)`` its name in Prometheus.
    public enum Name {
        /// Counter: TCP connections a `WebSocketServer` (WSServer) accepted.
        public static let connectionsAccepted = "websocket.server.connections.accepted"
        /// Counter: connections refused before they became WebSockets, by ``Label/refusal``.
        public static let connectionsRefused = "websocket.server.connections.refused"
        /// Histogram (seconds): HTTP requests answered on a WebSocket server, upgrades (101)
        /// and refusals included: from the request's head to the response written
        /// (OpenTelemetry's `http.server.request.duration`).
        public static let httpRequestDuration = "http.server.request.duration"
        /// Counter: TLS handshakes that failed, by ``Label/errorType`` (a `TLSError` kind).
        public static let tlsHandshakeFailures = "websocket.tls.handshake.failures"
        /// Gauge: WebSockets open now.
        public static let activeConnections = "websocket.connections.active"
        /// Histogram (seconds): how long WebSockets lived, by the outcome's close code.
        public static let connectionDuration = "websocket.connection.duration"
        /// Counter: data messages, by direction and type.
        public static let messages = "websocket.messages"
        /// Counter: the payload bytes of data messages (decompressed), by direction and type.
        public static let messageBytes = "websocket.message.bytes"
        /// Counter: bytes of WebSocket frames on the wire (compressed, control frames
        /// included, TLS excluded), by direction.
        public static let wireBytes = "websocket.wire.bytes"
        /// Counter: bytes through permessage-deflate, by direction and ``Label/deflateForm``:
        /// the compression ratio is `compressed / uncompressed`.
        public static let deflateBytes = "websocket.deflate.bytes"
        /// Counter: Close frames, by direction and code.
        public static let closeFrames = "websocket.close.frames"
        /// Gauge: bytes waiting for peers that read more slowly than the connection writes
        /// (connections over their outbound budget, sampled as they cross it and as they write).
        public static let outboundQueuedBytes = "websocket.outbound.queued.bytes"
        /// Counter: times a connection's outbound queue went over its budget (reading stopped).
        public static let outboundOverBudget = "websocket.outbound.over_budget"
        /// Histogram (seconds): the round trip of keepalive Pings.
        public static let keepAliveRoundTrip = "websocket.keepalive.round_trip"
        /// Gauge: members of ``WebSocketGroup``s, by ``Label/group``.
        public static let groupMembers = "websocket.group.members"
        /// Counter: messages a group's slow members missed or members closed as slow, by
        /// ``Label/group`` and ``Label/slowMemberAction``.
        public static let groupSlowMembers = "websocket.group.slow_members"
        /// Histogram (seconds): client connections, from the call to the open WebSocket.
        public static let clientConnectDuration = "websocket.client.connect.duration"
        /// Counter: client connections that failed, by ``Label/errorType`` (the stage).
        public static let clientConnectFailures = "websocket.client.connect.failures"
        /// Counter: topic messages through a backplane (WSTopics, WSRedis), by direction:
        /// `transmit` published to the other nodes, `receive` from them.
        public static let backplaneMessages = "websocket.backplane.messages"
        /// Counter: topic messages a backplane dropped, by ``Label/dropReason``: at most once.
        public static let backplaneDropped = "websocket.backplane.dropped"
        /// Gauge: a backplane's connections to its engine that are up (WSRedis: two per Redis
        /// node, one to publish and one to subscribe).
        public static let backplaneConnections = "websocket.backplane.connections"
        /// Counter: a backplane's reconnections to its engine after a connection was lost.
        public static let backplaneReconnects = "websocket.backplane.reconnects"
    }

    /// The labels (dimensions) of the instruments.
    public enum Label {
        /// `server` or `client`.
        public static let role = "websocket.role"
        /// `receive` or `transmit` (OpenTelemetry's `network.io.direction`).
        public static let direction = "network.io.direction"
        /// `text` or `binary`.
        public static let messageType = "websocket.message.type"
        /// A close code (`1000`), or `none` for a Close without one.
        public static let closeCode = "websocket.close.code"
        /// `compressed` or `uncompressed`.
        public static let deflateForm = "websocket.deflate.form"
        /// Why a connection was refused: the HTTP status of a refused upgrade (`400`, `403`,
        /// `426`, `429`, `431`, `503`, or the user's own), `filter` (the connection filter),
        /// `pending_limit` (dropped to make room under `maxPendingConnections`) or
        /// `handshake_timeout`.
        public static let refusal = "websocket.refusal.reason"
        /// A failure's cause: a `TLSError` kind, or a client's stage (`invalid_url`,
        /// `connect`, `connect_timeout`, `proxy`, `tls`, `upgrade_refused`, `handshake`,
        /// `handshake_timeout`).
        public static let errorType = "error.type"
        /// `GET`, `POST`…
        public static let method = "http.request.method"
        /// `101`, `200`, `404`…
        public static let statusCode = "http.response.status_code"
        /// The group's name.
        public static let group = "websocket.group"
        /// `skipped` (a message missed) or `closed` (the member closed with 1008).
        public static let slowMemberAction = "websocket.group.action"
        /// Why a backplane dropped a message: `disconnected` (its engine was unreachable),
        /// `over_limit` (more was waiting to be sent than its bound), `rejected` (the engine
        /// answered with an error), `malformed` (what came from it was not a topic message).
        public static let dropReason = "websocket.backplane.drop.reason"
    }

    /// What kind of instrument a name is.
    public enum InstrumentKind: String, Sendable {
        /// Only goes up (a swift-metrics `Counter`).
        case counter
        /// Goes up and down (a swift-metrics `Meter`).
        case gauge
        /// A distribution of durations, in seconds (a swift-metrics `Timer`).
        case histogram
    }

    /// One instrument of the table.
    public struct Instrument: Sendable {
        /// Its swift-metrics label.
        public let name: String
        /// Counter, gauge or histogram.
        public let kind: InstrumentKind
        /// `By` (bytes), `s` (seconds) or `{connection}`-style counts, as OpenTelemetry writes units.
        public let unit: String
        /// The labels it carries, besides the user's own dimensions.
        public let labels: [String]
    }

    /// Every instrument, with its kind, unit and labels: the table of Docs/Metrics.md.
    public static let instruments: [Instrument] = [
        Instrument(name: Name.connectionsAccepted, kind: .counter, unit: "{connection}", labels: []),
        Instrument(name: Name.connectionsRefused, kind: .counter, unit: "{connection}", labels: [Label.refusal]),
        Instrument(name: Name.httpRequestDuration, kind: .histogram, unit: "s", labels: [Label.method, Label.statusCode]),
        Instrument(name: Name.tlsHandshakeFailures, kind: .counter, unit: "{handshake}", labels: [Label.role, Label.errorType]),
        Instrument(name: Name.activeConnections, kind: .gauge, unit: "{connection}", labels: [Label.role]),
        Instrument(name: Name.connectionDuration, kind: .histogram, unit: "s", labels: [Label.role, Label.closeCode]),
        Instrument(name: Name.messages, kind: .counter, unit: "{message}", labels: [Label.role, Label.direction, Label.messageType]),
        Instrument(name: Name.messageBytes, kind: .counter, unit: "By", labels: [Label.role, Label.direction, Label.messageType]),
        Instrument(name: Name.wireBytes, kind: .counter, unit: "By", labels: [Label.role, Label.direction]),
        Instrument(name: Name.deflateBytes, kind: .counter, unit: "By", labels: [Label.role, Label.direction, Label.deflateForm]),
        Instrument(name: Name.closeFrames, kind: .counter, unit: "{frame}", labels: [Label.role, Label.direction, Label.closeCode]),
        Instrument(name: Name.outboundQueuedBytes, kind: .gauge, unit: "By", labels: [Label.role]),
        Instrument(name: Name.outboundOverBudget, kind: .counter, unit: "{event}", labels: [Label.role]),
        Instrument(name: Name.keepAliveRoundTrip, kind: .histogram, unit: "s", labels: [Label.role]),
        Instrument(name: Name.groupMembers, kind: .gauge, unit: "{connection}", labels: [Label.group]),
        Instrument(name: Name.groupSlowMembers, kind: .counter, unit: "{event}", labels: [Label.group, Label.slowMemberAction]),
        Instrument(name: Name.clientConnectDuration, kind: .histogram, unit: "s", labels: []),
        Instrument(name: Name.clientConnectFailures, kind: .counter, unit: "{connection}", labels: [Label.errorType]),
        Instrument(name: Name.backplaneMessages, kind: .counter, unit: "{message}", labels: [Label.direction]),
        Instrument(name: Name.backplaneDropped, kind: .counter, unit: "{message}", labels: [Label.dropReason]),
        Instrument(name: Name.backplaneConnections, kind: .gauge, unit: "{connection}", labels: []),
        Instrument(name: Name.backplaneReconnects, kind: .counter, unit: "{connection}", labels: []),
    ]

    /// The name Prometheus knows an instrument by, as OpenTelemetry's Prometheus exporter
    /// writes it: dots become underscores, a counter ends in `_total`, a histogram of
    /// durations in `_seconds`, and a gauge of bytes in `_bytes` once. A name that is not one
    /// of ``instruments`` only has its dots replaced.
    ///
    /// Give it to `PrometheusMetricsFactory.nameAndLabelSanitizer` so that labels lose their
    /// dots too: ``prometheusLabels(_:)``.
    public static func prometheusName(_ name: String) -> String {
        let base = name.replacingDots()
        guard let instrument = instrumentsByName[name] else { return base }
        switch instrument.kind {
        case .counter: return base + "_total"
        case .histogram: return base.hasSuffix("_seconds") ? base : base + "_seconds"
        case .gauge: return base
        }
    }

    /// The labels with their names as Prometheus allows them (dots become underscores).
    public static func prometheusLabels(_ labels: [(String, String)]) -> [(String, String)] {
        labels.map { ($0.0.replacingDots(), $0.1) }
    }

    private static let instrumentsByName = Dictionary(uniqueKeysWithValues: instruments.map { ($0.name, $0) })
}

extension String {
    fileprivate func replacingDots() -> String {
        String(unicodeScalars.map { $0 == "." ? "_" : Character($0) })
    }
}
