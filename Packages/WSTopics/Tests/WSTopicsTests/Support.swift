import Logging
import NIOCore
import NIOPosix
import Synchronization
import WSTopics

let testLogger = Logger(label: "wstopics-tests")

/// A WebSocket server on 127.0.0.1 (WSHTTP's pipeline on a NIO bootstrap): a node of the tests.
struct TestServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(configuration: WebSocket.Configuration = .default, handlers: WebSocketServerHandlers) async throws -> TestServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(tls: nil, configuration: configuration, logger: testLogger, handlers: handlers)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestServer(channel: channel)
    }

    func stop() async { try? await channel.close() }
}

/// Connects a client to 127.0.0.1:`port`.
func connect(port: Int, target: String = "/", configuration: WebSocket.Configuration = .default) async throws -> WebSocket {
    let handshake = WebSocketClientHandshake(target: target, host: "127.0.0.1", port: port)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
    return try await channel.configureWebSocketClientPipeline(handshake: handshake, tls: nil, configuration: configuration,
                                                              consumer: .async, logger: testLogger).get()
}

/// Waits until `condition` holds, or `timeout` passes; returns whether it held.
func eventually(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// A node of a room: every connection subscribes to the topic its path names (`/room`), from
/// a task as it opens or, on event-loop callbacks, with a message `subscribe`; it publishes
/// what it sends there, except to itself. A message `unsubscribe` unsubscribes it.
func roomServer(_ topics: WebSocketTopics, fromEventLoop: Bool = false,
                configuration: WebSocket.Configuration = .default) async throws -> TestServer {
    if fromEventLoop {
        return try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(
            consumer: .eventLoop({ handshake in RoomHandler(topics, topic: String(handshake.target.dropFirst())) }),
            upgraded: { _ in }))
    }
    return try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(upgraded: { webSocket in
        let topic = String(webSocket.handshake.target.dropFirst())
        do throws(TopicError) {
            try topics.subscribe(webSocket, to: topic)
        } catch {
            return _ = await webSocket.close(code: .policyViolation, reason: error.message)
        }
        for await message in webSocket.messages {
            if message == .text("unsubscribe") {
                topics.unsubscribe(webSocket, from: topic)
            } else {
                try? topics.publish(message, to: topic, except: webSocket.id)
            }
        }
    }))
}

/// The room's event-loop consumer: publishes each lent message's bytes.
final class RoomHandler: WebSocketEventLoopHandler {
    let topics: WebSocketTopics
    let topic: String
    init(_ topics: WebSocketTopics, topic: String) {
        self.topics = topics
        self.topic = topic
    }

    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) {
        switch message.text {
        case "subscribe": return try! topics.subscribe(webSocket, to: topic)
        case "unsubscribe": return _ = topics.unsubscribe(webSocket, from: topic)
        default: try? topics.publish(message, to: topic, except: webSocket.id)
        }
    }
}

/// Holds an error a server's handler met, for the test to read.
final class OutcomeBox: Sendable {
    private let stored = Mutex<TopicError?>(nil)
    var error: TopicError? { stored.withLock { $0 } }
    func set(_ error: TopicError) { stored.withLock { $0 = error } }
}

/// A client that upgrades and then never reads: its socket's buffers fill, and the server's
/// outbound queue for it grows to the budget.
struct StalledClient {
    let channel: any Channel

    static func connect(port: Int, target: String) async throws -> StalledClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 64 << 10)
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        return StalledClient(channel: channel)
    }

    func close() async { try? await channel.close() }
}
