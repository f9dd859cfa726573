import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import WSConnect

let testLogger = Logger(label: "WSConnectTests")

@Suite("WebSocketURL: ws and wss URLs taken apart")
struct WebSocketURLTests {
    @Test("hosts, ports and targets", arguments: [
        ("ws://example.com", false, "example.com", 80, "/"),
        ("wss://example.com/chat?room=1", true, "example.com", 443, "/chat?room=1"),
        ("ws://127.0.0.1:9001/x", false, "127.0.0.1", 9001, "/x"),
        ("wss://[::1]:8443/", true, "::1", 8443, "/"),
        ("WS://Example.com?q=1", false, "Example.com", 80, "/?q=1"),
        // What a URI may not hold is percent-encoded as UTF-8, as a browser does: before, a
        // space went out as it was and broke the request line ("GET /a b HTTP/1.1").
        ("ws://h/caf\u{e9} x?q=a b", false, "h", 80, "/caf%C3%A9%20x?q=a%20b"),
        ("ws://h/a%20b{|}", false, "h", 80, "/a%20b%7B%7C%7D"),
        ("ws://[fe80::1]:8080", false, "fe80::1", 8080, "/"),
    ])
    func parses(text: String, secure: Bool, host: String, port: Int, target: String) throws {
        let url = try WebSocketURL(text)
        #expect(url.secure == secure)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.target == target)
    }

    @Test("what is not a WebSocket URL is refused with the reason", arguments: [
        ("http://example.com/", "scheme"), ("example.com", "no scheme"), ("ws://", "no host"), ("ws://h:0/", "port"),
        ("ws://h:99999/", "port"), ("ws://::1/", "brackets"), ("ws://h/#frag", "fragment"), ("ws://u:p@h/", "user information"),
        ("ws://h/a\r\nX-Injected: 1", "control character (U+000D)"), ("ws://h\u{0}/", "control character (U+0000)"),
        ("ws://ex ample.com/", "the host has a ' '"), ("ws://caf\u{e9}.fr/", "punycode"), ("ws://h:+80/", "port '+80'"),
        ("ws://[::1%eth0]/", "only hex digits"),
        // Found by the url fuzzer: a `#` followed by a combining mark is one Character, so a
        // search by Characters missed the fragment and sent the `#` in the target.
        ("ws://x3/a\u{e4}::.:::-ss:::.::::29:#\u{31b}", "fragment"), ("ws://h/#\u{301}", "fragment"),
        // The same for the other delimiters: `@`, `:` and the brackets.
        ("ws://u@\u{301}h/", "user information"), ("ws://h:\u{301}80/", "port"),
    ])
    func refuses(text: String, reason: String) {
        let error = #expect(throws: WebSocketClientError.self) { try WebSocketURL(text) }
        #expect(error?.code == .invalidURL)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.message.unicodeScalars.contains { $0.value < 0x20 } == false, "the message prints a control character")
    }

    @Test("a delimiter followed by a combining mark is still the delimiter (found by the url fuzzer)")
    func delimitersByScalar() throws {
        let url = try WebSocketURL("ws://h/\u{301}x?\u{301}")
        #expect(url.host == "h")
        #expect(url.target == "/%CC%81x?%CC%81")
        let proxy = try #require(HTTPProxy(url: "http://u:p@\u{301}proxy:8080"))
        #expect(proxy.credentials == "u:p")
        #expect(proxy.host == "\u{301}proxy")
        #expect(HTTPProxy(url: "http://proxy:8080:\u{301}1") == nil)
    }

    @Test("a URL written out parses back to itself")
    func roundTrip() throws {
        for text in ["ws://h", "wss://[::1]:8443/x?y", "ws://h/caf\u{e9} x", "WSS://Host:443/"] {
            let url = try WebSocketURL(text)
            #expect(try WebSocketURL(url.description) == url)
        }
    }
}

@Suite("WebSocket.connect: WebSockets.jl's open(url) do ws", .timeLimit(.minutes(1)))
struct WebSocketConnectTests {
    @Test("the scoped form closes the connection when the closure returns; headers and subprotocols go out")
    func scoped() async throws {
        let seen = Mutex<[String]>([])
        let server = try await EchoServer.start { upgrade in
            seen.withLock { $0 = [upgrade.request.headerFields[.authorization] ?? "", upgrade.origin ?? "", upgrade.target] }
        }
        var configuration = WebSocketClientConfiguration(origin: "https://app.example", subprotocols: ["chat"])
        configuration.headerFields[.authorization] = "Bearer t0ken"
        let (reply, client) = try await WebSocket.connect(to: "ws://127.0.0.1:\(server.port)/room?x=1", configuration: configuration,
                                                          logger: testLogger) { ws in
            try await ws.send(text: "hello")
            return (try await ws.receive(), ws)
        }
        #expect(reply == .text("hello"))
        #expect(client.handshake.subprotocol == "chat")
        #expect(client.outcome?.code == .normalClosure)
        #expect(!client.isOpen)
        #expect(seen.withLock { $0 } == ["Bearer t0ken", "https://app.example", "/room?x=1"])
        await server.stop()
    }

    @Test("the unscoped form, over IPv6")
    func unscopedIPv6() async throws {
        let server = try await EchoServer.start(host: "::1")
        let ws = try await WebSocket.connect(to: "ws://[::1]:\(server.port)/", logger: testLogger)
        try await ws.send(binary: [1, 2, 3])
        #expect(try await ws.receive() == .binary([1, 2, 3]))
        await ws.close()
        await server.stop()
    }

    @Test("a refused upgrade is an error that carries the response")
    func refused() async throws {
        let server = try await EchoServer.start(refuse: true)
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await WebSocket.connect(to: "ws://127.0.0.1:\(server.port)/", logger: testLogger)
        }
        #expect(error?.code == .upgradeRefused)
        #expect(error?.response?.status == .forbidden)
        #expect(String(decoding: error?.body ?? [], as: UTF8.self) == "go away\n")
        await server.stop()
    }

    @Test("a closed port fails with connectFailed")
    func connectFailed() async throws {
        let port = try await EchoServer.freePort()
        let error = await #expect(throws: WebSocketClientError.self) {
            _ = try await WebSocket.connect(to: "ws://127.0.0.1:\(port)/", logger: testLogger)
        }
        #expect(error?.code == .connectFailed)
    }

    @Test("a server that accepts and never answers: handshakeTimeout")
    func handshakeTimeout() async throws {
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        var configuration = WebSocketClientConfiguration()
        configuration.handshakeTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        let error = await #expect(throws: WebSocketClientError.self) {
            _ = try await WebSocket.connect(to: "ws://127.0.0.1:\(silent.localAddress?.port ?? 0)/", configuration: configuration,
                                            logger: testLogger)
        }
        #expect(error?.code == .handshakeTimeout)
        #expect(ContinuousClock.now - started < .seconds(8)) // well under the 10 s default: our 300 ms limit cut it
        try await silent.close()
    }

    @Test("wss with the system trust store refuses a server whose CA it does not know, saying why")
    func wssRefused() async throws {
        let folder = try makeSelfSignedCertificate()
        let server = try await EchoServer.start(tls: try TLSServerContext(TLSServerConfiguration(
            certificateChain: .file(folder + "/cert.pem"), privateKey: .file(folder + "/key.pem"))))
        let error = await #expect(throws: WebSocketError.self) {
            _ = try await WebSocket.connect(to: "wss://localhost:\(server.port)/", logger: testLogger)
        }
        #expect(error?.tlsError?.kind == .unknownCA)
        var configuration = WebSocketClientConfiguration()
        configuration.tls = TLSClientConfiguration(verification: .trustedCAs(.file(folder + "/cert.pem")))
        let reply = try await WebSocket.connect(to: "wss://localhost:\(server.port)/", configuration: configuration,
                                                logger: testLogger) { ws in
            try await ws.send(text: "secure")
            return try await ws.receive()
        }
        #expect(reply == .text("secure"))
        await server.stop()
    }
}

/// An echo server on WSHTTP's pipeline, for one test.
struct EchoServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(host: String = "127.0.0.1", tls: TLSServerContext? = nil, refuse: Bool = false,
                      onUpgrade: @escaping @Sendable (WebSocketUpgradeRequest) -> Void = { _ in }) async throws -> EchoServer {
        let handlers = WebSocketServerHandlers(
            shouldUpgrade: { upgrade in
                onUpgrade(upgrade)
                if refuse { return .refuse(HTTPResponse(status: .forbidden), body: Array("go away\n".utf8)) }
                return .accept(subprotocol: upgrade.subprotocol(choosingFrom: ["chat"]))
            },
            upgraded: { webSocket in
                for await message in webSocket.messages { try? await webSocket.send(message) }
            })
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(tls: tls.map { WebSocketTLS.openSSL($0) }, logger: testLogger, handlers: handlers)
            }
            .bind(host: host, port: 0).get()
        return EchoServer(channel: channel)
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    func stop() async { try? await channel.close() }
}

/// The folder of a self-signed certificate for localhost and 127.0.0.1 (`cert.pem`,
/// `key.pem`), made once per test process by the openssl command.
func makeSelfSignedCertificate() throws -> String {
    guard let folder = selfSignedFolder else { throw CocoaError(.fileWriteUnknown) }
    return folder
}

private let selfSignedFolder: String? = try? makeSelfSignedCertificateOnce()

private func makeSelfSignedCertificateOnce() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wsclient-tls-\(getpid())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem", "-days", "2", "-subj", "/CN=localhost",
                         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    return folder
}
