#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs each measurement for a fixed time and keeps what the work computed observable, so the
/// optimizer cannot drop it.
struct Harness {
    /// How long one run lasts, in seconds.
    var secondsPerRun = 0.5
    /// Runs per measurement; the fastest one counts (the others absorb warm-up and noise).
    var runs = 3
    /// Every batch's checksum, folded together; printed at the end of the report.
    private(set) var checksum: UInt64 = 0

    /// Units of work per second: the best of ``runs`` runs, each repeating `batch` until
    /// ``secondsPerRun`` have passed.
    ///
    /// - Parameter batch: does one batch of work (about a millisecond of it, so the clock is
    ///   read rarely) and returns how many units it did (bytes, frames) and a checksum of
    ///   its results.
    mutating func rate(_ batch: () -> (units: Int, checksum: UInt64)) -> Double {
        var best = 0.0
        for _ in 0..<runs {
            var units = 0
            let start = monotonicSeconds()
            var elapsed = 0.0
            repeat {
                let result = batch()
                units &+= result.units
                checksum = (checksum &* 0x100_0000_01B3) ^ result.checksum
                elapsed = monotonicSeconds() - start
            } while elapsed < secondsPerRun
            best = max(best, Double(units) / elapsed)
        }
        blackHole(checksum)
        return best
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Takes a value the optimizer must assume is used: neither inlined nor analysed
/// (`optnone`), so the work that produced it, and memory a pointer argument reaches, stay.
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {}

/// Reports a broken benchmark on standard error and exits with status 1.
func bail(_ message: String) -> Never {
    let line = "error: \(message)\n"
    _ = line.utf8.withContiguousStorageIfAvailable { write(2, $0.baseAddress, $0.count) }
    exit(1)
}
