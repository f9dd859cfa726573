/// What every connection of a run adds up to, and the payload they all send: one per
/// process, touched only on the one event loop thread.
final class LoadTally {
    /// Payload bytes per message.
    let size: Int
    /// Messages each connection keeps in flight.
    let depth: Int
    /// The payload: a fixed pattern, with the sequence number written over its first eight
    /// bytes before each send (the send copies it, so one buffer serves every connection).
    let payload: UnsafeMutableRawBufferPointer

    /// Messages sent, over all connections.
    var sent: UInt64 = 0
    /// Messages echoed intact.
    var echoed: UInt64 = 0
    /// Echoes of the wrong kind, length, sequence number or content.
    var mismatches: UInt64 = 0
    /// Connections that closed before the end of the run.
    var closes: UInt64 = 0

    /// One in how many echoes is compared byte for byte with the pattern, past the sequence
    /// number (a power of two). Every echo's kind, length and sequence number are checked.
    static let fullCheckInterval: UInt64 = 16

    init(size: Int, depth: Int) {
        precondition(size >= 8, "a message carries an 8-byte sequence number")
        self.size = size
        self.depth = depth
        payload = .allocate(byteCount: size, alignment: 8)
        for index in 0..<size {
            payload[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7)
        }
    }

    deinit { payload.deallocate() }

    /// Writes `sequence` into the payload's first eight bytes (little endian) and returns it.
    func stamped(_ sequence: UInt64) -> UnsafeRawBufferPointer {
        payload.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
        return UnsafeRawBufferPointer(payload)
    }

    /// Whether `bytes`, an echo, is the payload with sequence number `sequence`: its length
    /// and sequence number always, the rest for one echo in ``fullCheckInterval``.
    func matches(_ bytes: UnsafeRawBufferPointer, sequence: UInt64) -> Bool {
        guard bytes.count == size, UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)) == sequence else {
            return false
        }
        if sequence & (Self.fullCheckInterval - 1) != 0 { return true }
        guard let echoed = bytes.baseAddress, let sent = payload.baseAddress else { return false }
        return memcmp(echoed + 8, sent + 8, size - 8) == 0
    }
}

/// Bound to the load client's one event loop.
@available(*, unavailable)
extension LoadTally: Sendable {}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
