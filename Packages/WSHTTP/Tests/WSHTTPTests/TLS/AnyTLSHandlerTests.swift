import NIOCore
import Testing
import WSFraming
@testable import WSHTTP
import WSTLS

/// WSHTTP's pipelines take any TLS handler: what they ask of one is in `WebSocketTLS`. These
/// tests hand them WSTLS's handler as a user would hand them another library's (SwiftNIO
/// SSL's: Examples/NIOSSLServer runs that one), without the conveniences of `.openSSL`.
@Suite("wss with a TLS handler of the user's: WebSocketTLS", .timeLimit(.minutes(2)))
struct AnyTLSHandlerTests {
    let certificates = TestCertificates.shared

    /// The handler alone: no connection facts, no failures recognised.
    func bare(_ server: TLSServerContext) -> WebSocketTLS { WebSocketTLS { _ in TLSHandler(server: server) } }
    func bare(_ client: TLSClientContext) -> WebSocketTLS {
        WebSocketTLS { serverHostname in TLSHandler(client: client, serverHostname: serverHostname) }
    }

    @Test("a handler given only by its maker: messages go both ways; the handshake facts have no TLS entry")
    func handlerOnly() async throws {
        let serverFacts = LockedBox<String>()
        let server = try await TestServer.start(
            anyTLS: bare(try TLSServerContext(certificates.server())),
            handlers: WebSocketServerHandlers(upgraded: { webSocket in
                serverFacts.set(webSocket.handshake.tls == nil ? "no facts" : "facts")
                for await message in webSocket.messages { try? await webSocket.send(message) }
            }))
        let client = try await connect(port: server.port, anyTLS: bare(try TLSClientContext(certificates.client())), host: "localhost")
        #expect(client.handshake.tls == nil)
        try await client.send(text: "through a handler of my own")
        #expect(try await client.receive() == .text("through a handler of my own"))
        #expect(await client.close() == CloseOutcome(code: .normalClosure, wasClean: true))
        #expect(serverFacts.value == "no facts")
        await server.stop()
    }

    @Test("the client's server name reaches the maker: the pipeline's default is the handshake's host, serverHostname overrides it")
    func serverNameReachesMaker() async throws {
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoHandlers)
        let seen = LockedBox<String>()
        let context = try TLSClientContext(certificates.client())
        let recording = WebSocketTLS { serverHostname in
            seen.set(serverHostname ?? "nil")
            return TLSHandler(client: context, serverHostname: serverHostname)
        }
        let client = try await connect(port: server.port, anyTLS: recording, host: "localhost")
        #expect(seen.value == "localhost")
        await client.close()
        await server.stop()
    }

    @Test("connectionInfo and isTLSFailure, when given, fill the handshake's facts and make a refused certificate tlsFailed")
    func factsAndFailures() async throws {
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server("expired")), handlers: echoHandlers)
        let context = try TLSClientContext(certificates.client())
        // Without isTLSFailure, the refusal is a failed handshake that names the error.
        let plain = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: server.port, anyTLS: bare(context), host: "localhost")
        }
        #expect(plain?.code == .handshakeFailed)
        #expect(plain?.message.contains("expired") == true, "\(String(describing: plain))")
        // With it, tlsFailed, and the handler's own error kept.
        let described = WebSocketTLS(
            connectionInfo: { pipeline in (try? pipeline.handler(type: TLSHandler.self))?.connectionInfo },
            isTLSFailure: { $0 is TLSError }) { serverHostname in TLSHandler(client: context, serverHostname: serverHostname) }
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: server.port, anyTLS: described, host: "localhost")
        }
        #expect(error?.code == .tlsFailed)
        #expect((error?.tlsFailure as? TLSError)?.kind == .certificateExpired)
        await server.stop()

        let good = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoHandlers)
        let client = try await connect(port: good.port, anyTLS: described, host: "localhost")
        #expect(client.handshake.tls?.version == .tls13)
        #expect(client.handshake.tls?.peerCertificateSubject == "CN=localhost")
        await client.close()
        await good.stop()
    }

    @Test("a maker that throws: the client's connect fails with tlsFailed and its error; the server drops each connection and keeps accepting")
    func makerThrows() async throws {
        struct NoCertificate: Error {}
        let plain = try await TestServer.start(handlers: echoHandlers)
        let clientError = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: plain.port, anyTLS: WebSocketTLS { _ in throw NoCertificate() })
        }
        #expect(clientError?.code == .tlsFailed)
        #expect(clientError?.tlsFailure is NoCertificate)
        await plain.stop()

        let failing = try await TestServer.start(anyTLS: WebSocketTLS { _ in throw NoCertificate() }, handlers: echoHandlers)
        // Each connection is dropped as it is accepted; the listener keeps accepting.
        for _ in 0..<3 {
            let serverError = await #expect(throws: WebSocketError.self) {
                _ = try await connect(port: failing.port, anyTLS: bare(try TLSClientContext(certificates.client())), host: "localhost")
            }
            #expect(serverError?.code == .handshakeFailed, "\(String(describing: serverError))")
        }
        await failing.stop()
    }
}
