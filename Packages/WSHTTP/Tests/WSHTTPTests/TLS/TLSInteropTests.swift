import Foundation
import NIOCore
import NIOPosix
import Testing
import WSFraming
import WSHandshake
@testable import WSHTTP
import WSTLS

/// Our TLS against TLS stacks that are not ours, over loopback: `openssl s_client` and
/// `openssl s_server` (the system's OpenSSL, driven through their standard input and output),
/// and Python's `websockets` over its `ssl` module (`Tests/Interop/python/ws_peer.py`, in the venv of
/// `Scripts/interop-env.sh`). Every peer verifies certificates against the test CA. A missing
/// venv or `openssl` fails each test with what to do; nothing is skipped.
@Suite("wss interop: our TLS with openssl s_client, s_server and Python's websockets", .timeLimit(.minutes(2)))
struct TLSInteropTests {
    let certificates = TestCertificates.shared

    // MARK: Our server, openssl s_client

    @Test("openssl s_client and our wss server: the 101, an echoed unmasked text frame, and a Close answered, with ALPN (RFC 6455 §4.2.2, §5.1, §5.5.1)",
          arguments: [TLSVersion.tls12, .tls13])
    func sClientEcho(version: TLSVersion) async throws {
        let facts = LockedBox<TLSConnectionInfo>()
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoRecording(facts))
        let client = try sClient(port: server.port, extra: [version == .tls12 ? "-tls1_2" : "-tls1_3"])
        defer { client.terminate() }

        try await client.write(upgradeRequest(port: server.port) + maskedFrame(.text, Array("héllo over s_client".utf8)))
        let echoed = try await client.output("the 101 and one frame") { Frames($0.afterHead).frames.count >= 1 }
        let head = HTTPHead(echoed)
        #expect(head.statusLine == "HTTP/1.1 101 Switching Protocols")
        // The key is RFC 6455 §1.3's example, so the accept is the RFC's too.
        #expect(head["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(Frames(echoed.afterHead).frames == [Frame(.text, Array("héllo over s_client".utf8))])

        // Our server answers the Close and closes TCP, with close_notify: s_client ends cleanly.
        try await client.write(maskedFrame(.close, CloseFrame(code: .normalClosure).encoded))
        #expect(try await client.exitStatus() == 0, "\(client.failure("exit status"))")
        let all = Frames(client.standardOutputBytes.afterHead)
        #expect(all.frames == [Frame(.text, Array("héllo over s_client".utf8)),
                               Frame(.close, CloseFrame(code: .normalClosure).encoded)])
        #expect(all.leftover == 0)
        let tls = try #require(facts.value)
        #expect(tls.version == version)
        #expect(tls.applicationProtocol == "http/1.1")
        #expect(tls.serverName == "localhost")
        #expect(tls.peerCertificateSubject == nil)
        await server.stop()
    }

    @Test("a TLS 1.3 KeyUpdate from openssl s_client, asking for ours: the connection goes on with new keys (RFC 8446 §4.6.3)")
    func sClientKeyUpdate() async throws {
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoHandlers)
        let client = try sClient(port: server.port, extra: ["-tls1_3"], commands: true)
        defer { client.terminate() }

        try await client.write(upgradeRequest(port: server.port) + maskedFrame(.text, Array("before".utf8)))
        _ = try await client.output("the 101 and one frame") { Frames($0.fromResponse.afterHead).frames.count >= 1 }
        // "K": a KeyUpdate with update_requested.
        try await client.write(Array("K\n".utf8))
        // s_client says so on standard error once it has sent it; what else it read with the
        // "K" it drops, so the next frame waits for that.
        _ = try await client.output("KEYUPDATE", on: .standardError) { $0.text.contains("KEYUPDATE") }
        try await client.write(maskedFrame(.text, Array("after".utf8)))
        let echoed = try await client.output("two frames") { Frames($0.fromResponse.afterHead).frames.count >= 2 }
        #expect(Frames(echoed.fromResponse.afterHead).frames == [Frame(.text, Array("before".utf8)), Frame(.text, Array("after".utf8))])
        await server.stop()
    }

    @Test("a TLS 1.2 renegotiation from openssl s_client is refused: s_client fails with no_renegotiation, our side ends with 1006 and no hang")
    func sClientRenegotiation() async throws {
        let outcome = LockedBox<CloseOutcome>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server()),
            handlers: WebSocketServerHandlers(upgraded: { webSocket in
                for await message in webSocket.messages { try? await webSocket.send(message) }
                outcome.set(await webSocket.closed())
            }))
        let client = try sClient(port: server.port, extra: ["-tls1_2"], commands: true)
        defer { client.terminate() }

        try await client.write(upgradeRequest(port: server.port) + maskedFrame(.text, Array("before".utf8)))
        let echoed = try await client.output("the 101 and one frame") { Frames($0.fromResponse.afterHead).frames.count >= 1 }
        #expect(Frames(echoed.fromResponse.afterHead).frames == [Frame(.text, Array("before".utf8))])
        try await client.write(Array("R\n".utf8))
        #expect(try await client.exitStatus() != 0)
        #expect(client.standardError.contains("RENEGOTIATING"), "\(client.failure("did not renegotiate"))")
        #expect(client.standardError.contains("no renegotiation"), "\(client.failure("no \"no renegotiation\""))")
        let deadline = ContinuousClock.now + .seconds(10)
        while outcome.value == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let result = try #require(outcome.value)
        #expect(result.code == .abnormalClosure)
        #expect(result.wasClean == false)
        await server.stop()
    }

    @Test("openssl s_client that ends TLS (close_notify) without a Close: 1006 on our side at once, not after a timeout (RFC 6455 §7.1.5)")
    func sClientQuits() async throws {
        let outcome = LockedBox<CloseOutcome>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server()),
            handlers: WebSocketServerHandlers(upgraded: { webSocket in
                for await message in webSocket.messages { try? await webSocket.send(message) }
                outcome.set(await webSocket.closed())
            }))
        let client = try sClient(port: server.port, commands: true)
        defer { client.terminate() }

        try await client.write(upgradeRequest(port: server.port) + maskedFrame(.text, Array("before".utf8)))
        _ = try await client.output("the 101 and one frame") { Frames($0.fromResponse.afterHead).frames.count >= 1 }
        // "Q": close_notify, then s_client closes the socket.
        try await client.write(Array("Q\n".utf8))
        #expect(try await client.exitStatus() == 0)
        let deadline = ContinuousClock.now + .seconds(2)
        while outcome.value == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let result = try #require(outcome.value, "no outcome within 2 s")
        #expect(result.code == .abnormalClosure)
        #expect(result.wasClean == false)
        await server.stop()
    }

    @Test("openssl s_client that offers only h2: no ALPN answer, and the upgrade goes on (RFC 7301 §3.2)")
    func sClientOtherProtocol() async throws {
        let facts = LockedBox<TLSConnectionInfo>()
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoRecording(facts))
        let client = try sClient(port: server.port, alpn: "h2")
        defer { client.terminate() }

        try await client.write(upgradeRequest(port: server.port) + maskedFrame(.text, Array("no ALPN".utf8)))
        let echoed = try await client.output("the 101 and one frame") { Frames($0.afterHead).frames.count >= 1 }
        #expect(Frames(echoed.afterHead).frames == [Frame(.text, Array("no ALPN".utf8))])
        let tls = try #require(facts.value)
        #expect(tls.applicationProtocol == nil)
        await server.stop()
    }

    @Test("mutual TLS: openssl s_client with a certificate from the CA is accepted, and our server names it")
    func sClientMutualAccepted() async throws {
        let facts = LockedBox<TLSConnectionInfo>()
        let server = try await TestServer.start(tls: try mutualTLS(), handlers: echoRecording(facts))
        let client = try sClient(port: server.port,
                                 extra: ["-cert", certificates.path("client.pem"), "-key", certificates.path("client.key")])
        defer { client.terminate() }

        try await client.write(upgradeRequest(port: server.port) + maskedFrame(.binary, [0, 1, 0xFE, 0xFF]))
        let echoed = try await client.output("the 101 and one frame") { Frames($0.afterHead).frames.count >= 1 }
        #expect(HTTPHead(echoed).statusLine == "HTTP/1.1 101 Switching Protocols")
        #expect(Frames(echoed.afterHead).frames == [Frame(.binary, [0, 1, 0xFE, 0xFF])])
        #expect(facts.value?.peerCertificateSubject == "CN=test-client")
        await server.stop()
    }

    @Test("mutual TLS: openssl s_client without a certificate, or with one from another CA, is refused with its alert and gets no answer", arguments: [
        (nil, "certificate required"),
        ("untrusted-client", "unknown ca"),
    ] as [(String?, String)])
    func sClientMutualRefused(clientCertificate: String?, alert: String) async throws {
        let reached = LockedBox<String>()
        let server = try await TestServer.start(
            tls: try mutualTLS(),
            handlers: WebSocketServerHandlers(http: { request, _ in
                reached.set("request \(request.path ?? "")")
                return (HTTPResponse(status: .ok), [])
            }, upgraded: { _ in reached.set("upgraded") }))
        let identity = clientCertificate.map { ["-cert", certificates.path("\($0).pem"), "-key", certificates.path("\($0).key")] }
        let client = try sClient(port: server.port, extra: identity ?? [])
        defer { client.terminate() }

        // In TLS 1.3 the client has finished its handshake before the server checks its
        // certificate: s_client sends the request, and learns of the refusal as it reads.
        try? await client.write(upgradeRequest(port: server.port))
        let status = try await client.exitStatus()
        #expect(status != 0)
        #expect(client.standardError.contains(alert), "\(client.failure("no \"\(alert)\" alert"))")
        #expect(client.standardOutput.isEmpty, "\(client.standardOutput)")
        #expect(reached.value == nil)
        await server.stop()
    }

    // MARK: Our server, Python's websockets client

    @Test("Python's websockets client over ssl, verifying: echoes and its Close 4000, clean; a client that trusts another CA gets nowhere (RFC 6455 §5.5, §7)")
    func pythonClient() async throws {
        let (outcomes, outcomeSink) = AsyncStream.makeStream(of: CloseOutcome.self)
        let facts = LockedBox<TLSConnectionInfo>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server()),
            handlers: WebSocketServerHandlers(
                shouldUpgrade: { request in .accept(subprotocol: request.subprotocol(choosingFrom: ["chat"])) },
                upgraded: { webSocket in
                    facts.set(webSocket.handshake.tls)
                    for await message in webSocket.messages { try? await webSocket.send(message) }
                    outcomeSink.yield(await webSocket.closed())
                }))
        let url = "wss://localhost:\(server.port)/interop"

        let stranger = try PeerProcess.python(script: "ws_peer.py",
                                              arguments: ["client", "--url", url, "--ca", certificates.path("untrusted-ca.pem")])
        defer { stranger.terminate() }
        #expect(try await stranger.exitStatus() == 1)
        #expect(stranger.standardError.contains("CERTIFICATE_VERIFY_FAILED"), "\(stranger.failure("no verification failure"))")

        let python = try PeerProcess.python(script: "ws_peer.py",
                                            arguments: ["client", "--url", url, "--ca", certificates.path("ca.pem")])
        defer { python.terminate() }
        let status = try await python.exitStatus()
        try #require(status == 0, "\(python.failure("exited with \(status)"))")
        let results = try snakeCaseDecoder.decode(PythonClientResults.self, from: Data(python.standardOutput.utf8))
        #expect(results.tlsVersion == "TLSv1.3")
        #expect(results.alpn == "http/1.1")
        #expect(results.subprotocol == "chat")
        #expect(results.text == "héllo ✓")
        #expect(results.largeLength == 1 << 20)
        #expect(results.fragmentedText == "Hello, fragments ✓")
        #expect(results.closeCode == 4000)
        #expect(results.closeSeconds < 5)
        let outcome = try await firstElement(of: outcomes, within: .seconds(10))
        #expect(outcome == CloseOutcome(code: CloseCode(4000), reason: "bye", wasClean: true))
        #expect(facts.value?.serverName == "localhost")
        #expect(facts.value?.applicationProtocol == "http/1.1")
        await server.stop()
    }

    // MARK: Our client, Python's websockets server

    @Test("our client and Python's websockets wss server: text, binary, 1 MiB, and a clean close (RFC 6455 §5.6, §7)")
    func pythonServer() async throws {
        let python = try PeerProcess.python(script: "ws_peer.py", arguments: [
            "server", "--port", "0", "--cert", certificates.path("server.pem"), "--key", certificates.path("server.key"),
        ])
        defer { python.terminate() }
        let port = try #require(Int(try await python.line(startingWith: "PORT ")))

        let client = try await connect(port: port, target: "/tls", tls: try TLSClientContext(certificates.client()), host: "localhost")
        let tls = try #require(client.handshake.tls)
        #expect(tls.version == .tls13)
        #expect(tls.applicationProtocol == "http/1.1")
        #expect(tls.peerCertificateSubject == "CN=localhost")
        try await client.send(text: "héllo over ssl ✓")
        #expect(try await client.receive() == .text("héllo over ssl ✓"))
        try await client.send(binary: Array(0...255))
        #expect(try await client.receive() == .binary(Array(0...255)))
        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try await client.send(binary: large)
        #expect(try await client.receive() == .binary(large))

        let outcome = await client.close(code: CloseCode(4001), reason: "done")
        #expect(outcome == CloseOutcome(code: CloseCode(4001), reason: "done", wasClean: true))
        let closed = try await python.line(startingWith: "CLOSED ")
        let seen = try snakeCaseDecoder.decode(PythonServerClose.self, from: Data(closed.utf8))
        #expect(seen == PythonServerClose(path: "/tls", closeCode: 4001, closeReason: "done"))
    }

    // MARK: Our client, openssl s_server

    @Test("our client and openssl s_server: the request after verification, a hand-written 101 and text frame, a masked reply, and a close (RFC 6455 §4.1, §5.3)",
          arguments: [TLSVersion.tls12, .tls13])
    func sServer(version: TLSVersion) async throws {
        let (server, port) = try await startSServer(certificate: "server", extra: [version == .tls12 ? "-tls1_2" : "-tls1_3"])
        defer { server.terminate() }
        var configuration = WebSocket.Configuration()
        // s_server does not close TCP after the close handshake: our client does, this soon
        // (long enough for the test to answer our Close on a loaded machine first).
        configuration.closeTimeout = .seconds(3)
        let upgrading = try await startUpgrade(port: port, tls: try TLSClientContext(certificates.client()),
                                               configuration: configuration)

        let received = try await server.output("the upgrade request") { $0.requestBytes != nil }
        let request = try #require(received.requestBytes)
        let head = HTTPHead(request)
        #expect(head.statusLine == "GET /s_server HTTP/1.1")
        #expect(head["host"] == "localhost:\(port)")
        #expect(head["sec-websocket-key"] == Self.key)
        #expect(head["upgrade"]?.lowercased() == "websocket")
        #expect(head["sec-websocket-version"] == "13")

        try await server.write(switchingProtocols + unmaskedFrame(.text, Array("hello from s_server".utf8)))
        let client = try await upgrading.get()
        #expect(client.handshake.tls?.version == version)
        #expect(client.handshake.tls?.applicationProtocol == "http/1.1")
        #expect(client.handshake.tls?.peerCertificateSubject == "CN=localhost")
        #expect(try await client.receive() == .text("hello from s_server"))

        try await client.send(text: "and back ✓")
        let sent = try await server.output("our text frame") { Frames($0.afterRequest).frames.count >= 1 }
        let frames = Frames(sent.afterRequest)
        #expect(frames.frames == [Frame(.text, Array("and back ✓".utf8), masked: true)])

        async let closing = client.close()
        _ = try await server.output("our Close") { Frames($0.afterRequest).frames.count >= 2 }
        let close = CloseFrame(code: .normalClosure).encoded
        #expect(Frames(server.standardOutputBytes.afterRequest).frames.last == Frame(.close, close, masked: true))
        try await server.write(unmaskedFrame(.close, close))
        #expect(await closing == CloseOutcome(code: .normalClosure, wasClean: true))
        #expect(try await server.exitStatus() == 0)
    }

    @Test("our client refuses s_server's bad certificate with its reason and alert, and s_server got no application data", arguments: [
        ("expired", TLSError.Kind.certificateExpired, "alert certificate expired"),
        ("otherhost", .hostnameMismatch, "alert bad certificate"),
        ("untrusted", .unknownCA, "alert unknown ca"),
    ])
    func sServerRefusals(certificate: String, kind: TLSError.Kind, alert: String) async throws {
        let (server, port) = try await startSServer(certificate: certificate)
        defer { server.terminate() }
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: port, tls: try TLSClientContext(certificates.client()), host: "localhost")
        }
        #expect(error?.code == .tlsFailed)
        #expect(error?.tlsError?.kind == kind, "\(String(describing: error))")
        // s_server serves one connection (-naccept 1), so when it has exited its output is whole.
        #expect(try await server.exitStatus() == 0)
        #expect(server.standardError.contains(alert), "\(server.failure("no \"\(alert)\""))")
        #expect(server.standardOutput.contains("0 server accepts that finished"), "\(server.standardOutput)")
        #expect(!server.standardOutput.contains("GET "), "\(server.standardOutput)")
    }

    @Test("our client and openssl s_server that requires a client certificate: with ours the upgrade goes through; without, certificateRefusedByPeer and no request reaches it")
    func sServerMutual() async throws {
        let requireCertificate = ["-Verify", "1", "-CAfile", certificates.path("ca.pem"), "-verify_return_error"]
        let (server, port) = try await startSServer(certificate: "server", extra: requireCertificate)
        defer { server.terminate() }
        let upgrading = try await startUpgrade(port: port, tls: try TLSClientContext(certificates.client(withCertificate: true)))
        _ = try await server.output("the upgrade request") { $0.requestBytes != nil }
        try await server.write(switchingProtocols + unmaskedFrame(.text, Array("hello, test-client".utf8)))
        let client = try await upgrading.get()
        #expect(try await client.receive() == .text("hello, test-client"))
        #expect(server.standardOutput.contains("subject=CN = test-client"), "\(server.standardOutput)")
        server.terminate()
        _ = await client.closed()

        let (refusing, refusingPort) = try await startSServer(certificate: "server", extra: requireCertificate)
        defer { refusing.terminate() }
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: refusingPort, tls: try TLSClientContext(certificates.client()), host: "localhost")
        }
        #expect(error?.tlsError?.kind == .certificateRefusedByPeer, "\(String(describing: error))")
        #expect(try await refusing.exitStatus() == 0)
        #expect(!refusing.standardOutput.contains("GET "), "\(refusing.standardOutput)")
    }
}
