#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs each measurement for a fixed time and keeps what the work computed observable, so the
/// optimizer cannot drop it.
public struct Harness {
    /// How long one run lasts, in seconds.
    public var secondsPerRun = 0.3
    /// Runs per measurement; the fastest one counts (the others absorb warm-up and noise
    /// from other processes).
    public var runs = 5
    /// Every batch's checksum, folded together; printed at the end of the report.
    public private(set) var checksum: UInt64 = 0

    /// Creates a harness with the default run length and count.
    public init() {}

    /// One batch of work: it does about a millisecond of work (so the clock is read rarely)
    /// and returns how many units it did (bytes, frames) and a checksum of its results.
    public typealias Batch = () -> (units: Int, checksum: UInt64)

    /// Units of work per second: the best of ``runs`` runs, each repeating `batch` until
    /// ``secondsPerRun`` have passed.
    public mutating func rate(_ batch: Batch) -> Double {
        var best = 0.0
        for _ in 0..<runs { best = max(best, run(batch)) }
        return best
    }

    /// Repeats `batch` for `seconds` and forgets the result: the first measurement of a
    /// process is otherwise slow (the CPU's clock ramps up, pages and caches are cold).
    public mutating func warmUp(seconds: Double, _ batch: Batch) {
        let end = monotonicSeconds() + seconds
        while monotonicSeconds() < end { checksum ^= batch().checksum }
    }

    /// The rates of two batches, run alternately batch by batch so that both see the same
    /// machine (clock speed, noisy neighbours): the way to measure one against a yardstick.
    /// Each of ``runs`` runs lasts twice ``secondsPerRun``; the best run of each counts.
    public mutating func rates(_ first: Batch, _ second: Batch) -> (first: Double, second: Double) {
        var best = (first: 0.0, second: 0.0)
        for _ in 0..<runs {
            var units = (first: 0, second: 0)
            var seconds = (first: 0.0, second: 0.0)
            var time = monotonicSeconds()
            let end = time + 2 * secondsPerRun
            while time < end {
                let a = first()
                let middle = monotonicSeconds()
                let b = second()
                let now = monotonicSeconds()
                units.first &+= a.units
                units.second &+= b.units
                seconds.first += middle - time
                seconds.second += now - middle
                checksum = (checksum &* 0x100_0000_01B3) ^ a.checksum ^ (b.checksum << 32)
                time = now
            }
            best.first = max(best.first, Double(units.first) / seconds.first)
            best.second = max(best.second, Double(units.second) / seconds.second)
        }
        blackHole(checksum)
        return best
    }

    /// One run: repeats `batch` for ``secondsPerRun``; returns units per second.
    private mutating func run(_ batch: Batch) -> Double {
        var units = 0
        let start = monotonicSeconds()
        var elapsed = 0.0
        repeat {
            let result = batch()
            units &+= result.units
            checksum = (checksum &* 0x100_0000_01B3) ^ result.checksum
            elapsed = monotonicSeconds() - start
        } while elapsed < secondsPerRun
        blackHole(checksum)
        return Double(units) / elapsed
    }
}

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Takes a value the optimizer must assume is used: neither inlined nor analysed
/// (`optnone`), so the work that produced it, and memory a pointer argument reaches, stay.
@inline(never) @_optimize(none)
public func blackHole<T>(_ value: T) {}

/// Reports a broken benchmark on standard error and exits with status 1.
public func bail(_ message: String) -> Never {
    let line = "error: \(message)\n"
    _ = line.utf8.withContiguousStorageIfAvailable { write(2, $0.baseAddress, $0.count) }
    exit(1)
}
