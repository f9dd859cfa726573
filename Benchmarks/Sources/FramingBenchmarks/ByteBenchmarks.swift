#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WSFraming

/// The byte-level benchmarks, in bytes per second: memcpy (the yardstick), unmasking and
/// UTF-8 validation of one payload, repeated on the same 64-byte-aligned buffers.
struct ByteBenchmarks: ~Copyable {
    /// Payload passes per batch: 64 × 16 KiB is a megabyte, tens of microseconds.
    static let passesPerBatch = 64

    /// The bytes the benchmarks read.
    private let source: UnsafeMutableRawBufferPointer
    /// Where copies go.
    private let destination: UnsafeMutableRawBufferPointer
    /// The key every unmasking uses (its value does not change the speed).
    private let key = MaskingKey(0x37, 0xFA, 0x21, 0x3D)

    /// Allocates buffers as large as `payload` and copies it into the source.
    init(payload: [UInt8]) {
        source = .allocate(byteCount: payload.count, alignment: 64)
        destination = .allocate(byteCount: payload.count, alignment: 64)
        source.copyBytes(from: payload)
        destination.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        source.deallocate()
        destination.deallocate()
    }

    /// libc's `memcpy` of the source into the destination.
    func copy(_ harness: inout Harness) -> Double {
        guard let to = destination.baseAddress, let from = source.baseAddress else { bail("empty payload") }
        let count = source.count
        return run(&harness) { _ = memcpy(to, from, count); blackHole(to) }
    }

    /// Unmasking while copying into the destination: ``MaskingKey/mask(from:to:offset:)``.
    func unmaskCopying(_ harness: inout Harness) -> Double {
        let (source, destination, key) = (UnsafeRawBufferPointer(source), destination, key)
        return run(&harness) { key.mask(from: source, to: destination); blackHole(destination.baseAddress) }
    }

    /// Unmasking in place: ``MaskingKey/mask(_:offset:)`` on the destination.
    func unmaskInPlace(_ harness: inout Harness) -> Double {
        let (destination, key) = (destination, key)
        return run(&harness) { key.mask(destination); blackHole(destination.baseAddress) }
    }

    /// UTF-8 validation of the source as one whole message with ``UTF8Validator``.
    func validateUTF8(_ harness: inout Harness) -> Double {
        let source = UnsafeRawBufferPointer(source)
        var validator = UTF8Validator()
        guard validator.validate(source), validator.isComplete else { bail("the UTF-8 workload is not valid UTF-8") }
        return run(&harness) {
            validator.reset()
            blackHole(validator.validate(source))
        }
    }

    /// The rate of `pass`, one operation on the whole payload, in bytes per second.
    private func run(_ harness: inout Harness, _ pass: () -> Void) -> Double {
        let (count, destination) = (source.count, destination)
        return harness.rate {
            for _ in 0..<Self.passesPerBatch { pass() }
            return (Self.passesPerBatch * count, UInt64(destination.load(as: UInt8.self)))
        }
    }
}
