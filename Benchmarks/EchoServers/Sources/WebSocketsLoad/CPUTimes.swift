#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU seconds at one moment, as loadgen reads them: this process's (`getrusage`), the
/// server's (`/proc/PID/stat`) and the whole machine's (`/proc/stat`). Linux only for the
/// last two; where a figure cannot be read it is nil.
struct CPUTimes {
    /// This process: user and system time.
    var client: Double
    /// The server process: user and system time (fields 14 and 15 of `/proc/PID/stat`).
    var server: Double?
    /// Every CPU's busy time (user, nice, system, irq, softirq), summed.
    var machineBusy: Double?

    /// Reads them now.
    static func now(serverPID: Int32?) -> CPUTimes {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let client = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return CPUTimes(client: client, server: serverPID.flatMap(processSeconds), machineBusy: machineBusySeconds())
    }

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime of process `pid`, from `/proc/PID/stat`.
    private static func processSeconds(_ pid: Int32) -> Double? {
        guard let text = readFile("/proc/\(pid)/stat"), let end = text.lastIndex(of: ")") else { return nil }
        // After the command's closing parenthesis: state (field 3) … utime (14), stime (15).
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// The busy time of all CPUs, from the `cpu` line of `/proc/stat`.
    private static func machineBusySeconds() -> Double? {
        guard let text = readFile("/proc/stat"), let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else {
            return nil
        }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 7 else { return nil }
        // user nice system idle iowait irq softirq
        return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / ticksPerSecond
    }

    /// A small file's text (these are a few hundred bytes), or nil.
    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }
}
