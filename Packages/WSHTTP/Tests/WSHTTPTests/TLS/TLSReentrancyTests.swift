import NIOCore
import NIOEmbedded
import Synchronization
import Testing
import WSTLS

/// A TLS client and server on two embedded channels, their bytes carried by hand, so that a
/// test decides exactly which ciphertext the server reads in one go.
private struct TLSPair {
    let client: EmbeddedChannel
    let server: EmbeddedChannel

    init(certificates: TestCertificates, serverSide: [any ChannelHandler], serverApp: [any ChannelHandler]) throws {
        client = EmbeddedChannel()
        server = EmbeddedChannel()
        try client.pipeline.syncOperations.addHandler(
            TLSHandler(client: try TLSClientContext(certificates.client()), serverHostname: "localhost", handshakeTimeout: nil))
        try server.pipeline.syncOperations.addHandlers(serverSide)
        try server.pipeline.syncOperations.addHandler(TLSHandler(server: try TLSServerContext(certificates.server()), handshakeTimeout: nil))
        try server.pipeline.syncOperations.addHandlers(serverApp)
        client.connect(to: try .init(ipAddress: "127.0.0.1", port: 443), promise: nil)
        server.connect(to: try .init(ipAddress: "127.0.0.1", port: 50000), promise: nil)
        for _ in 0..<10 { try carry() }
    }

    /// Everything each side wrote, to the other.
    func carry() throws {
        while let bytes = try client.readOutbound(as: ByteBuffer.self) { try server.writeInbound(bytes) }
        while let bytes = try server.readOutbound(as: ByteBuffer.self) { try client.writeInbound(bytes) }
    }

    /// The client's ciphertext so far, in one buffer, without delivering it.
    func clientCiphertext() throws -> ByteBuffer {
        var all = ByteBuffer()
        while var bytes = try client.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&bytes) }
        return all
    }
}

/// Once armed, fails every write and closes the channel at once, as NIO does when a write finds
/// the connection reset: the close frees the TLS handler's OpenSSL connection there and then.
private final class ResetOnWrite: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    var armed = false
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard armed else { return context.write(data, promise: promise) }
        promise?.fail(ChannelError.ioOnClosedChannel)
        context.close(promise: nil)
    }
}

/// On the first plaintext it reads, answers (so the write meets the reset) and counts reads.
private final class AnswerOnFirstRead: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let reset: ResetOnWrite
    var reads = 0
    var bytes = 0
    init(reset: ResetOnWrite) { self.reset = reset }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reads += 1
        bytes += unwrapInboundIn(data).readableBytes
        if reads == 1 {
            reset.armed = true
            context.writeAndFlush(NIOAny(ByteBuffer(string: "answer")), promise: nil)
        }
    }
}

@Suite("TLSHandler when what reads its plaintext closes the channel", .timeLimit(.minutes(1)))
struct TLSReentrancyTests {
    let certificates = TestCertificates.shared

    @Test("a close inside the plaintext hand-off (a reset socket) frees the connection, and the handler reads no further from it")
    func closeInsidePlaintextHandOff() throws {
        let reset = ResetOnWrite()
        let app = AnswerOnFirstRead(reset: reset)
        let pair = try TLSPair(certificates: certificates, serverSide: [reset], serverApp: [app])
        #expect(pair.server.isActive && pair.client.isActive, "the handshake finished")
        // Many records, delivered so that OpenSSL already holds the start of one when the rest
        // comes: then more plaintext decrypts than the ciphertext still waiting, and the
        // plaintext buffer fills and is handed on before the records are all read.
        for _ in 0..<64 { pair.client.write(NIOAny(ByteBuffer(repeating: 0x61, count: 16_384)), promise: nil) }
        pair.client.flush()
        var ciphertext = try pair.clientCiphertext()
        let slice = ciphertext.readSlice(length: 100)
        let head = try #require(slice)
        try pair.server.writeInbound(head)
        #expect(app.reads == 0, "a part of a record decrypts to nothing yet")
        try? pair.server.writeInbound(ciphertext)
        #expect(app.reads == 1, "nothing is handed on after the close")
        #expect(app.bytes == 1 << 20, "the hand-off was a full plaintext buffer, mid-read")
        #expect(!pair.server.isActive)
        // The client's close waits for a close_notify that no one carries: let its timer end it.
        pair.client.close(promise: nil)
        pair.client.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(!pair.client.isActive)
        // The handlers leave the pipelines in the loops' next turn: run it, so that nothing
        // holds the channels.
        pair.client.embeddedEventLoop.run()
        pair.server.embeddedEventLoop.run()
    }
}
