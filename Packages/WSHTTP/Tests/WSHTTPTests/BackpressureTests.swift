import NIOCore
import Synchronization
import Testing
import WSFraming
@testable import WSHTTP

/// Neither side buffers without bound: a slow consumer stops the reading, a slow peer stops
/// the sending.
@Suite("Backpressure, both ways", .timeLimit(.minutes(1)))
struct BackpressureTests {
    /// 64 MiB in all: far more than the kernel's socket buffers on loopback hold.
    static let messageCount = 1024
    static let message = [UInt8](repeating: 0x5A, count: 64 << 10)

    @Test("inbound: while the consumer does not read, the connection stops reading the socket")
    func inbound() async throws {
        let consumerMayRead = Gate()
        let received = Atomic<Int>(0)
        var configuration = WebSocket.Configuration()
        configuration.maxBufferedMessages = 4
        let server = try await TestServer.start(configuration: configuration, receiveBufferSize: 64 << 10, handlers: WebSocketServerHandlers(upgraded: { webSocket in
            await consumerMayRead.wait()
            for await _ in webSocket.messages {
                if received.add(1, ordering: .relaxed).newValue == Self.messageCount { break }
            }
        }))
        let client = try await connect(port: server.port)
        let sent = Atomic<Int>(0)
        let sending = Task {
            for _ in 0..<Self.messageCount {
                // Uncompressed: 64 KiB of one byte would deflate to a hundred.
                try await client.send(binary: Self.message, compress: false)
                sent.add(1, ordering: .relaxed)
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let sentWhileStalled = sent.load(ordering: .relaxed)
        #expect(sentWhileStalled < Self.messageCount / 2, "the client's sends wait: the server has stopped reading")
        #expect(received.load(ordering: .relaxed) == 0)
        consumerMayRead.open()
        try await sending.value
        while received.load(ordering: .relaxed) < Self.messageCount { try await Task.sleep(for: .milliseconds(10)) }
        await client.close()
        await server.stop()
    }

    @Test("outbound: sends wait while more than maxBufferedOutboundBytes wait for a peer that does not read")
    func outbound() async throws {
        let server = try await RawServer.start(.stopsReading)
        var configuration = WebSocket.Configuration()
        configuration.maxBufferedOutboundBytes = 256 << 10
        let client = try await connect(port: server.port, configuration: configuration)
        let sent = Atomic<Int>(0)
        let sending = Task {
            for _ in 0..<Self.messageCount {
                // Uncompressed: 64 KiB of one byte would deflate to a hundred.
                try await client.send(binary: Self.message, compress: false)
                sent.add(1, ordering: .relaxed)
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let sentWhileStalled = sent.load(ordering: .relaxed)
        #expect(sentWhileStalled < Self.messageCount / 2, "sends wait for the socket")
        server.resumeReading()
        try await sending.value
        #expect(sent.load(ordering: .relaxed) == Self.messageCount)
        await client.close(timeout: .milliseconds(100))
        await server.stop()
    }
}

/// A one-shot gate that tasks wait on until it opens.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
