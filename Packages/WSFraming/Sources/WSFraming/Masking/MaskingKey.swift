/// The 32-bit key that masks a client's frame payload (RFC 6455 §5.3).
///
/// Masking is an XOR of payload byte `i` with key byte `i % 4`. The functions here work a
/// machine word at a time (32 bytes per step, then 8, then single bytes), for any length and
/// any starting `offset` into the payload, so that a payload that arrives in pieces can be
/// unmasked piece by piece.
public struct MaskingKey: Sendable, Hashable, CustomStringConvertible {
    /// The key's four bytes packed in memory order: loading the four wire bytes as a native
    /// `UInt32` gives this value.
    let word: UInt32

    /// Creates a key from its four bytes in wire order.
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        #if _endian(little)
        word = UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16 | UInt32(b3) << 24
        #else
        word = UInt32(b3) | UInt32(b2) << 8 | UInt32(b1) << 16 | UInt32(b0) << 24
        #endif
    }

    /// Creates a key from four bytes in wire order; `nil` unless `bytes` holds exactly four.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        var i = bytes.startIndex
        let b0 = bytes[i]; bytes.formIndex(after: &i)
        let b1 = bytes[i]; bytes.formIndex(after: &i)
        let b2 = bytes[i]; bytes.formIndex(after: &i)
        self.init(b0, b1, b2, bytes[i])
    }

    /// Creates a key from a word whose memory representation is the four wire bytes.
    init(memoryOrder word: UInt32) { self.word = word }

    /// The key's byte at position `index` (0...3) in wire order.
    public subscript(index: Int) -> UInt8 {
        #if _endian(little)
        UInt8(truncatingIfNeeded: word >> (UInt32(index & 3) &* 8))
        #else
        UInt8(truncatingIfNeeded: word >> (UInt32(3 - (index & 3)) &* 8))
        #endif
    }

    /// The four bytes in wire order.
    public var bytes: [UInt8] { [self[0], self[1], self[2], self[3]] }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The key as a 64-bit memory-order word for payload bytes that start at `offset`.
    func word64(offset: Int) -> UInt64 {
        let shift = UInt32(offset & 3) &* 8
        #if _endian(little)
        let rotated = shift == 0 ? word : (word >> shift) | (word << (32 &- shift))
        #else
        let rotated = shift == 0 ? word : (word << shift) | (word >> (32 &- shift))
        #endif
        return UInt64(rotated) | UInt64(rotated) << 32
    }
}

extension MaskingKey {
    /// Masks (or unmasks: the operation is its own inverse) `buffer` in place.
    ///
    /// - Parameters:
    ///   - buffer: the payload bytes to transform.
    ///   - offset: the position within the frame's payload of `buffer`'s first byte.
    public func mask(_ buffer: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        guard let base = buffer.baseAddress else { return }
        MaskingKey.xor(from: UnsafeRawPointer(base), to: base, count: buffer.count, key: word64(offset: offset))
    }

    /// Masks (or unmasks) `source` while copying it into `destination`, in one pass.
    ///
    /// - Parameters:
    ///   - source: the bytes to read.
    ///   - destination: where to write; must hold at least `source.count` bytes (checked by
    ///     a precondition). It may be the same memory as `source`, but not partly overlap it.
    ///   - offset: the position within the frame's payload of `source`'s first byte.
    public func mask(from source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        precondition(destination.count >= source.count, "destination is smaller than source")
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return }
        MaskingKey.xor(from: src, to: dst, count: source.count, key: word64(offset: offset))
    }

    /// Masks (or unmasks) `bytes` in place.
    public func mask(_ bytes: inout [UInt8], offset: Int = 0) {
        bytes.withUnsafeMutableBytes { mask($0, offset: offset) }
    }

    /// XORs `count` bytes with the repeating 8-byte `key`, 32 bytes per step, then 8, then 1.
    static func xor(from src: UnsafeRawPointer, to dst: UnsafeMutableRawPointer, count: Int, key: UInt64) {
        var i = 0
        while i &+ 32 <= count {
            let a = src.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ key
            let b = src.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self) ^ key
            let c = src.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self) ^ key
            let d = src.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self) ^ key
            dst.storeBytes(of: a, toByteOffset: i, as: UInt64.self)
            dst.storeBytes(of: b, toByteOffset: i &+ 8, as: UInt64.self)
            dst.storeBytes(of: c, toByteOffset: i &+ 16, as: UInt64.self)
            dst.storeBytes(of: d, toByteOffset: i &+ 24, as: UInt64.self)
            i &+= 32
        }
        while i &+ 8 <= count {
            let a = src.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ key
            dst.storeBytes(of: a, toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        // The tail starts at a multiple of 8, so the key's byte order restarts here.
        var k = key
        while i < count {
            let byte = src.load(fromByteOffset: i, as: UInt8.self)
            #if _endian(little)
            dst.storeBytes(of: byte ^ UInt8(truncatingIfNeeded: k), toByteOffset: i, as: UInt8.self)
            k >>= 8
            #else
            dst.storeBytes(of: byte ^ UInt8(truncatingIfNeeded: k >> 56), toByteOffset: i, as: UInt8.self)
            k <<= 8
            #endif
            i &+= 1
        }
    }
}
