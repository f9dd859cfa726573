import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many event loop threads `serve` runs: one per CPU the process may run on.
///
/// NIO's shared group sizes itself by `System.coreCount`, which counts the machine's CPUs (and a
/// cgroup's quota) but not the process's CPU affinity. Under `taskset -c 1` on two CPUs it runs
/// two loops on one core, and the kernel then takes turns between them: a message that arrives
/// on the loop that is not running waits out the other's time slice. Measured with
/// `Benchmarks/echo-compare.sh` (100 connections x 16 in flight, pinned to one CPU), the p99
/// round trip was 4.6 ms with two loops and 1.5 ms with one.
enum EventLoopCount {
    /// The CPUs this process may run on (its affinity, read from `/proc/self/status`), at most
    /// `System.coreCount`; `System.coreCount` alone where the affinity is not known.
    static var available: Int {
        let cores = max(1, System.coreCount)
        guard let allowed = allowedCPUs() else { return cores }
        return max(1, min(allowed, cores))
    }

    /// Sizes NIO's shared group, which the server, the metrics server and Redis all run on:
    /// `requested`, else what NIO reads from `NIO_SINGLETON_GROUP_LOOP_COUNT` when that is set,
    /// else ``available``. Call it once, before anything uses the group.
    ///
    /// - Returns: the number of loops the group runs.
    static func apply(_ requested: Int?) -> Int {
        if let requested {
            NIOSingletons.groupLoopCountSuggestion = requested
        } else if getenv("NIO_SINGLETON_GROUP_LOOP_COUNT") == nil {
            NIOSingletons.groupLoopCountSuggestion = available
        }
        return NIOSingletons.groupLoopCountSuggestion
    }

    /// The number of CPUs in `Cpus_allowed_list` (`0-3,8,10-11`), or nil off Linux.
    static func allowedCPUs(status: String? = readStatus()) -> Int? {
        guard let status else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
            return count(list: line.dropFirst("Cpus_allowed_list:".count))
        }
        return nil
    }

    /// The CPUs a list such as `0-3,8` names (5), or nil if it is not such a list.
    static func count(list: Substring) -> Int? {
        var total = 0
        for part in list.filter({ !$0.isWhitespace }).split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard let first = bounds.first.flatMap({ Int($0) }), let last = bounds.last.flatMap({ Int($0) }),
                  bounds.count <= 2, first >= 0, last >= first
            else { return nil }
            total += last - first + 1
        }
        return total > 0 ? total : nil
    }

    private static func readStatus() -> String? {
        #if os(Linux)
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = fread(&chunk, 1, chunk.count, file)
            if read <= 0 { break }
            bytes += chunk[..<read]
        }
        return String(decoding: bytes, as: UTF8.self)
        #else
        return nil
        #endif
    }
}
