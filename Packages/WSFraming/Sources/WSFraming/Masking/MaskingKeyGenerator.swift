#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of masking keys for a client's frames (RFC 6455 §5.3: "derived from a strong
/// source of entropy").
///
/// The connection asks for one key per frame it sends as a client. Tests inject a
/// deterministic source; the default is ``SystemMaskingKeyGenerator``.
public protocol MaskingKeyGenerator {
    /// Returns the key for the next frame.
    mutating func next() -> MaskingKey
}

/// The default masking-key source: the operating system's cryptographically secure random
/// bytes, fetched 64 keys at a time so that sending a frame costs no system call.
///
/// On Linux the bytes come from `getentropy(3)` (the kernel's `getrandom(2)`), on Apple platforms from `arc4random_buf(3)`.
/// Each generator has its own buffer; copies of a generator would repeat keys, so keep one
/// per connection and do not copy it.
public struct SystemMaskingKeyGenerator: MaskingKeyGenerator, Sendable {
    private static let batch = 64
    private var keys: [UInt32]
    private var index: Int

    /// Creates a generator; its first key fills the buffer.
    public init() {
        keys = []
        index = Self.batch
    }

    public mutating func next() -> MaskingKey {
        if index == Self.batch { refill() }
        defer { index &+= 1 }
        return MaskingKey(memoryOrder: keys[index])
    }

    private mutating func refill() {
        if keys.isEmpty { keys = [UInt32](repeating: 0, count: Self.batch) }
        keys.withUnsafeMutableBytes { Self.fillRandom($0) }
        index = 0
    }

    /// Fills `buffer` with cryptographically secure random bytes.
    static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        #if canImport(Darwin)
        arc4random_buf(base, buffer.count)
        #else
        // getentropy(3) reads the kernel's CSPRNG (getrandom(2)), at most 256 bytes a call.
        var filled = 0
        while filled < buffer.count {
            let n = min(256, buffer.count - filled)
            if getentropy(base + filled, n) == 0 {
                filled += n
            } else if errno != EINTR {
                // No getrandom(2) (a very old kernel): fall back to the standard library.
                var rng = SystemRandomNumberGenerator()
                for i in filled..<buffer.count {
                    buffer[i] = UInt8.random(in: .min ... .max, using: &rng)
                }
                return
            }
        }
        #endif
    }
}
