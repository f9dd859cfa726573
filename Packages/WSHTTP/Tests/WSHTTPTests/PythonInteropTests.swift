import Foundation
import Testing
import WSFraming
import WSHandshake
import WSHTTP

/// Our server and our client against Python's `websockets` (pinned by Scripts/interop-env.sh),
/// run as `Tests/Interop/python/ws_peer.py`, over loopback. A missing venv fails each test with what
/// to run; nothing is skipped.
@Suite("Interop with Python's websockets", .timeLimit(.minutes(1)))
struct PythonInteropTests {
    @Test("our server and a Python client: echoes, the subprotocol chat, and its Close 4000 bye, clean (RFC 6455 §5.4, §5.5, §7)")
    func ourServerPythonClient() async throws {
        let (outcomes, outcomeSink) = AsyncStream.makeStream(of: CloseOutcome.self)
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(
            shouldUpgrade: { request in .accept(subprotocol: request.subprotocol(choosingFrom: ["chat"])) },
            upgraded: { webSocket in
                for await message in webSocket.messages {
                    try? await webSocket.send(message)
                }
                outcomeSink.yield(await webSocket.closed())
            }))
        let python = try PeerProcess.python(script: "ws_peer.py", arguments: ["client", "--url", "ws://127.0.0.1:\(server.port)/interop"])
        defer { python.terminate() }

        let status = try await python.exitStatus()
        try #require(status == 0, "\(python.failure("exited with \(status)"))")
        let results = try JSONDecoder.snakeCase.decode(ClientResults.self, from: Data(python.standardOutput.utf8))
        #expect(results.subprotocol == "chat")
        // Python offers permessage-deflate by default; every message below went compressed.
        #expect(results.extensions == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12")
        #expect(results.text == "héllo ✓")
        #expect(results.binaryHex == hex(Array(0...255)))
        #expect(results.largeLength == 1 << 20)
        #expect(results.fragmentedText == "Hello, fragments ✓")
        #expect(results.fragmentedBinaryHex == "0001feff")
        #expect(results.pingSeconds >= 0)
        #expect(results.closeCode == 4000)
        // Our reply to a Close echoes its code (RFC 6455 §5.5.1); the reason may or may not come back.
        #expect(["", "bye"].contains(results.closeReason))
        // The Python client waits for the server to close TCP (§7.1.1) up to 10 s, then does it
        // itself: a quick close means our server did.
        #expect(results.closeSeconds < 5)
        let serverOutcome = try await first(of: outcomes, within: .seconds(10))
        #expect(serverOutcome == CloseOutcome(code: CloseCode(4000), reason: "bye", wasClean: true))
        await server.stop()
    }

    @Test("our client and a Python server: echoes whole and in fragments, ping, chat, and our Close 4001 done, clean (RFC 6455 §5.4, §5.5, §7)")
    func ourClientPythonServer() async throws {
        let python = try PeerProcess.python(script: "ws_peer.py", arguments: ["server", "--port", "0"])
        defer { python.terminate() }
        let port = try #require(Int(try await python.line(startingWith: "PORT ")))

        let client = try await connect(port: port, target: "/interop", subprotocols: ["chat"])
        #expect(client.handshake.subprotocol == "chat")
        #expect(client.handshake.extensions?.hasPrefix("permessage-deflate") == true)
        #expect(client.handshake.deflate != nil)
        try await client.send(text: "héllo ✓")
        #expect(try await client.receive() == .text("héllo ✓"))
        try await client.send(binary: Array(0...255))
        #expect(try await client.receive() == .binary(Array(0...255)))
        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await client.send(binary: large)
        #expect(try await client.receive() == .binary(large))
        // "✓" is E2 9C 93: the first fragment ends inside it, which the peer must accept (§5.6).
        try await client.sendFragment(.text, Array("Hello, ".utf8) + [0xE2], isFinal: false)
        try await client.sendFragment(.text, [0x9C, 0x93], isFinal: false)
        try await client.sendFragment(.text, Array(" fragments".utf8), isFinal: true)
        #expect(try await client.receive() == .text("Hello, ✓ fragments"))
        try await client.sendFragment(.binary, [0, 1], isFinal: false)
        try await client.sendFragment(.binary, [], isFinal: false)
        try await client.sendFragment(.binary, [0xFE, 0xFF], isFinal: true)
        #expect(try await client.receive() == .binary([0, 1, 0xFE, 0xFF]))
        let roundTrip = try await client.ping()
        #expect(roundTrip > .zero)

        let outcome = await client.close(code: CloseCode(4001), reason: "done")
        #expect(outcome == CloseOutcome(code: CloseCode(4001), reason: "done", wasClean: true))
        let seen = try JSONDecoder.snakeCase.decode(ServerClose.self, from: Data(try await python.line(startingWith: "CLOSED ").utf8))
        #expect(seen == ServerClose(path: "/interop", closeCode: 4001, closeReason: "done", extensions: client.handshake.extensions))
    }

    @Test("our client when a Python server closes first with 4002: the code and reason, clean (RFC 6455 §7.1.5, §7.1.6)")
    func pythonServerClosesFirst() async throws {
        let python = try PeerProcess.python(script: "ws_peer.py", arguments: ["server", "--port", "0"])
        defer { python.terminate() }
        let port = try #require(Int(try await python.line(startingWith: "PORT ")))

        let client = try await connect(port: port, target: "/close-4002")
        #expect(try await client.receive() == nil)
        #expect(await client.closed() == CloseOutcome(code: CloseCode(4002), reason: "server says bye", wasClean: true))
        #expect(!client.isOpen)
        let seen = try JSONDecoder.snakeCase.decode(ServerClose.self, from: Data(try await python.line(startingWith: "CLOSED ").utf8))
        #expect(seen.path == "/close-4002")
        #expect(seen.closeCode == 4002)
    }
}

/// What `ws_peer.py client` prints.
private struct ClientResults: Decodable {
    var subprotocol: String?
    var extensions: String?
    var text: String
    var binaryHex: String
    var largeLength: Int
    var fragmentedText: String
    var fragmentedBinaryHex: String
    var pingSeconds: Double
    var closeSeconds: Double
    var closeCode: Int
    var closeReason: String
}

/// What `ws_peer.py server` prints after each connection: the Close it received.
private struct ServerClose: Decodable, Equatable {
    var path: String
    var closeCode: Int
    var closeReason: String
    var extensions: String?
}

extension JSONDecoder {
    fileprivate static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

private struct DeadlinePassed: Error, CustomStringConvertible {
    let description: String
}

/// The first element of `sequence`, or a failure when none comes within `timeout`.
private func first<Element: Sendable>(of sequence: AsyncStream<Element>, within timeout: Duration) async throws -> Element {
    try await withThrowingTaskGroup(of: Element?.self) { group in
        group.addTask { await sequence.first { _ in true } }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlinePassed(description: "nothing within \(timeout)")
        }
        defer { group.cancelAll() }
        guard let element = try await group.next() ?? nil else { throw DeadlinePassed(description: "the sequence ended empty") }
        return element
    }
}
