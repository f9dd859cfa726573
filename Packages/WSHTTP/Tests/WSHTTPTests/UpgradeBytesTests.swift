import Foundation
import HTTPTypes
import NIOCore
import Testing
import WSHandshake
import WSFraming
@testable import WSHTTP

@Suite("The upgrade, byte by byte over TCP", .timeLimit(.minutes(1)))
struct UpgradeBytesTests {
    @Test("a request and its first frame in one packet: nothing is lost")
    func requestAndFrameTogether() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let reply = try await rawExchange(port: server.port, upgradeRequest(port: server.port) + maskedFrame(.text, Array("first".utf8)),
                                          until: { $0.afterHead.count >= 7 })
        #expect(reply.text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(reply.text.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") || reply.text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        #expect(Array(reply.afterHead.prefix(7)) == [0x81, 0x05] + Array("first".utf8))
        await server.stop()
    }

    @Test("a bad request gets its status and a reason a person understands")
    func badVersion() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let request = Array(upgradeRequest(port: server.port).text.replacingOccurrences(of: "Version: 13", with: "Version: 8").utf8)
        let reply = try await rawExchange(port: server.port, request)
        #expect(reply.text.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"))
        #expect(reply.text.lowercased().contains("sec-websocket-version: 13"))
        #expect(reply.afterHead.text.contains("Sec-WebSocket-Version 8 is not supported"))
        await server.stop()
    }

    @Test("a request that is not HTTP gets 400 with the parser's reason, and the connection closes")
    func garbage() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let started = ContinuousClock.now
        let reply = try await rawExchange(port: server.port, Array("\u{1}\u{2} nonsense\r\n\r\n".utf8))
        #expect(reply.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(reply.afterHead.text.contains("could not be parsed"))
        #expect(started.duration(to: .now) < .seconds(4), "closed, not left hanging")
        await server.stop()
    }

    @Test("a request head over 80 KiB gets 431, and the connection closes")
    func hugeHead() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let request = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100 << 10) + "\r\n\r\n"
        let reply = try await rawExchange(port: server.port, Array(request.utf8))
        #expect(reply.text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        await server.stop()
    }

    @Test("plain HTTP requests on the same port go to the HTTP handler, keep-alive")
    func plainHTTP() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            http: { request, _ in (.init(status: .ok, headerFields: [.contentType: "text/plain"]), Array("page \(request.target)".utf8)) },
            upgraded: { _ in }))
        let request = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let reply = try await rawExchange(port: server.port, Array(request.utf8))
        #expect(reply.text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(reply.text.contains("page /a"))
        #expect(reply.text.hasSuffix("page /b"))
        await server.stop()
    }

    @Test("a client whose server sends a bad frame in the 101's packet fails with 1002, and nothing crashes",
          arguments: [WebSocket.Consumer.async, .eventLoop({ _ in Silent() })])
    func badFrameBehind101(_ consumer: WebSocket.Consumer) async throws {
        // A valid message, then a frame with a reserved opcode, right behind the 101.
        let server = try await RawServer.start(.sendsWithResponse([0x81, 0x02, 0x68, 0x69, 0x83, 0x00]))
        let client = try await connect(port: server.port, consumer: consumer)
        #expect(await client.closed().code == .protocolError)
        let frames = try await server.framesUntilClose()
        #expect(frames.last?.opcode == .close)
        #expect(frames.last.map { Array($0.payload.prefix(2)) } == [0x03, 0xEA])
        await server.stop()
    }

    @Test("an async consumer answers the message that came before a violation, then the Close goes out")
    func answerBeforeFailure() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        // "Hello", then a frame with a reserved opcode, in one packet.
        let request = upgradeRequest(port: server.port) + maskedFrame(.text, Array("Hello".utf8)) + [0x83, 0x80, 1, 2, 3, 4]
        let reply = try await rawExchange(port: server.port, request)
        let frames = unmaskedFrames(reply.afterHead)
        #expect(frames.map(\.opcode) == [.text, .close])
        #expect(frames.first?.payload == Array("Hello".utf8))
        #expect(frames.last.map { Array($0.payload.prefix(2)) } == [0x03, 0xEA])
        await server.stop()
    }

    @Test("a violation's Close waits at most a second for a consumer that does not read")
    func failureWaitIsBounded() async throws {
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            try? await Task.sleep(for: .seconds(30))
        }))
        let started = ContinuousClock.now
        let request = upgradeRequest(port: server.port) + maskedFrame(.text, Array("unread".utf8)) + [0x83, 0x80, 1, 2, 3, 4]
        let reply = try await rawExchange(port: server.port, request)
        #expect(unmaskedFrames(reply.afterHead).map(\.opcode) == [.close])
        #expect(started.duration(to: .now) < .seconds(5))
        await server.stop()
    }

    @Test("an unmasked frame from a client fails the connection with 1002")
    func unmasked() async throws {
        let server = try await TestServer.start(handlers: echoHandlers)
        let reply = try await rawExchange(port: server.port, upgradeRequest(port: server.port) + [0x81, 0x02, 0x68, 0x69])
        let frame = reply.afterHead
        #expect(Array(frame.prefix(4)) == [0x88, UInt8(frame.count - 2), 0x03, 0xEA])
        await server.stop()
    }
}

/// An event-loop consumer that ignores every message.
final class Silent: WebSocketEventLoopHandler {
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {}
}
