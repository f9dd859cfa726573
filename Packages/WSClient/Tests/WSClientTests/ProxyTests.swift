import Foundation
import NIOCore
import NIOPosix
import Testing
import WSConnect

@Suite("HTTP proxies: CONNECT through a real tinyproxy, and the environment's variables", .timeLimit(.minutes(1)))
struct ProxyTests {
    @Test("ws and wss through the proxy, with and without its credentials; a refused tunnel says why")
    func throughTinyproxy() async throws {
        let folder = try makeSelfSignedCertificate()
        let plain = try await EchoServer.start()
        let secure = try await EchoServer.start(tls: try TLSServerContext(TLSServerConfiguration(
            certificateChain: .file(folder + "/cert.pem"), privateKey: .file(folder + "/key.pem"))))
        let proxy = try Tinyproxy.start(credentials: "user:secret")
        defer { proxy.stop() }

        var configuration = WebSocketClientConfiguration(proxy: .proxy(HTTPProxy(host: "127.0.0.1", port: proxy.port, credentials: "user:secret")))
        let reply = try await WebSocket.connect(to: "ws://127.0.0.1:\(plain.port)/through", configuration: configuration,
                                                logger: testLogger) { ws in
            try await ws.send(text: "via the proxy")
            return try await ws.receive()
        }
        #expect(reply == .text("via the proxy"))
        configuration.tls = TLSClientConfiguration(verification: .trustedCAs(.file(folder + "/cert.pem")))
        let secureReply = try await WebSocket.connect(to: "wss://localhost:\(secure.port)/", configuration: configuration,
                                                      logger: testLogger) { ws in
            try await ws.send(binary: [1, 2, 3])
            return try await ws.receive()
        }
        #expect(secureReply == .binary([1, 2, 3]))
        #expect(proxy.log.contains("CONNECT"))

        let withoutCredentials = WebSocketClientConfiguration(proxy: .proxy(HTTPProxy(host: "127.0.0.1", port: proxy.port)))
        let refused = await #expect(throws: WebSocketClientError.self) {
            _ = try await WebSocket.connect(to: "ws://127.0.0.1:\(plain.port)/", configuration: withoutCredentials, logger: testLogger)
        }
        #expect(refused?.code == .proxyFailed)
        #expect(refused?.message.contains("407") == true, "\(String(describing: refused))")
        await plain.stop()
        await secure.stop()
    }

    @Test("the environment: https_proxy for wss, http_proxy for ws, no_proxy's exceptions", arguments: [
        ("ws://example.com/", ["http_proxy": "http://p:3128"], "p:3128"),
        ("wss://example.com/", ["HTTPS_PROXY": "http://u:pw@p:8080"], "p:8080 u:pw"),
        ("wss://example.com/", ["http_proxy": "http://p:3128"], "none"),
        ("ws://example.com/", ["http_proxy": "p"], "p:80"),
        ("ws://api.example.com/", ["http_proxy": "http://p:3128", "no_proxy": "localhost,.example.com"], "none"),
        ("ws://example.com/", ["http_proxy": "http://p:3128", "no_proxy": "example.com:8080"], "none"),
        ("ws://notexample.com/", ["http_proxy": "http://p:3128", "no_proxy": "example.com"], "p:3128"),
        ("ws://10.0.0.1/", ["http_proxy": "http://p:3128", "NO_PROXY": "*"], "none"),
        ("ws://example.com/", ["http_proxy": "socks5://p:1080"], "none"),
    ])
    func environment(url: String, variables: [String: String], expected: String) throws {
        let proxy = HTTPProxy.fromEnvironment(for: try WebSocketURL(url), environment: variables)
        let described = proxy.map { "\($0.host):\($0.port)" + ($0.credentials.map { " \($0)" } ?? "") } ?? "none"
        #expect(described == expected)
    }
}

/// tinyproxy (Debian's package) on a free port of 127.0.0.1, for one test; stopped by PID.
final class Tinyproxy: Sendable {
    let port: Int
    private let process: Process
    private let folder: String

    var log: String { (try? String(contentsOfFile: folder + "/tinyproxy.log", encoding: .utf8)) ?? "" }

    private init(port: Int, process: Process, folder: String) {
        self.port = port
        self.process = process
        self.folder = folder
    }

    static func start(credentials: String?) throws -> Tinyproxy {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tinyproxy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for attempt in 0..<5 {
            let port = 20_000 + Int.random(in: 0..<20_000)
            var config = "Port \(port)\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\nLogLevel Info\n"
            config += "LogFile \"\(folder)/tinyproxy.log\"\n"
            if let credentials {
                let parts = credentials.split(separator: ":", maxSplits: 1)
                config += "BasicAuth \(parts[0]) \(parts.count > 1 ? parts[1] : "")\n"
            }
            try config.write(toFile: folder + "/tinyproxy.conf", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["tinyproxy", "-d", "-c", folder + "/tinyproxy.conf"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let proxy = Tinyproxy(port: port, process: process, folder: folder)
            for _ in 0..<50 where process.isRunning {
                if proxy.log.contains("Starting main loop") { return proxy }
                Thread.sleep(forTimeInterval: 0.05)
            }
            proxy.stop()
            if attempt == 4 { throw ProxyTestError(description: "tinyproxy did not start: \(proxy.log)") }
        }
        throw ProxyTestError(description: "tinyproxy did not start")
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

struct ProxyTestError: Error, CustomStringConvertible { let description: String }
