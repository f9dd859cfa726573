import Foundation
import NIOCore
import NIOPosix
import Testing
import WSHTTP
import WSServer

/// Peers that open connections and hold their handshakes open: the cap on pending connections
/// (counted from accept) drops the oldest, and real clients get in. One test at a time: each
/// holds hundreds of file descriptors (both ends of every connection are in this process).
@Suite("WebSocketServer: connections that have not upgraded are capped from accept, the oldest dropped first",
       .serialized, .timeLimit(.minutes(2)))
struct PendingConnectionTests {
    /// The start of an upgrade request that never ends (no blank line).
    static let halfRequest = Array("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n".utf8)

    /// An upgrade request, whole.
    static func upgradeRequest(port: Int) -> [UInt8] {
        Array(("GET /chat HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8)
    }

    @Test("3 × maxPendingConnections held handshakes: the oldest are dropped without a byte, a client gets its 101 within 2 s")
    func heldHandshakes() async throws {
        let cap = 20
        // A long handshake timeout: only the cap closes anything here.
        let server = try await startServer(configuration: .init(maxPendingConnections: cap, handshakeTimeout: .seconds(100)))
        // Connections that upgraded and closed first: the queue of pending connections has been
        // compacted past them before the attack.
        for _ in 0..<100 {
            let client = try await connect(server)
            await client.close()
        }
        #expect(try await eventually { server.connectionCount == 0 && server.pendingConnectionCount == 0 })

        var held: [HeldConnection] = []
        for index in 0..<(3 * cap) {
            held.append(try await HeldConnection.open(port: server.boundPort, sending: Self.halfRequest))
            // Accepted, and the oldest dropped, before the next comes: the order is exact.
            let dropped = max(0, index + 1 - cap)
            let settled = try await eventually {
                server.pendingConnectionCount == min(index + 1, cap) && held.count(where: \.closedByPeer) == dropped
            }
            #expect(settled, "connection \(index): \(server.pendingConnectionCount) pending, \(held.count(where: \.closedByPeer)) dropped")
            #expect(server.pendingConnectionCount <= cap)
        }
        #expect(held.prefix(2 * cap).allSatisfy { $0.closedByPeer }, "the oldest were dropped")
        #expect(!held.suffix(cap).contains { $0.closedByPeer }, "the newest are held")
        #expect(held.allSatisfy { $0.bytes.isEmpty }, "a held handshake is answered with nothing")

        let started = ContinuousClock.now
        let client = try await connect(server)
        #expect(ContinuousClock.now - started < .seconds(2))
        try await client.send(text: "past the held handshakes")
        #expect(try await client.receive() == .text("past the held handshakes"))
        // The client's connection dropped the oldest held one; once it upgraded it is not pending.
        // (The echo came from the server's handler: the connection counts as a WebSocket.)
        #expect(try await eventually { held[2 * cap].closedByPeer && server.connectionCount == cap })
        #expect(held.count(where: \.closedByPeer) == 2 * cap + 1)
        #expect(server.pendingConnectionCount == cap - 1)
        #expect(server.webSocketCount == 1)
        await client.close()
        for connection in held { await connection.close() }
        #expect(try await eventually { server.connectionCount == 0 && server.pendingConnectionCount == 0 })
        await server.shutdown()
    }

    @Test("a plain HTTP connection kept alive after its answer counts as pending, and is dropped when it is the oldest")
    func keepAliveIsPending() async throws {
        let server = try await startServer(configuration: .init(maxPendingConnections: 2, handshakeTimeout: .seconds(100)))
        let keptAlive = try await HeldConnection.open(port: server.boundPort, sending: Array("GET /page HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(try await eventually { keptAlive.bytes.text.hasSuffix("http /page\n") })
        #expect(keptAlive.bytes.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(!keptAlive.bytes.text.lowercased().contains("connection: close"))
        #expect(server.pendingConnectionCount == 1)
        let held = try await HeldConnection.open(port: server.boundPort, sending: Self.halfRequest)
        #expect(try await eventually { server.pendingConnectionCount == 2 })

        let client = try await connect(server)
        #expect(try await eventually { keptAlive.closedByPeer })
        #expect(keptAlive.bytes.text.hasSuffix("http /page\n"), "nothing after its answer")
        #expect(!held.closedByPeer)
        // The echo comes from the server's handler, which runs once the connection counts as a WebSocket.
        try await client.send(text: "in")
        #expect(try await client.receive() == .text("in"))
        #expect(try await eventually { server.connectionCount == 2 })
        #expect(server.pendingConnectionCount == 1)
        #expect(server.webSocketCount == 1)
        await client.close()
        await held.close()
        await server.shutdown()
    }

    @Test("at the default cap (256), 300 held handshakes: a new client's 101 comes within 2 s, in bytes")
    func defaultCapUnderAttack() async throws {
        // The default cap, a handshake timeout that does not fire during the test: only the cap
        // drops connections. (2,000 attackers against a 1,024-descriptor process would need more
        // descriptors than this test process may hold itself: 300 is past the cap all the same.)
        let configuration = WebSocketServer.Configuration(handshakeTimeout: .seconds(100))
        let cap = configuration.maxPendingConnections
        #expect(cap == 256)
        let server = try await startServer(configuration: configuration)
        var held: [HeldConnection] = []
        for _ in 0..<300 {
            held.append(try await HeldConnection.open(port: server.boundPort, sending: Self.halfRequest))
            #expect(server.pendingConnectionCount <= cap)
        }
        let settled = try await eventually(.seconds(30)) {
            server.pendingConnectionCount == cap && held.count(where: \.closedByPeer) == 300 - cap
        }
        #expect(settled, "\(server.pendingConnectionCount) pending, \(held.count(where: \.closedByPeer)) dropped")

        let started = ContinuousClock.now
        let client = try await HeldConnection.open(port: server.boundPort, sending: Self.upgradeRequest(port: server.boundPort))
        let answered = try await eventually(.seconds(2)) { client.bytes.text.contains("\r\n\r\n") }
        let elapsed = ContinuousClock.now - started
        #expect(answered)
        #expect(elapsed < .seconds(2))
        let head = client.bytes.text
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(head.lowercased().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"))
        #expect(try await eventually { server.webSocketCount == 1 && held.count(where: \.closedByPeer) == 300 - cap + 1 })
        #expect(server.pendingConnectionCount == cap - 1)
        #expect(held.allSatisfy { $0.bytes.isEmpty })
        await client.close()
        for connection in held { await connection.close() }
        await server.shutdown()
    }
}

/// A raw TCP connection that sends some bytes and then nothing: what it reads, and whether
/// the server closed it.
final class HeldConnection: Sendable {
    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to 127.0.0.1:`port` and sends `bytes`.
    static func open(port: Int, sending bytes: [UInt8]) async throws -> HeldConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: "127.0.0.1", port: port).get()
        try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        return HeldConnection(channel: channel, collector: collector)
    }

    /// What the server sent.
    var bytes: [UInt8] { collector.bytes }
    /// Whether the server closed the connection (this side closes only in ``close()``).
    var closedByPeer: Bool { !channel.isActive }

    func close() async { try? await channel.close() }
}

extension [UInt8] {
    var text: String { String(decoding: self, as: UTF8.self) }
}
