import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import WSRedis

/// What a backplane received, for a test to read.
final class Received: Sendable {
    private let stored = Mutex<[BackplaneMessage]>([])
    var messages: [BackplaneMessage] { stored.withLock { $0 } }
    var texts: [String] { messages.map { $0.message.withUnsafePayload { String(decoding: $0, as: UTF8.self) } } }
    func add(_ message: BackplaneMessage) { stored.withLock { $0.append(message) } }
}

/// A backplane given to no topics: what it receives is collected.
func listening(_ url: String, configuration: RedisBackplane.Configuration = .init()) async throws -> (RedisBackplane, Received) {
    let backplane = try await RedisBackplane.connect(to: url, configuration: configuration)
    let received = Received()
    backplane.start(as: NodeID(rawValue: 2)) { received.add($0) }
    return (backplane, received)
}

/// A message of `node`'s.
func message(_ text: String, topic: String = "room", node: NodeID = NodeID(rawValue: 1)) -> BackplaneMessage {
    BackplaneMessage(topic: topic, origin: node, message: PreparedMessage(text: text))
}

/// Publishes `probe` every 20 ms until `received` has one, or `timeout` passes; returns how long it took.
func publishUntilReceived(_ publisher: RedisBackplane, _ received: Received, probe: String = "probe",
                          timeout: Duration = .seconds(10)) async throws -> Duration? {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < timeout {
        publisher.publish(message(probe))
        try await Task.sleep(for: .milliseconds(20))
        if received.texts.contains(probe) { return ContinuousClock.now - start }
    }
    return nil
}

/// The subscribers Redis counts for `channel` (PUBSUB NUMSUB), asked on a connection of the test's own.
func subscriberCount(_ channel: String, port: Int) async throws -> Int {
    let options = RedisConnection.Options(tls: nil, username: nil, password: nil, connectTimeout: .seconds(2), maxReplyBytes: 1 << 16,
                                          writeBufferHighWater: 1 << 16)
    let connection = try await RedisConnection.connect(host: "127.0.0.1", port: port, options: options,
                                                       on: MultiThreadedEventLoopGroup.singleton.any()).get()
    defer { connection.close() }
    let reply = try await connection.request(["PUBSUB", "NUMSUB", channel]).get()
    guard case .array(let parts) = reply, parts.count == 2, case .integer(let count) = parts[1] else { return -1 }
    return count
}

@Suite("RedisBackplane against a real redis-server", .serialized, .timeLimit(.minutes(2)))
struct RedisBackplaneTests {
    @Test("a publish reaches the nodes subscribed to its topic, in order; unsubscribing leaves Redis's count")
    func delivery() async throws {
        let redis = try RedisServerProcess()
        let (a, _) = try await listening(redis.url)
        let (b, received) = try await listening(redis.url)
        #expect(!b.isCluster && b.isConnected)
        b.subscribe("room")
        #expect(try await eventuallyAsync { try await subscriberCount("room", port: redis.port) == 1 })
        for sequence in 0..<1_000 { a.publish(message("m\(sequence)")) }
        a.publish(message("elsewhere", topic: "other"))
        #expect(try await eventuallyAsync { received.messages.count == 1_000 })
        #expect(received.texts == (0..<1_000).map { "m\($0)" }, "in the order published")
        #expect(received.messages.allSatisfy { $0.topic == "room" && $0.origin == NodeID(rawValue: 1) })
        #expect(a.statistics.published == 1_001 && b.statistics.received == 1_000)
        // B's own publishes come back from Redis and are dropped before they are decoded.
        b.publish(message("its own", node: NodeID(rawValue: 2)))
        a.publish(message("after its own"))
        #expect(try await eventually { received.texts.last == "after its own" })
        #expect(!received.texts.contains("its own") && b.statistics.received == 1_001)
        b.unsubscribe("room")
        #expect(try await eventuallyAsync { try await subscriberCount("room", port: redis.port) == 0 })
        await a.shutdown()
        await b.shutdown()
    }

    @Test("start-up says at once, with the address, that Redis is unreachable")
    func unreachable() async throws {
        let port = RedisServerProcess.freePort()
        await #expect(throws: RedisError(.unreachable, "cannot reach Redis at 127.0.0.1:\(port): connection refused")) {
            _ = try await RedisBackplane.connect(to: "redis://127.0.0.1:\(port)")
        }
        await #expect(throws: RedisError.self) { _ = try await RedisBackplane.connect(to: "127.0.0.1:\(port)") }
    }

    @Test("AUTH: no password and a wrong one are refused clearly; the right one works")
    func authentication() async throws {
        let redis = try RedisServerProcess(arguments: ["--requirepass", "s3cret"])
        await #expect(throws: RedisError.self) { _ = try await RedisBackplane.connect(to: redis.url) }
        do {
            _ = try await RedisBackplane.connect(to: redis.url)
        } catch {
            #expect(error.kind == .authentication && error.message.contains("needs a password"), "\(error)")
        }
        do {
            _ = try await RedisBackplane.connect(to: "redis://:wrong@127.0.0.1:\(redis.port)")
        } catch {
            #expect(error.kind == .authentication && error.message.contains("refused the credentials"), "\(error)")
        }
        let (a, _) = try await listening("redis://:s3cret@127.0.0.1:\(redis.port)")
        let (b, received) = try await listening("redis://default:s3cret@127.0.0.1:\(redis.port)")
        b.subscribe("room")
        #expect(try await publishUntilReceived(a, received) != nil)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("Redis restarts: publishes meanwhile are dropped and counted, then both reconnect and resubscribe on their own within 5 s")
    func restart() async throws {
        let redis = try RedisServerProcess()
        let (a, _) = try await listening(redis.url)
        let (b, received) = try await listening(redis.url)
        b.subscribe("room")
        #expect(try await publishUntilReceived(a, received) != nil)
        redis.kill()
        #expect(try await eventually { !a.isConnected && !b.isConnected })
        a.publish(message("while away"))
        #expect(a.statistics.droppedDisconnected >= 1)
        try redis.start()
        let back = ContinuousClock.now
        let resumed = try await publishUntilReceived(a, received, probe: "after the restart", timeout: .seconds(5))
        #expect(resumed != nil, "delivery resumed \(back.duration(to: .now)) after Redis came back")
        #expect(!received.texts.contains("while away"), "at most once")
        #expect(a.statistics.reconnects == 1 && b.statistics.reconnects == 1, "\(a.statistics) \(b.statistics)")
        await a.shutdown()
        await b.shutdown()
    }

    @Test("rediss://: TLS with the server's CA works; without trusting it, the error says TLS")
    func tls() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redis-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try run("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder + "/key.pem",
                                 "-out", folder + "/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        let tlsPort = RedisServerProcess.freePort()
        let redis = try RedisServerProcess(arguments: ["--tls-port", "\(tlsPort)", "--tls-cert-file", folder + "/cert.pem",
                                                       "--tls-key-file", folder + "/key.pem", "--tls-ca-cert-file", folder + "/cert.pem",
                                                       "--tls-auth-clients", "no"])
        let url = "rediss://127.0.0.1:\(tlsPort)"
        do {
            _ = try await RedisBackplane.connect(to: url)
            Issue.record("a self-signed certificate was trusted")
        } catch {
            #expect(error.kind == .tls, "\(error) \(error.kind)")
        }
        var configuration = RedisBackplane.Configuration()
        configuration.tls = .init(verification: .trustedCAs(.file(folder + "/cert.pem")), applicationProtocols: [])
        let (a, _) = try await listening(url, configuration: configuration)
        let (b, received) = try await listening(url, configuration: configuration)
        b.subscribe("room")
        #expect(try await publishUntilReceived(a, received) != nil)
        _ = redis
        await a.shutdown()
        await b.shutdown()
    }

    @Test("what others publish on the channel is not a topic message: dropped as malformed, nothing delivered")
    func malformed() async throws {
        let redis = try RedisServerProcess()
        let (b, received) = try await listening(redis.url)
        b.subscribe("room")
        #expect(try await eventuallyAsync { try await subscriberCount("room", port: redis.port) == 1 })
        try run("/usr/bin/env", ["redis-cli", "-p", "\(redis.port)", "PUBLISH", "room", "not ours"])
        #expect(try await eventually { b.statistics.malformed == 1 })
        #expect(received.messages.isEmpty)
        await b.shutdown()
    }

    @Test("publishes beyond maxPendingBytes are dropped and counted, not queued")
    func overLimit() async throws {
        let redis = try RedisServerProcess()
        var configuration = RedisBackplane.Configuration()
        configuration.maxPendingBytes = 4 << 10
        let a = try await RedisBackplane.connect(to: redis.url, configuration: configuration)
        let payload = String(repeating: "x", count: 1 << 10)
        // On the backplane's own loop, nothing is written until this returns: the bound decides.
        try await a.eventLoop.submit { for _ in 0..<100 { a.publish(message(payload)) } }.get()
        let statistics = a.statistics
        #expect(statistics.droppedOverLimit > 80 && statistics.published + statistics.droppedOverLimit == 100, "\(statistics)")
        await a.shutdown()
    }
}

func eventually(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}

func eventuallyAsync(_ timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(20))
    }
    return true
}

/// Runs a command to its end; throws when it fails.
func run(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw RedisTestError(description: "\(arguments.joined(separator: " ")) failed") }
}
