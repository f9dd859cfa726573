import NIOCore
import NIOPosix
import Synchronization
import Testing
import WSFraming
@_spi(WSInternal) @testable import WSHTTP

@Suite("EventLoopBuffers: a live WebSocket holds no write memory between writes", .timeLimit(.minutes(1)))
struct EventLoopWriteBufferTests {
    @Test("a buffer no one else holds goes back as a spare, the next write's; a held one, or one too large, does not")
    func giveBack() {
        let buffers = EventLoopBuffers.current
        while !buffers.writeSpares.isEmpty { _ = buffers.takeWriteBuffer() }  // this thread's, from an earlier test
        var first = buffers.takeWriteBuffer()
        #expect(first.capacity == EventLoopBuffers.initialWriteCapacity)
        first.writeString("frames")
        let address = first.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        let pending = first  // a write the socket has not taken yet
        buffers.giveBack(written: consume first)
        #expect(buffers.writeSpares.isEmpty)
        buffers.giveBack(written: consume pending)  // written: the last holder lets go
        let again = buffers.takeWriteBuffer()
        #expect(again.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) } == address)
        #expect(again.readableBytes == 0)

        buffers.giveBack(written: ByteBufferAllocator().buffer(capacity: EventLoopBuffers.maxRetainedWriteCapacity + 1))
        #expect(buffers.writeSpares.isEmpty, "a buffer past the limit is let go")
        let capacity = EventLoopBuffers.maxRetainedWriteCapacity
        for _ in 0..<(EventLoopBuffers.maxWriteSpareBytes / capacity + 3) {
            buffers.giveBack(written: ByteBufferAllocator().buffer(capacity: capacity))
        }
        #expect(buffers.writeSpares.count == EventLoopBuffers.maxWriteSpareBytes / capacity, "no more than maxWriteSpareBytes kept")
        #expect(buffers.writeSpareBytes == EventLoopBuffers.maxWriteSpareBytes)
        while buffers.writeSpareBytes > 0 { _ = buffers.takeWriteBuffer() }
        #expect(buffers.writeSpares.isEmpty)
    }

    @Test("a buffer taken for a send that wrote nothing goes back on release; one with bytes waiting stays")
    func release() {
        let buffers = EventLoopBuffers.current
        var outbound = OutboundBuffer(buffers: buffers)
        outbound.writeWithUnsafeMutableBytes(minimumWritableBytes: 100) { _ in 0 }  // refused: nothing written
        #expect(outbound.bytes.capacity > 0)
        let spares = buffers.writeSpares.count
        outbound.release()
        #expect(outbound.bytes.capacity == 0 && buffers.writeSpares.count == spares + 1)
        [UInt8](repeating: 1, count: 10).withUnsafeBytes { outbound.write($0) }
        outbound.release()
        #expect(outbound.bytes.readableBytes == 10, "bytes still waiting are kept")
    }

    @Test("after each echo, at every size, both ends' handlers hold no write memory")
    func nothingHeldAfterWrites() async throws {
        let serverSide = Mutex<WebSocket?>(nil)
        var configuration = WebSocket.Configuration()
        configuration.maxMessageSize = 1 << 20
        configuration.maxFrameSize = 1 << 20
        let server = try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(upgraded: { webSocket in
            serverSide.withLock { $0 = webSocket }
            for await message in webSocket.messages { try? await webSocket.send(message) }
        }))
        let client = try await connect(port: server.port, configuration: configuration)
        for size in [0, 64, 4096, 300_000, 1 << 20] {
            let bytes = [UInt8](repeating: 9, count: size)
            try await client.send(binary: bytes)
            #expect(try await client.receive() == .binary(bytes), "\(size) bytes")
            for webSocket in [client, try #require(serverSide.withLock { $0 })] {
                let held = try await webSocket.channel.eventLoop.submit { webSocket.handler.value.outbound.bytes.capacity }.get()
                #expect(held == 0, "\(webSocket.role) after \(size) bytes")
                // A buffer grown past maxRetainedCapacity is let go instead.
                guard size <= 4096 else { continue }
                // Other tests' connections share the loop and may hold its spares for a moment.
                let loop = webSocket.channel.eventLoop
                let spare = try await eventually { (try? loop.submit { !EventLoopBuffers.current.writeSpares.isEmpty }.wait()) == true }
                #expect(spare, "the write's buffer went back to the \(webSocket.role)'s event loop after \(size) bytes")
            }
        }
        _ = await client.close()
        await server.stop()
    }
}
