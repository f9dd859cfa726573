// A WebSocket echo whose metrics and spans go to an OpenTelemetry collector over OTLP/HTTP
// (protobuf), through swift-otel. Where they go comes from OpenTelemetry's own environment
// variables: OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318), OTEL_SERVICE_NAME…
//
//     OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
//         swift run --package-path Examples/OTel OTelEchoServer [--port 8080]   (0 for a free one)
import Foundation
import Logging
import OTel
import ServiceLifecycle
import WSServer

let arguments = CommandLine.arguments
var port = 8080
if let flag = arguments.firstIndex(of: "--port") {
    guard flag + 1 < arguments.count, let given = Int(arguments[flag + 1]) else {
        FileHandle.standardError.write(Data("usage: OTelEchoServer [--port N]   (default 8080; 0 for a free one)\n".utf8))
        exit(2)
    }
    port = given
}

// swift-otel becomes the backend of swift-metrics and swift-distributed-tracing, which this
// library records into: nothing else to set on the server.
var otel = OTel.Configuration.default
otel.serviceName = "otel-echo-server"                        // OTEL_SERVICE_NAME overrides it
otel.logs.enabled = false                                    // metrics and traces only
otel.metrics.otlpExporter.protocol = .httpProtobuf
otel.traces.otlpExporter.protocol = .httpProtobuf
otel.metrics.exportInterval = .seconds(1)                    // OpenTelemetry's default is 60 s
otel.traces.batchSpanProcessor.scheduleDelay = .seconds(1)   // and 5 s
let observability = try OTel.bootstrap(configuration: otel)

let server = WebSocketServer(host: "127.0.0.1", port: port, handlers: WebSocketServerHandlers(
    upgraded: { webSocket in
        for await message in webSocket.messages {
            guard await webSocket.sendGuarded(message) else { break }
        }
    }))
try await server.start()
// Written at once: standard output may be a pipe.
FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(server.listeningPort ?? port)\n".utf8))

// SIGTERM or SIGINT stops the server first (WebSocket clients get 1001), then swift-otel,
// which exports what is left: a group stops its services in reverse order.
let services = ServiceGroup(configuration: .init(
    services: [observability, server], gracefulShutdownSignals: [.sigterm, .sigint],
    logger: Logger(label: "OTelEchoServer")))
try await services.run()
