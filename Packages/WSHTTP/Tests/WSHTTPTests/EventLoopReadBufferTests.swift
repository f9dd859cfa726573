import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing
import WSFraming
@_spi(WSInternal) @testable import WSHTTP
import WSTLS

@Suite("EventLoopReadBuffer: a live WebSocket reads into its event loop's buffer, not one of its own", .timeLimit(.minutes(1)))
struct EventLoopReadBufferTests {
    let certificates = TestCertificates.shared

    /// Where a buffer's memory is.
    private func address(_ buffer: ByteBuffer) -> UInt {
        buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }

    @Test("a buffer handed back is the next read's; one someone still holds, or of another size, is not")
    func giveBack() {
        let buffers = EventLoopBuffers.current
        buffers.readSpare = nil  // this thread's, from an earlier test
        let allocator = EventLoopReadBuffer(buffers: buffers)
        #expect(allocator.nextBufferSize() == nil)
        var first = allocator.buffer(allocator: ByteBufferAllocator())
        #expect(first.capacity == EventLoopBuffers.readCapacity)
        first.writeString("decoded")
        let firstAddress = address(first)

        let holder = first  // a consumer that kept the bytes
        buffers.giveBack(read: first)
        let second = allocator.buffer(allocator: ByteBufferAllocator())
        #expect(address(second) != firstAddress, "a buffer someone holds must not be read into")
        #expect(holder.getString(at: 0, length: 7) == "decoded")

        let secondAddress = address(second)
        buffers.giveBack(read: consume second)  // as the handlers do: their only reference
        let third = allocator.buffer(allocator: ByteBufferAllocator())
        #expect(address(third) == secondAddress, "the buffer handed back is read into next")
        #expect(third.readableBytes == 0 && third.writerIndex == 0, "and it comes back empty")

        buffers.giveBack(read: ByteBufferAllocator().buffer(capacity: 512))
        #expect(buffers.readSpare == nil, "a buffer of another size is let go")
        buffers.giveBack(read: consume third)
        let fourth = allocator.buffer(allocator: ByteBufferAllocator())
        let fourthAddress = address(fourth)
        buffers.giveBack(read: consume fourth)
        buffers.giveBack(read: ByteBufferAllocator().buffer(capacity: EventLoopBuffers.readCapacity))
        #expect(buffers.readSpare.map(address) == fourthAddress, "one spare a thread: a second is let go")
    }

    @Test("both ends of an upgraded connection read through it, one read per cycle, and echo every size")
    func upgradedChannels() async throws {
        let serverChannel = Mutex<(any Channel)?>(nil)
        var configuration = WebSocket.Configuration()
        configuration.maxMessageSize = 1 << 20
        configuration.maxFrameSize = 1 << 20
        let server = try await TestServer.start(configuration: configuration, handlers: WebSocketServerHandlers(upgraded: { webSocket in
            serverChannel.withLock { $0 = webSocket.channel }
            for await message in webSocket.messages { try? await webSocket.send(message) }
        }))
        let client = try await connect(port: server.port, configuration: configuration)
        // Sizes below, at and above one read's buffer, so that a message spans reads.
        for size in [1, 125, 126, 4096, EventLoopBuffers.readCapacity - 1, EventLoopBuffers.readCapacity + 1, 1 << 20] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await client.send(binary: bytes)
            #expect(try await client.receive() == .binary(bytes), "\(size) bytes")
        }
        for channel in [client.channel, try #require(serverChannel.withLock { $0 })] {
            let (allocator, perRead) = try await channel.eventLoop.submit {
                (try channel.syncOptions?.getOption(.recvAllocator), try channel.syncOptions?.getOption(.maxMessagesPerRead))
            }.get()
            #expect(allocator is EventLoopReadBuffer)
            #expect(perRead == 1)
        }
        _ = await client.close()
        await server.stop()
    }

    @Test("an event loop of its own thread shares its buffers; any other loop's connection gets its own")
    func sharedOnlyOnTheLoopsThread() throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let (shared, hasUnmask, same) = try loop.submit {
            let buffers = EventLoopBuffers.of(loop)
            return (buffers.isShared, buffers.unmask != nil, buffers === EventLoopBuffers.current)
        }.wait()
        #expect(shared && hasUnmask && same)
        let own = EventLoopBuffers.of(EmbeddedEventLoop())
        #expect(!own.isShared && own.unmask == nil)
        #expect(EventLoopBuffers.of(EmbeddedEventLoop()) !== own, "each such connection has its own")
    }

    @Test("behind a TLS handler that does not hand its reads back, the connection reads as NIO does")
    func foreignTLSHandler() async throws {
        let serverChannel = Mutex<(any Channel)?>(nil)
        let context = try TLSServerContext(certificates.server())
        let foreign = WebSocketTLS { _ in TLSHandler(server: context) }  // handsBackReads is false: any handler
        let server = try await TestServer.start(anyTLS: foreign, handlers: WebSocketServerHandlers(upgraded: { webSocket in
            serverChannel.withLock { $0 = webSocket.channel }
            for await message in webSocket.messages { try? await webSocket.send(message) }
        }))
        let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost")
        try await client.send(text: "through another handler")
        #expect(try await client.receive() == .text("through another handler"))
        let channel = try #require(serverChannel.withLock { $0 })
        let allocator = try await channel.eventLoop.submit { try channel.syncOptions?.getOption(.recvAllocator) }.get()
        #expect(!(allocator is EventLoopReadBuffer), "the server's reads stay NIO's")
        let clientAllocator = try await client.channel.eventLoop.submit { try client.channel.syncOptions?.getOption(.recvAllocator) }.get()
        #expect(clientAllocator is EventLoopReadBuffer, "the client's TLS is WSTLS's .openSSL, which hands reads back")
        _ = await client.close()
        await server.stop()
    }

    @Test("over TLS too, the TLS handler hands the read back")
    func overTLS() async throws {
        let server = try await TestServer.start(tls: try TLSServerContext(certificates.server()), handlers: echoHandlers)
        let client = try await connect(port: server.port, tls: try TLSClientContext(certificates.client()), host: "localhost")
        for size in [10, 20_000, 200_000] {
            let bytes = [UInt8](repeating: 7, count: size)
            try await client.send(binary: bytes)
            #expect(try await client.receive() == .binary(bytes), "\(size) bytes")
        }
        // Other tests' connections share the loop and may hold its read buffer for a moment.
        let loop = client.channel.eventLoop
        let spareAfterRead = try await eventually { (try? loop.submit { EventLoopBuffers.current.readSpare != nil }.wait()) == true }
        #expect(spareAfterRead, "the client's loop has its spare back after the reads")
        _ = await client.close()
        await server.stop()
    }
}
