import ArgumentParser
import CoreMetrics
import Logging
import Prometheus
import WSServer

/// `serve`'s metrics: the demo page's charts always (unless `--no-metrics`), and with
/// `--metrics` the Prometheus text format at `GET /metrics`, on the server's port or on
/// `--metrics-port`.
struct ServeMetricsOptions: ParsableArguments {
    @Flag(name: .customLong("metrics"), help: "Serve Prometheus metrics at GET /metrics on the server's port.")
    var prometheus = false

    @Option(name: .customLong("metrics-port"),
            help: ArgumentHelp("Serve GET /metrics on this port instead (127.0.0.1 unless --host says otherwise); implies --metrics.",
                               valueName: "port"))
    var port: Int?

    @Flag(name: .customLong("no-metrics"), help: "Record no metrics: no /metrics, and the page's charts stay empty.")
    var disabled = false

    func validate() throws {
        if disabled, prometheus || port != nil { throw ValidationError("--no-metrics cannot go with --metrics or --metrics-port") }
        if let port, !(1...65535).contains(port) { throw ValidationError("--metrics-port must be 1 to 65535") }
    }

    /// Whether `/metrics` is served.
    var servesPrometheus: Bool { prometheus || port != nil }
}

/// What `serve` records into, once bootstrapped.
struct ServeMetrics {
    /// The page's numbers; nil with `--no-metrics`.
    let dashboard: DashboardMetrics?
    /// Prometheus's registry, with `--metrics`.
    let registry: PrometheusCollectorRegistry?

    /// Bootstraps swift-metrics for the process (it can be done once): the dashboard's
    /// backend, and Prometheus's beside it with `--metrics`.
    static func bootstrap(_ options: ServeMetricsOptions) -> ServeMetrics {
        guard !options.disabled else { return ServeMetrics(dashboard: nil, registry: nil) }
        let dashboard = DashboardMetrics()
        guard options.servesPrometheus else {
            MetricsSystem.bootstrap(dashboard)
            return ServeMetrics(dashboard: dashboard, registry: nil)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(MultiplexMetricsHandler(factories: [prometheusFactory(registry), dashboard]))
        return ServeMetrics(dashboard: dashboard, registry: registry)
    }

    /// Prometheus's factory with OpenTelemetry's names (`websocket_messages_total`) and buckets
    /// fine enough for loopback: from 100 µs; a connection's life up to a day.
    static func prometheusFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { (WebSocketMetrics.prometheusName($0), WebSocketMetrics.prometheusLabels($1)) }
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5), .seconds(10),
        ]
        factory.durationHistogramBuckets[WebSocketMetrics.prometheusName(WebSocketMetrics.Name.connectionDuration)] = [
            .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(600), .seconds(3600), .seconds(86400),
        ]
        return factory
    }

    /// The answer to `GET /metrics`: the registry in Prometheus's text format.
    static func response(_ registry: PrometheusCollectorRegistry) -> (HTTPResponse, [UInt8]) {
        (HTTPResponse(status: .ok, headerFields: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-cache"]),
         registry.emitToBuffer())
    }

    /// A server of its own for `--metrics-port`: `GET /metrics` and nothing else; its own
    /// requests are not counted.
    static func separateServer(host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger) -> WebSocketServer {
        var configuration = WebSocketServer.Configuration()
        configuration.webSocket.metrics = .disabled
        return WebSocketServer(host: host, port: port, configuration: configuration, logger: logger, handlers: WebSocketServerHandlers(
            http: { request, _ in
                request.path == "/metrics" ? response(registry)
                    : (HTTPResponse(status: .notFound, headerFields: [.contentType: "text/plain; charset=utf-8"]), Array("only /metrics here\n".utf8))
            },
            shouldUpgradeOnLoop: { _ in .refuse(HTTPResponse(status: .notFound)) }))
    }
}
