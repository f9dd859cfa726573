internal import CZlib
public import WSFraming

/// permessage-deflate (RFC 7692) as a `MessageTransform` of WSFraming's connection: each
/// message compressed with raw deflate and a sync flush, its `00 00 ff ff` tail removed, RSV1
/// set on its first frame; inbound messages inflated piece by piece, with the tail put back.
///
/// Safe under attack: inflating stops the moment a message passes the connection's message
/// limit (the connection then fails with 1009), so a decompression bomb costs at most the
/// message limit in memory, and the time to inflate that much, never what it would inflate
/// to. One instance per connection; its zlib streams are freed with it.
public final class PerMessageDeflate: MessageTransform {
    /// What was negotiated, seen from this side: how each direction compresses.
    public struct Parameters: Sendable, Hashable {
        /// Whether this side starts every outbound message with an empty window (its
        /// `…_no_context_takeover`): less memory kept between messages, worse compression.
        public var outboundNoContextTakeover: Bool
        /// Whether the peer does so for the messages it sends (so inflate state need not be kept).
        public var inboundNoContextTakeover: Bool
        /// The outbound window, 8 to 15 bits (zlib compresses with 9 at least).
        public var outboundMaxWindowBits: Int
        /// The inbound window the peer uses, 8 to 15 bits.
        public var inboundMaxWindowBits: Int

        /// Context takeover both ways and 15-bit windows: RFC 7692's defaults.
        public init(outboundNoContextTakeover: Bool = false, inboundNoContextTakeover: Bool = false,
                    outboundMaxWindowBits: Int = 15, inboundMaxWindowBits: Int = 15) {
            self.outboundNoContextTakeover = outboundNoContextTakeover
            self.inboundNoContextTakeover = inboundNoContextTakeover
            self.outboundMaxWindowBits = outboundMaxWindowBits
            self.inboundMaxWindowBits = inboundMaxWindowBits
        }

        /// What the negotiation agreed in RFC 7692's terms (server and client), seen from
        /// `role`: a server sends with the server's window and context takeover and receives
        /// with the client's; a client the reverse.
        public init(role: WebSocketRole, serverNoContextTakeover: Bool, clientNoContextTakeover: Bool,
                    serverMaxWindowBits: Int, clientMaxWindowBits: Int) {
            let server = role == .server
            self.init(outboundNoContextTakeover: server ? serverNoContextTakeover : clientNoContextTakeover,
                      inboundNoContextTakeover: server ? clientNoContextTakeover : serverNoContextTakeover,
                      outboundMaxWindowBits: server ? serverMaxWindowBits : clientMaxWindowBits,
                      inboundMaxWindowBits: server ? clientMaxWindowBits : serverMaxWindowBits)
        }
    }

    /// How this side compresses what it sends.
    public struct Compression: Sendable, Hashable {
        /// zlib's level, 1 (fastest) to 9 (smallest). Default 6.
        public var level: Int
        /// zlib's memory level, 1 to 9: the compressor's state is `2^(memoryLevel + 9)` bytes
        /// plus the window. Default 8.
        public var memoryLevel: Int
        /// Messages smaller than this many bytes go uncompressed (RSV1 clear). Default 64.
        public var threshold: Int

        /// zlib's usual trade-off: level 6, memory level 8, messages of 64 bytes and more.
        public init(level: Int = 6, memoryLevel: Int = 8, threshold: Int = 64) {
            self.level = level
            self.memoryLevel = memoryLevel
            self.threshold = threshold
        }
    }

    /// RSV1.
    public var reservedBits: ReservedBits { .rsv1 }

    /// What was negotiated.
    public let parameters: Parameters
    /// How this side compresses.
    public let compression: Compression
    /// When false, messages go out uncompressed (for data already compressed); RSV1 stays
    /// clear on them. Inbound messages are inflated either way.
    public var compressesOutbound = true

    /// Bytes that went through this connection's compressor and decompressor, since it began.
    public struct Totals: Sendable, Hashable {
        /// Compressed bytes received (frame payloads, before inflating).
        public var compressedIn = 0
        /// What they inflated to.
        public var decompressedIn = 0
        /// Bytes of messages compressed for sending, before deflating.
        public var uncompressedOut = 0
        /// What they deflated to (frame payloads).
        public var compressedOut = 0

        /// No bytes yet.
        public init() {}
    }

    /// Bytes that went through the compressor and decompressor so far: the compression
    /// ratio of each direction (metrics read it).
    public private(set) var totals = Totals()

    private var deflater: UnsafeMutablePointer<z_stream>?
    private var inflater: UnsafeMutablePointer<z_stream>?
    /// Bytes zlib allocated for both streams, kept by the shim's allocator.
    private let allocated: UnsafeMutablePointer<Int>
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// A transform for one connection with the negotiated `parameters`. It holds no zlib
    /// memory until the first message that needs it: a connection that never sends (or
    /// receives) a compressed message costs nothing for that direction.
    public init(parameters: Parameters = Parameters(), compression: Compression = Compression()) {
        self.parameters = parameters
        self.compression = compression
        allocated = .allocate(capacity: 1)
        allocated.initialize(to: 0)
    }

    deinit {
        release()
        allocated.deallocate()
    }

    /// The bytes zlib holds for this connection right now: the compressor's window and hash
    /// tables, the decompressor's window. Read it to check the memory table in the README.
    public var memoryInUse: Int { allocated.pointee }

    /// Frees both zlib streams now, as the connection ends; a later message would start new
    /// ones with empty windows, so call it only when no more messages will come or go.
    public func release() {
        if let deflater {
            deflateEnd(deflater)
            deflater.deallocate()
            self.deflater = nil
        }
        if let inflater {
            inflateEnd(inflater)
            inflater.deallocate()
            self.inflater = nil
        }
    }

    // MARK: Inbound

    /// Inflates the next piece of a compressed message; at its end, the `00 00 ff ff` tail is
    /// put back and, without the peer's context takeover, the window emptied.
    public func decode(_ input: UnsafeRawBufferPointer, isFinal: Bool, output: (UnsafeRawBufferPointer) -> Bool) throws(FramingError) {
        let stream = try inflateStream()
        totals.compressedIn &+= input.count
        guard try inflate(stream, input, output: output) else { return }
        if isFinal {
            var failure: FramingError?
            let more = Self.tail.withUnsafeBytes { tail -> Bool in
                do throws(FramingError) { return try inflate(stream, tail, output: output) } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            if more, parameters.inboundNoContextTakeover { inflateReset(stream) }
        }
    }

    /// Inflates `input` into `output` in 16 KiB pieces; false when `output` refused more.
    private func inflate(_ stream: UnsafeMutablePointer<z_stream>, _ input: UnsafeRawBufferPointer,
                         output: (UnsafeRawBufferPointer) -> Bool) throws(FramingError) -> Bool {
        guard input.count > 0 else { return true }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
        stream.pointee.avail_in = UInt32(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
        }
        // Scratch for the output, not kept between calls (it would cost every connection 16 KiB).
        let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16_384) { chunk -> Result<Bool, FramingError> in
            while true {
                stream.pointee.next_out = chunk.baseAddress
                stream.pointee.avail_out = UInt32(chunk.count)
                let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                let produced = chunk.count - Int(stream.pointee.avail_out)
                totals.decompressedIn &+= produced
                switch status {
                case Z_OK, Z_BUF_ERROR, Z_STREAM_END:
                    break
                case Z_DATA_ERROR, Z_NEED_DICT:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return .failure(.extensionFailure("permessage-deflate: the compressed data is corrupt (\(reason))"))
                default:
                    // Z_MEM_ERROR, Z_STREAM_ERROR: our fault, not the peer's.
                    return .failure(.extensionFailure("permessage-deflate: zlib failed to decompress (\(status))", closeCode: .internalError))
                }
                if produced > 0, !output(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[..<produced])) {
                    return .success(false)
                }
                if status == Z_STREAM_END {
                    // A final deflate block (BFINAL): that stream is done; what follows starts anew.
                    inflateReset(stream)
                    if stream.pointee.avail_in > 0 { continue }
                    return .success(true)
                }
                if stream.pointee.avail_out == 0 { continue } // more output may be waiting
                guard stream.pointee.avail_in == 0 else {
                    return .failure(.extensionFailure("permessage-deflate: the compressed data is corrupt (inflate made no progress)"))
                }
                return .success(true)
            }
        }
        return try result.get()
    }

    private func inflateStream() throws(FramingError) -> UnsafeMutablePointer<z_stream> {
        if let inflater { return inflater }
        let bits = Int32(max(8, min(15, parameters.inboundMaxWindowBits)))
        let stream = try Self.makeStream("an inflater") { ws_inflateInit2($0, bits, allocated) }
        inflater = stream
        return stream
    }

    /// A z_stream that `initialize` set up, or the error that says zlib could not start `what`.
    private static func makeStream(_ what: String, initialize: (UnsafeMutablePointer<z_stream>) -> Int32)
        throws(FramingError) -> UnsafeMutablePointer<z_stream>
    {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard initialize(stream) == Z_OK else {
            stream.deallocate()
            throw .extensionFailure("permessage-deflate: zlib could not start \(what)", closeCode: .internalError)
        }
        return stream
    }

    // MARK: Outbound

    /// Whether a message of `count` bytes would be compressed: compression is on and the
    /// message reaches the threshold.
    public func encodes(count: Int, kind: MessageKind) -> Bool {
        compressesOutbound && count >= compression.threshold
    }

    /// Compresses a whole message, or returns nil to send it as it is (below the threshold,
    /// or with compression off).
    public func encode(_ payload: UnsafeRawBufferPointer, kind: MessageKind) throws(FramingError)
        -> (bytes: [UInt8], reservedBits: ReservedBits)?
    {
        guard encodes(count: payload.count, kind: kind) else { return nil }
        return (try compress(payload, endsMessage: true), .rsv1)
    }

    /// Compresses each fragment of a message sent in parts as the next piece of one deflate
    /// stream; the threshold does not apply (the message's size is not known yet).
    public func encodeFragment(_ payload: UnsafeRawBufferPointer, kind: MessageKind, isFirst: Bool, isFinal: Bool)
        throws(FramingError) -> (bytes: [UInt8], reservedBits: ReservedBits)?
    {
        if isFirst, !compressesOutbound { return nil }
        return (try compress(payload, endsMessage: isFinal), .rsv1)
    }

    /// Deflates `payload` with a sync flush. At the end of a message the flush's empty stored
    /// block (`00 00 ff ff`) is removed (RFC 7692 §7.2.1) and, without context takeover, the
    /// window is emptied; within a message it stays, as part of the stream.
    private func compress(_ payload: UnsafeRawBufferPointer, endsMessage: Bool) throws(FramingError) -> [UInt8] {
        let stream = try deflateStream()
        stream.pointee.next_in = UnsafeMutablePointer(mutating: payload.bindMemory(to: UInt8.self).baseAddress)
        stream.pointee.avail_in = UInt32(payload.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        // deflateBound is enough for all but pathological input: one pass, one allocation, no
        // zeroing. If it ever is not, the array grows and deflate goes on.
        let bound = Int(deflateBound(stream, UInt(payload.count))) + 16
        var status = Z_OK
        var out = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            stream.pointee.next_out = buffer.baseAddress
            stream.pointee.avail_out = UInt32(bound)
            status = deflate(stream, Z_SYNC_FLUSH)
            count = bound - Int(stream.pointee.avail_out)
        }
        while true {
            guard status == Z_OK || status == Z_BUF_ERROR else {
                throw .extensionFailure("permessage-deflate: zlib failed to compress (\(status))", closeCode: .internalError)
            }
            // Done when the input is taken and zlib left room: the sync flush is complete.
            if stream.pointee.avail_in == 0, stream.pointee.avail_out > 0 { break }
            let used = out.count
            out += repeatElement(0, count: max(used / 2, 1024))
            out.withUnsafeMutableBytes { buffer in
                stream.pointee.next_out = buffer.bindMemory(to: UInt8.self).baseAddress.map { $0 + used }
                stream.pointee.avail_out = UInt32(buffer.count - used)
                status = deflate(stream, Z_SYNC_FLUSH)
            }
            out.removeLast(Int(stream.pointee.avail_out))
        }
        guard endsMessage else {
            totals.uncompressedOut &+= payload.count
            totals.compressedOut &+= out.count
            return out
        }
        // RFC 7692 §7.2.1: remove the empty stored block's 00 00 ff ff that the flush ends with.
        if out.count >= 4, out[(out.count - 4)...].elementsEqual(Self.tail) { out.removeLast(4) }
        // Nothing new since the last flush (an empty message, or an empty last fragment): zlib
        // wrote nothing, so send the one byte that, with the tail the peer appends, makes an
        // empty stored block (RFC 7692 §7.2.3.6). An empty payload would leave the peer's
        // inflater inside a block header and break the next message.
        if out.isEmpty { out = [0x00] }
        if parameters.outboundNoContextTakeover { deflateReset(stream) }
        totals.uncompressedOut &+= payload.count
        totals.compressedOut &+= out.count
        return out
    }

    private func deflateStream() throws(FramingError) -> UnsafeMutablePointer<z_stream> {
        if let deflater { return deflater }
        // zlib's raw deflate has no 8-bit window: 9 is its smallest. Negotiation must therefore
        // never agree to 8 for what this side sends (decline such an offer).
        let bits = Int32(max(9, min(15, parameters.outboundMaxWindowBits)))
        let level = Int32(compression.level), memoryLevel = Int32(compression.memoryLevel)
        let stream = try Self.makeStream("a deflater") { ws_deflateInit2($0, level, bits, memoryLevel, allocated) }
        deflater = stream
        return stream
    }
}
