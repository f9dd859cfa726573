#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The two times a log line can show: the wall clock, with microseconds, and the monotonic
/// time since the process started logging.
///
/// Tests inject fixed times; the default reads the system's clocks.
public struct LogClock: Sendable {
    /// A moment: wall-clock seconds and microseconds since 1970 (UTC), and the monotonic
    /// seconds since the clock's start.
    public struct Reading: Sendable, Hashable {
        /// Seconds since 1970-01-01 00:00:00 UTC.
        public var seconds: Int
        /// Microseconds within the second.
        public var microseconds: Int
        /// Monotonic time since the clock started, in seconds.
        public var uptime: Double

        /// Creates a reading.
        public init(seconds: Int, microseconds: Int, uptime: Double) {
            self.seconds = seconds
            self.microseconds = microseconds
            self.uptime = uptime
        }
    }

    private let read: @Sendable () -> Reading

    /// A clock that returns what `read` gives.
    public init(_ read: @escaping @Sendable () -> Reading) { self.read = read }

    /// The time now.
    public func now() -> Reading { read() }

    /// The system's clocks (`CLOCK_REALTIME`, `CLOCK_MONOTONIC`); uptime counts from the
    /// first use of this value in the process.
    public static let system: LogClock = {
        let start = monotonicSeconds()
        return LogClock {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            return Reading(seconds: Int(now.tv_sec), microseconds: Int(now.tv_nsec) / 1000, uptime: monotonicSeconds() - start)
        }
    }()

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

extension LogClock.Reading {
    /// Appends `2026-11-25T10:49:54.123456Z`.
    func appendISO8601(to out: inout [UInt8]) {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        appendDecimal(Int(parts.tm_year) + 1900, width: 4, to: &out)
        out.append(0x2D)
        appendDecimal(Int(parts.tm_mon) + 1, width: 2, to: &out)
        out.append(0x2D)
        appendDecimal(Int(parts.tm_mday), width: 2, to: &out)
        out.append(0x54)  // T
        appendDecimal(Int(parts.tm_hour), width: 2, to: &out)
        out.append(0x3A)
        appendDecimal(Int(parts.tm_min), width: 2, to: &out)
        out.append(0x3A)
        appendDecimal(Int(parts.tm_sec), width: 2, to: &out)
        out.append(0x2E)
        appendDecimal(microseconds, width: 6, to: &out)
        out.append(0x5A)  // Z
    }

    /// Appends `+12.345678`: seconds since start, with microseconds.
    func appendUptime(to out: inout [UInt8]) {
        let micros = Int((max(0, uptime) * 1_000_000).rounded())
        out.append(0x2B)  // +
        appendDecimal(micros / 1_000_000, to: &out)
        out.append(0x2E)
        appendDecimal(micros % 1_000_000, width: 6, to: &out)
    }
}
