import NIOCore
import NIOPosix
import Testing
import WSServer

@Suite("GateToken: signed, time-limited tokens for WebSocket URLs")
struct GateTokenTests {
    let gate = GateToken(secret: Array("0123456789abcdef0123456789abcdef".utf8))

    @Test("a token made here is accepted until it expires, with its subject")
    func roundTrip() {
        let token = gate.make(subject: "user-42 ✓", validFor: .seconds(60), now: 1_000)
        #expect(gate.subject(of: token, now: 1_000) == "user-42 ✓")
        #expect(gate.subject(of: token, now: 1_059) == "user-42 ✓")
        #expect(gate.subject(of: token, now: 1_060) == nil)
        #expect(gate.subject(ofTokenIn: "/chat?room=1&token=\(token)", now: 1_010) == "user-42 ✓")
        #expect(gate.subject(ofTokenIn: "/chat?room=1", now: 1_010) == nil)
    }

    @Test("forged, altered or foreign tokens are refused")
    func refusals() {
        let token = gate.make(subject: "alice", validFor: .seconds(60), now: 1_000)
        var parts = token.split(separator: ".").map(String.init)
        parts[1] = "99999999"                                   // a later expiry
        #expect(gate.subject(of: parts.joined(separator: "."), now: 1_000) == nil)
        parts = token.split(separator: ".").map(String.init)
        parts[2] = "Ym9i"                                       // "bob"
        #expect(gate.subject(of: parts.joined(separator: "."), now: 1_000) == nil)
        let other = GateToken(secret: Array("another secret, sixteen bytes+".utf8))
        #expect(other.subject(of: token, now: 1_000) == nil)
        for junk in ["", "v1", "v1.1.2.3", "v2.2000.YWxpY2U.AAAA", "v1.x.YWxpY2U.AAAA", token + "A"] {
            #expect(gate.subject(of: junk, now: 1_000) == nil, "\(junk)")
        }
    }

    // Found while writing the fuzz target `gate`: an expiry past Int.max trapped in `make`.
    @Test("a validity past the largest time there is makes a token for ever, not a crash; a negative one, an expired token")
    func extremes() {
        let forever = gate.make(subject: "s", validFor: .seconds(Int64.max), now: 1_000)
        #expect(forever.split(separator: ".")[1] == "\(Int.max)")
        #expect(gate.subject(of: forever, now: Int.max - 1) == "s")
        let past = gate.make(subject: "s", validFor: .seconds(Int64.min), now: -1_000)
        #expect(past.split(separator: ".")[1] == "\(Int.min)")
        #expect(gate.subject(of: past, now: Int.min) == nil)
        let expired = gate.make(subject: "s", validFor: .seconds(-1), now: 1_000)  // expires at 999
        #expect(gate.subject(of: expired, now: 998) == "s")
        #expect(gate.subject(of: expired, now: 999) == nil)
    }

    @Test("in shouldUpgrade: no token or a bad one gets 403 before the 101")
    func inServer() async throws {
        let gate = self.gate
        let server = try await startServer(handlers: WebSocketServerHandlers(
            shouldUpgrade: { upgrade in
                gate.subject(ofTokenIn: upgrade.target) == nil ? .refuse(HTTPResponse(status: .forbidden)) : .accept()
            },
            upgraded: { webSocket in
                for await message in webSocket.messages { try? await webSocket.send(message) }
            }))
        let port = server.boundPort
        func open(_ target: String) async throws -> WebSocket {
            let handshake = WebSocketClientHandshake(target: target, host: "127.0.0.1", port: port)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
            return try await channel.configureWebSocketClientPipeline(handshake: handshake, logger: testLogger).get()
        }
        let refused = await #expect(throws: WebSocketError.self) { _ = try await open("/chat?token=forged") }
        #expect(refused?.response?.status == .forbidden)
        let client = try await open("/chat?token=\(gate.make(subject: "page", validFor: .seconds(30)))")
        await client.close()
        await server.shutdown()
    }
}
