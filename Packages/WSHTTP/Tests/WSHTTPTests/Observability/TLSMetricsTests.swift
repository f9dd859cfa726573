import MetricsTestKit
import Testing
import WSFraming
@_spi(WSInternal) @testable import WSHTTP
import WSTLS

@Suite("Metrics of TLS: failed handshakes by cause, on both sides", .timeLimit(.minutes(1)))
struct TLSMetricsTests {
    let certificates = TestCertificates.shared

    @Test("an untrusted certificate: the client counts unknownCA; the server counts the alert it was sent")
    func unknownCA() async throws {
        let probe = MetricsProbe()
        let configuration = probe.configuration
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server("untrusted")), configuration: configuration,
                                                handlers: echoHandlers)
        await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost",
                                  configuration: configuration)
        }
        #expect(probe.counter(Name.tlsHandshakeFailures, [(Label.role, "client"), (Label.errorType, "unknownCA")]) == 1)
        #expect(try await eventually { probe.counter(Name.tlsHandshakeFailures, [(Label.role, "server")]) == 1 })
        // The failure never became a WebSocket, and it is no HTTP request either.
        #expect(probe.gauge(Name.activeConnections) == 0)
        #expect(probe.timings(Name.httpRequestDuration).isEmpty)
        await server.stop()
    }

    @Test("a peer that speaks plain HTTP to a TLS port is a TLS failure of the server's, by its cause")
    func notTLS() async throws {
        let probe = MetricsProbe()
        let configuration = probe.configuration
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), configuration: configuration,
                                                handlers: echoHandlers)
        _ = try await rawExchange(port: server.port, upgradeRequest(port: server.port))
        #expect(try await eventually { probe.counter(Name.tlsHandshakeFailures, [(Label.role, "server")]) == 1 })
        let causes = probe.backend.counters(label: Name.tlsHandshakeFailures).compactMap { counter in
            counter.dimensions.first { $0.0 == Label.errorType }?.1
        }
        #expect(causes.allSatisfy { !$0.isEmpty && $0 != "TLSError" }, "\(causes)")
        await server.stop()
    }
}
