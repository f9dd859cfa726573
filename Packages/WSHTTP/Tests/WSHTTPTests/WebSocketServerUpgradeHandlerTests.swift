import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import WSHTTP

@Suite("The server's upgrade handler: requests that ask for a WebSocket get the upgrade's checks", .timeLimit(.minutes(1)))
struct WebSocketServerUpgradeHandlerTests {
    struct Refused: CustomTestStringConvertible, Sendable {
        let name: String
        let request: String
        /// The status line, whole.
        let status: String
        /// Header lines the refusal must carry, lowercased.
        let fields: [String]
        /// What its body must say.
        let says: String
        var testDescription: String { name }
    }

    static let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    static let refusals: [Refused] = [
        Refused(name: "POST (405, Allow: GET)",
                request: "POST /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(key)Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
                status: "HTTP/1.1 405 Method Not Allowed", fields: ["allow: get"], says: "must use GET, not POST"),
        Refused(name: "HTTP/1.0 (400)",
                request: "GET /chat HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(key)Sec-WebSocket-Version: 13\r\n\r\n",
                status: "HTTP/1.1 400 Bad Request", fields: [], says: "HTTP/1.1 or later, not HTTP/1.0"),
        Refused(name: "no Sec-WebSocket-Key (400)",
                request: "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
                status: "HTTP/1.1 400 Bad Request", fields: [], says: "no Sec-WebSocket-Key"),
        Refused(name: "a malformed Sec-WebSocket-Key (400)",
                request: "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: not base64!\r\nSec-WebSocket-Version: 13\r\n\r\n",
                status: "HTTP/1.1 400 Bad Request", fields: [], says: "one base64-encoded 16-byte value"),
        Refused(name: "no Connection: upgrade (400)",
                request: "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\(key)Sec-WebSocket-Version: 13\r\n\r\n",
                status: "HTTP/1.1 400 Bad Request", fields: [], says: "Connection header must contain \"Upgrade\""),
        Refused(name: "no Connection at all, Upgrade: WebSocket in another case (400)",
                request: "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n\(key)Sec-WebSocket-Version: 13\r\n\r\n",
                status: "HTTP/1.1 400 Bad Request", fields: [], says: "Connection header must contain \"Upgrade\""),
        Refused(name: "version 8 (426, Sec-WebSocket-Version: 13)",
                request: "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(key)Sec-WebSocket-Version: 8\r\n\r\n",
                status: "HTTP/1.1 426 Upgrade Required", fields: ["sec-websocket-version: 13"], says: "Sec-WebSocket-Version 8 is not supported"),
        Refused(name: "no version (426, Sec-WebSocket-Version: 13)",
                request: "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(key)\r\n",
                status: "HTTP/1.1 426 Upgrade Required", fields: ["sec-websocket-version: 13"], says: "no Sec-WebSocket-Version"),
    ]

    @Test("a request whose Upgrade holds websocket but that is not a valid upgrade gets the RFC's refusal, never the HTTP handler (RFC 6455 §4.2.1, §4.4)",
          arguments: refusals)
    func refused(_ refusal: Refused) async throws {
        let httpCalls = Atomic<Int>(0)
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            http: { _, _ in
                httpCalls.add(1, ordering: .relaxed)
                return (HTTPResponse(status: .ok), Array("the HTTP handler\n".utf8))
            },
            upgraded: { webSocket in
                for await message in webSocket.messages { try? await webSocket.send(message) }
            }))
        let started = ContinuousClock.now
        let reply = try await rawExchange(port: server.port, Array(refusal.request.utf8))
        #expect(started.duration(to: .now) < .seconds(5), "answered and closed, not left open")
        let head = reply.text.components(separatedBy: "\r\n\r\n").first ?? ""
        let lines = head.components(separatedBy: "\r\n")
        #expect(lines.first == refusal.status)
        let fields = Set(lines.dropFirst().map { $0.lowercased() })
        for field in refusal.fields + ["connection: close", "content-type: text/plain; charset=utf-8"] {
            #expect(fields.contains(field), "\(field) in \(lines)")
        }
        #expect(fields.contains("content-length: \(reply.afterHead.count)"), "the body is whole: \(lines)")
        #expect(reply.afterHead.text.contains(refusal.says))
        #expect(!reply.text.contains("the HTTP handler"))
        #expect(httpCalls.load(ordering: .relaxed) == 0)
        // A valid upgrade on the same server goes on.
        let client = try await connect(port: server.port)
        try await client.send(text: "still served")
        #expect(try await client.receive() == .text("still served"))
        await client.close()
        await server.stop()
    }

    struct PlainRequest: CustomTestStringConvertible, Sendable {
        let name: String
        let fields: String
        /// Whether the connection serves the next request: NIO's parser reads no more after a
        /// request that asks to switch protocols, so such a one is answered with a close.
        let keptAlive: Bool
        var testDescription: String { name }
    }

    @Test("a request with another Upgrade (h2c) or none is plain HTTP: the handler answers; one NIO's parser stops at is answered with a close",
          arguments: [
              PlainRequest(name: "Upgrade: h2c, Connection: Upgrade", fields: "Upgrade: h2c\r\nConnection: Upgrade\r\n", keptAlive: false),
              PlainRequest(name: "Upgrade: websocketx, Connection: Upgrade", fields: "Upgrade: websocketx\r\nConnection: Upgrade\r\n", keptAlive: false),
              PlainRequest(name: "Upgrade: h2c alone", fields: "Upgrade: h2c\r\n", keptAlive: true),
              PlainRequest(name: "Connection: Upgrade alone", fields: "Connection: Upgrade\r\n", keptAlive: true),
          ])
    func plainRequests(_ plain: PlainRequest) async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            http: { request, _ in (HTTPResponse(status: .ok), Array("page \(request.target)\n".utf8)) },
            upgraded: { _ in }))
        let request = "GET /a HTTP/1.1\r\nHost: x\r\n\(plain.fields)\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let started = ContinuousClock.now
        let reply = try await rawExchange(port: server.port, Array(request.utf8))
        #expect(started.duration(to: .now) < .seconds(5), "answered and closed, not left open")
        #expect(reply.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(reply.text.contains("page /a\n"))
        if plain.keptAlive {
            #expect(reply.text.hasSuffix("page /b\n"), "the connection served the next request: \(reply.text)")
        } else {
            #expect(reply.text.lowercased().contains("connection: close\r\n"))
            #expect(reply.text.hasSuffix("page /a\n"), "one answer, then the close: \(reply.text)")
        }
        await server.stop()
    }

    @Test("a connection that ends inside a request gets nothing and a debug line; a garbled request on an open one its 400 and a notice")
    func endedInsideRequest() async throws {
        let records = LogRecords()
        let logger = Logger(label: "upgrade-handler") { _ in RecordingLogHandler(records) }
        let ended = NIOAsyncTestingChannel()
        try await ended.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5000))
        try await ended.configureWebSocketServerPipeline(logger: logger, handlers: echoHandlers).get()
        try await ended.writeInbound(ByteBuffer(string: "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"))
        try await ended.close()
        #expect(try await ended.readOutbound(as: ByteBuffer.self) == nil)
        #expect(records.levels == [.debug], "\(records.messages)")
        #expect(records.messages == ["connection closed inside a request"])

        let garbled = NIOAsyncTestingChannel()
        try await garbled.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5001))
        try await garbled.configureWebSocketServerPipeline(logger: logger, handlers: echoHandlers).get()
        try await garbled.writeInbound(ByteBuffer(string: "\u{1}\u{2} nonsense\r\n\r\n"))
        let reply = String(buffer: try await garbled.waitForOutboundWrite(as: ByteBuffer.self))
        #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(records.levels == [.debug, .notice])
        _ = try? await garbled.finish()
    }
}

/// Log lines, kept for a test to read.
final class LogRecords: Sendable {
    private let stored = Mutex<[(Logger.Level, String)]>([])
    func append(_ level: Logger.Level, _ message: String) { stored.withLock { $0.append((level, message)) } }
    var levels: [Logger.Level] { stored.withLock { $0.map(\.0) } }
    var messages: [String] { stored.withLock { $0.map(\.1) } }
}

/// A swift-log handler that keeps every line at debug and above in ``LogRecords``.
struct RecordingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    init(_ records: LogRecords) { self.records = records }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.append(event.level, event.message.description)
    }
}
