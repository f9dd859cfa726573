import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import WSFraming
@testable import WSHTTP
import WSTLS

@Suite("wss: our server and our client over TLS", .timeLimit(.minutes(2)))
struct TLSLoopbackTests {
    let certificates = TestCertificates.shared

    @Test("messages of 1 B, 16 KiB, 1 MiB and 16 MiB go both ways, and the handshake facts say TLS")
    func echoSizes() async throws {
        var configuration = WebSocket.Configuration()
        configuration.maxFrameSize = 32 << 20
        configuration.maxMessageSize = 32 << 20
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()),
                                                configuration: configuration, handlers: echoHandlers)
        let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost",
                                       configuration: configuration)
        let tls = try #require(client.handshake.tls)
        #expect(tls.version == .tls13)
        #expect(tls.applicationProtocol == "http/1.1")
        #expect(tls.serverName == "localhost")
        #expect(tls.peerCertificateSubject == "CN=localhost")
        for size in [1, 16 << 10, 1 << 20, 16 << 20] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ size) }
            try await client.send(binary: payload)
            let echoed = try await client.receive()
            #expect(echoed == .binary(payload), "size \(size)")
        }
        try await client.send(text: "Hello, κόσμε")
        #expect(try await client.receive() == .text("Hello, κόσμε"))
        #expect(await client.close() == CloseOutcome(code: .normalClosure, wasClean: true))
        await server.stop()
    }

    @Test("an IP address is checked against the certificate's IP entries, with no SNI sent", arguments: ["127.0.0.1"])
    func ipAddress(host: String) async throws {
        let facts = LockedBox<TLSConnectionInfo>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server()),
            handlers: WebSocketServerHandlers(upgraded: { webSocket in
                facts.set(webSocket.handshake.tls)
                for await message in webSocket.messages { try? await webSocket.send(message) }
            }))
        let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: host)
        try await client.send(text: "over an address")
        #expect(try await client.receive() == .text("over an address"))
        await client.close()
        #expect(facts.value?.serverName == nil)
        await server.stop()
    }

    @Test("the client refuses each bad certificate with its reason", arguments: [
        ("expired", "localhost", TLSError.Kind.certificateExpired),
        ("otherhost", "localhost", .hostnameMismatch),
        ("untrusted", "localhost", .unknownCA),
        ("server", "example.com", .hostnameMismatch),
    ])
    func refusals(certificate: String, host: String, kind: TLSError.Kind) async throws {
        let received = LockedBox<String>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server(certificate)),
            handlers: WebSocketServerHandlers(http: { request, _ in
                received.set("request \(request.path ?? "")")
                return (HTTPResponse(status: .ok), [])
            }, upgraded: { _ in received.set("upgraded") }))
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: host)
        }
        #expect(error?.code == .tlsFailed)
        #expect(error?.tlsError?.kind == kind, "\(String(describing: error))")
        // Nothing was sent before verification: the server saw no request.
        try await Task.sleep(for: .milliseconds(100))
        #expect(received.value == nil)
        await server.stop()
    }

    @Test("by default a client verifies against the system's trust store, which does not know the test CA")
    func systemTrustStoreByDefault() async throws {
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoHandlers)
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: server.port, tls: try TLSClientContext(), host: "localhost")
        }
        #expect(error?.tlsError?.kind == .unknownCA, "\(String(describing: error))")
        await server.stop()
    }

    @Test("certificates and keys given as PEM bytes work as files do")
    func pemBytes() async throws {
        func bytes(_ name: String) throws -> PEMSource {
            .bytes(Array(try String(contentsOfFile: certificates.path(name), encoding: .utf8).utf8))
        }
        let server = try await TestServer.start(
            tls: try TLSServerContext(TLSServerConfiguration(certificateChain: try bytes("server.pem"), privateKey: try bytes("server.key"))),
            handlers: echoHandlers)
        let client = try await connect(port: server.port, tls: try TLSClientContext(.init(verification: .trustedCAs(try bytes("ca.pem")))),
                                       host: "localhost")
        try await client.send(text: "from bytes")
        #expect(try await client.receive() == .text("from bytes"))
        await client.close()
        await server.stop()
    }

    @Test("optional client certificates: a client without one is served, one with one is named")
    func mutualOptional() async throws {
        let facts = LockedBox<String>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server(clientCertificates: .optional(trustedCAs: certificates.file("ca.pem")))),
            handlers: WebSocketServerHandlers(upgraded: { webSocket in
                facts.set(webSocket.handshake.tls?.peerCertificateSubject ?? "none")
                for await message in webSocket.messages { try? await webSocket.send(message) }
            }))
        for (withCertificate, expected) in [(false, "none"), (true, "CN=test-client")] {
            let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client(withCertificate: withCertificate)),
                                           host: "localhost")
            try await client.send(text: "optional")
            #expect(try await client.receive() == .text("optional"))
            #expect(facts.value == expected)
            await client.close()
        }
        await server.stop()
    }

    @Test("insecureNoVerification accepts a certificate that verification would refuse")
    func insecure() async throws {
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server("untrusted")), handlers: echoHandlers)
        let client = try await connect(port: server.port, tls: try TLSClientContext(.init(verification: .insecureNoVerification)),
                                       host: "localhost")
        try await client.send(text: "unverified")
        #expect(try await client.receive() == .text("unverified"))
        await client.close()
        await server.stop()
    }

    @Test("mutual TLS: a client with a certificate from the CA is accepted and named")
    func mutualAccepted() async throws {
        let facts = LockedBox<TLSConnectionInfo>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server(clientCertificates: .required(trustedCAs: certificates.file("ca.pem")))),
            handlers: WebSocketServerHandlers(upgraded: { webSocket in
                facts.set(webSocket.handshake.tls)
                for await message in webSocket.messages { try? await webSocket.send(message) }
            }))
        let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client(withCertificate: true)),
                                       host: "localhost")
        try await client.send(text: "mutual")
        #expect(try await client.receive() == .text("mutual"))
        await client.close()
        #expect(facts.value?.peerCertificateSubject == "CN=test-client")
        await server.stop()
    }

    @Test("mutual TLS: a client without a certificate, or with one from another CA, is refused")
    func mutualRefused() async throws {
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server(clientCertificates: .required(trustedCAs: certificates.file("ca.pem")))),
            handlers: echoHandlers)
        var stranger = certificates.client()
        stranger.certificateChain = certificates.file("untrusted-client.pem")
        stranger.privateKey = certificates.file("untrusted-client.key")
        for configuration in [certificates.client(), stranger] {
            let error = await #expect(throws: WebSocketError.self) {
                _ = try await connect(port: server.port, tls: try TLSClientContext(configuration), host: "localhost")
            }
            #expect(error?.code == .tlsFailed)
            #expect(error?.tlsError?.kind == .certificateRefusedByPeer, "\(String(describing: error))")
        }
        await server.stop()
    }

    @Test("reload: new connections get the new certificate, without a restart")
    func reload() async throws {
        let context = try TLSServerContext(certificates.server())
        let server = try await TestServer.start(tls: context, handlers: echoHandlers)
        let trustsOther = TLSClientConfiguration(verification: .trustedCAs(certificates.file("untrusted-ca.pem")))
        let before = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost")
        try context.reload(certificates.server("server2"))
        let after = try await connect(port: server.port, tls: try TLSClientContext(trustsOther), host: "localhost")
        try await after.send(text: "new")
        #expect(try await after.receive() == .text("new"))
        try await before.send(text: "old")
        #expect(try await before.receive() == .text("old"))
        await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost")
        }
        // A configuration that does not load changes nothing.
        #expect(throws: TLSError.self) { try context.reload(certificates.server("missing")) }
        await before.close()
        await after.close()
        await server.stop()
    }

    @Test("configuration errors name the file and the problem")
    func configurationErrors() throws {
        let missing = #expect(throws: TLSError.self) { try TLSServerContext(certificates.server("missing")) }
        #expect(missing?.kind == .configuration)
        #expect(missing?.message.contains("missing.pem") == true)
        let mismatched = #expect(throws: TLSError.self) {
            try TLSServerContext(TLSServerConfiguration(certificateChain: certificates.file("server.pem"),
                                                        privateKey: certificates.file("client.key")))
        }
        #expect(mismatched?.message.contains("does not match") == true)
        let noPassword = #expect(throws: TLSError.self) {
            try TLSServerContext(TLSServerConfiguration(certificateChain: certificates.file("server.pem"),
                                                        privateKey: certificates.file("server-encrypted.key")))
        }
        #expect(noPassword?.message.contains("no password") == true)
        let wrongPassword = #expect(throws: TLSError.self) {
            try TLSServerContext(TLSServerConfiguration(certificateChain: certificates.file("server.pem"),
                                                        privateKey: certificates.file("server-encrypted.key"),
                                                        privateKeyPassword: "wrong"))
        }
        #expect(wrongPassword?.message.contains("wrong password") == true)
        _ = try TLSServerContext(TLSServerConfiguration(certificateChain: certificates.file("server.pem"),
                                                        privateKey: certificates.file("server-encrypted.key"),
                                                        privateKeyPassword: "secret"))
        let notPEM = #expect(throws: TLSError.self) {
            try TLSClientContext(.init(verification: .trustedCAs(.pem("not a certificate"))))
        }
        #expect(notPEM?.message.contains("no PEM certificate") == true)
    }

    @Test("a version floor the peer cannot meet fails with protocolVersion")
    func versions() async throws {
        var serverConfiguration = certificates.server()
        serverConfiguration.minimumVersion = .tls13
        let server = try await TestServer.start(tls: try TLSServerContext(serverConfiguration), handlers: echoHandlers)
        var old = certificates.client()
        old.maximumVersion = .tls12
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await connect(port: server.port, tls: try TLSClientContext(old), host: "localhost")
        }
        #expect(error?.tlsError?.kind == .protocolVersion, "\(String(describing: error))")
        var twelve = certificates.client()
        twelve.minimumVersion = .tls12
        twelve.maximumVersion = .tls12
        await server.stop()
        let server12 = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoHandlers)
        let client = try await connect(port: server12.port, tls: try TLSClientContext(twelve), host: "localhost")
        #expect(client.handshake.tls?.version == .tls12)
        try await client.send(text: "1.2")
        #expect(try await client.receive() == .text("1.2"))
        await client.close()
        await server12.stop()
    }

    @Test("garbage or plain HTTP instead of a ClientHello: the server closes, nothing crashes")
    func garbage() async throws {
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoHandlers)
        let plain = try await rawExchange(port: server.port, upgradeRequest(port: server.port), timeout: .seconds(5))
        #expect(!plain.text.contains("HTTP/1.1"))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let junk = (0..<Int.random(in: 1...2000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try await rawExchange(port: server.port, junk, timeout: .seconds(5), closeAfter: Bool.random())
        }
        // Still serving.
        let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost")
        try await client.send(text: "still here")
        #expect(try await client.receive() == .text("still here"))
        await client.close()
        await server.stop()
    }

    @Test("a client that resets the connection with echoes unread: the server closes that one and serves on",
          arguments: ["async", "eventLoop"])
    func resetWithUnreadEchoes(consumer: String) async throws {
        let handlers = consumer == "async" ? echoHandlers
            : WebSocketServerHandlers(consumer: .eventLoop({ _ in LoopEcho() }), upgraded: { _ in })
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: handlers)
        let clientContext = try TLSClientContext(certificates.client())
        for _ in 0..<5 {
            // A raw TLS client: the upgrade and 50 messages of 16 KiB, no reading (the echoes
            // pile up unread), then a close with SO_LINGER 0, which is a TCP reset.
            let events = EventRecorder()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            TLSHandler(client: clientContext, serverHostname: "localhost"), events,
                        ])
                    }
                }
                .connect(host: "127.0.0.1", port: server.port).get()
            try await events.handshake.futureResult(on: channel.eventLoop).get()
            try await channel.setOption(.autoRead, value: false).get()
            var bytes = upgradeRequest(port: server.port)
            for _ in 0..<50 { bytes += maskedFrame(.binary, [UInt8](repeating: 1, count: 16 << 10)) }
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
            let options = try #require(channel as? any SocketOptionProvider)
            try await options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            try? await channel.close()
        }
        let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost")
        try await client.send(text: "still serving")
        #expect(try await client.receive() == .text("still serving"))
        await client.close()
        await server.stop()
    }

    @Test("a peer that vanishes mid-record: 1006 on our side, with the reason, and no hang")
    func vanishMidRecord() async throws {
        let outcome = LockedBox<CloseOutcome>()
        let server = try await TestServer.start(
            tls: try TLSServerContext(certificates.server()),
            handlers: WebSocketServerHandlers(upgraded: { webSocket in
                for await message in webSocket.messages { try? await webSocket.send(message) }
                outcome.set(await webSocket.closed())
            }))
        let cutter = CutAfterBytes()
        let handshake = WebSocketClientHandshake(target: "/", host: "localhost", port: server.port, secure: true)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(cutter) } }
            .connect(host: "127.0.0.1", port: server.port).get()
        let client = try await channel.configureWebSocketClientPipeline(
            handshake: handshake, tls: .openSSL(try TLSClientContext(certificates.client())), logger: testLogger).get()
        try await client.send(text: "whole")
        #expect(try await client.receive() == .text("whole"))
        cutter.arm(after: 100)
        try? await client.send(binary: [UInt8](repeating: 7, count: 4000))
        let deadline = ContinuousClock.now + .seconds(10)
        while outcome.value == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let result = try #require(outcome.value)
        #expect(result.code == .abnormalClosure)
        #expect(result.wasClean == false)
        await server.stop()
    }
}

/// An echo on the event loop, with no task per message.
final class LoopEcho: WebSocketEventLoopHandler {
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { webSocket.send(message) }
}

/// A value set by a server's handler and read by the test.
final class LockedBox<Value: Sendable>: Sendable {
    private let stored = Mutex<Value?>(nil)
    func set(_ value: Value?) { stored.withLock { $0 = value } }
    var value: Value? { stored.withLock { $0 } }
}

/// Next to the socket: once armed, lets `limit` more bytes out and then closes the connection,
/// so the peer sees a TLS record cut in the middle.
final class CutAfterBytes: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    private let remaining = Mutex<Int?>(nil)
    func arm(after bytes: Int) { remaining.withLock { $0 = bytes } }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        guard let left = remaining.withLock({ $0 }) else {
            context.write(data, promise: promise)
            return
        }
        let part = buffer.readSlice(length: min(left, buffer.readableBytes))!
        remaining.withLock { $0 = left - part.readableBytes }
        let channel = context.channel
        context.writeAndFlush(NIOAny(part)).whenComplete { _ in channel.close(promise: nil) }
        promise?.succeed()
    }
}
