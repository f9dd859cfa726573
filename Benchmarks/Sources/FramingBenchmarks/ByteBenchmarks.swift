#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BenchmarkSupport
import WSFraming

/// The byte-level benchmarks, in bytes per second: memcpy (the yardstick), unmasking and
/// UTF-8 validation of one payload, repeated on the same buffers.
///
/// Source and destination share one page-aligned block, the destination 2 KiB past the
/// source's end. Placement matters: with the destination 64 bytes past the source modulo
/// 4 KiB, loads falsely wait on stores with the same low 12 address bits (4K aliasing) and
/// glibc's memcpy runs at about half speed, which would flatter every ratio to it.
struct ByteBenchmarks: ~Copyable {
    /// The distance from the source's end to the destination: no 4K aliasing.
    static let gap = 2048

    /// Payload passes per batch: 64 × 16 KiB is a megabyte, tens of microseconds.
    static let passesPerBatch = 64

    /// The page-aligned block that holds source and destination.
    private let block: UnsafeMutableRawBufferPointer
    /// The bytes the benchmarks read, at the start of `block`.
    private let source: UnsafeRawBufferPointer
    /// The key every unmasking uses (its value does not change the speed).
    private let key = MaskingKey(0x37, 0xFA, 0x21, 0x3D)

    /// Allocates the block and copies `payload` into the source.
    init(payload: [UInt8]) {
        block = .allocate(byteCount: 2 * payload.count + 8192, alignment: 4096)
        block.initializeMemory(as: UInt8.self, repeating: 0)
        let start = UnsafeMutableRawBufferPointer(rebasing: block[..<payload.count])
        start.copyBytes(from: payload)
        source = UnsafeRawBufferPointer(start)
    }

    deinit { block.deallocate() }

    /// A rate in bytes per second, and memcpy's measured in batches alternating with it.
    struct Comparison {
        /// The benchmark's rate.
        var rate: Double
        /// memcpy's rate in the same runs.
        var memcpy: Double
    }

    /// libc's `memcpy` of the source into the destination, alone, after a second of warm-up.
    func copy(_ harness: inout Harness) -> Double {
        let copy = copyPass()
        harness.warmUp(seconds: 1) { batch(copy) }
        return harness.rate { batch(copy) }
    }

    /// Unmasking while copying into the destination: ``MaskingKey/mask(from:to:offset:)``.
    func unmaskCopying(_ harness: inout Harness) -> Comparison {
        let (source, destination, key) = (source, destination, key)
        return compare(&harness) { key.mask(from: source, to: destination); blackHole(destination.baseAddress) }
    }

    /// Unmasking in place: ``MaskingKey/mask(_:offset:)`` on the destination.
    func unmaskInPlace(_ harness: inout Harness) -> Comparison {
        let (destination, key) = (destination, key)
        return compare(&harness) { key.mask(destination); blackHole(destination.baseAddress) }
    }

    /// UTF-8 validation of the source as one whole message with ``UTF8Validator``.
    func validateUTF8(_ harness: inout Harness) -> Comparison {
        let source = source
        var validator = UTF8Validator()
        guard validator.validate(source), validator.isComplete else { bail("the UTF-8 workload is not valid UTF-8") }
        return compare(&harness) {
            validator.reset()
            blackHole(validator.validate(source))
        }
    }

    /// `pass` against memcpy, in alternating batches.
    private func compare(_ harness: inout Harness, _ pass: () -> Void) -> Comparison {
        let copy = copyPass()
        let rates = harness.rates({ batch(pass) }, { batch(copy) })
        return Comparison(rate: rates.first, memcpy: rates.second)
    }

    /// One memcpy of the source into the destination.
    private func copyPass() -> () -> Void {
        let (to, from, count) = (destination.baseAddress, source.baseAddress, source.count)
        guard let to, let from else { bail("empty payload") }
        return { _ = memcpy(to, from, count); blackHole(to) }
    }

    /// The destination buffer, as large as the source, ``gap`` bytes after it.
    private var destination: UnsafeMutableRawBufferPointer {
        let start = source.count + Self.gap
        return UnsafeMutableRawBufferPointer(rebasing: block[start..<(start + source.count)])
    }

    /// Runs `pass`, one operation on the whole payload, ``passesPerBatch`` times; returns
    /// the bytes processed and a byte of the destination as the checksum.
    private func batch(_ pass: () -> Void) -> (units: Int, checksum: UInt64) {
        for _ in 0..<Self.passesPerBatch { pass() }
        return (Self.passesPerBatch * source.count, UInt64(destination.load(as: UInt8.self)))
    }
}
