#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the numbers were measured on, and when: printed above the table.
public struct Machine {
    /// The CPU's model name from `/proc/cpuinfo`, or "unknown".
    public var model: String
    /// Online logical cores, from `sysconf(_SC_NPROCESSORS_ONLN)`.
    public var cores: Int
    /// The current date and time in UTC, ISO 8601.
    public var date: String

    /// The machine this process runs on, now.
    public static func current() -> Machine {
        Machine(model: cpuModel() ?? "unknown", cores: sysconf(Int32(_SC_NPROCESSORS_ONLN)), date: utcNow())
    }

    /// The value of the first "model name" line of `/proc/cpuinfo` (x86; absent on some ARM).
    private static func cpuModel() -> String? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = fread(&chunk, 1, chunk.count, file)
            guard read > 0 else { break }
            bytes += chunk[..<read]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].trimmingPrefix(" ").description
        }
        return nil
    }

    /// Now, as "YYYY-MM-DD HH:MM:SS UTC".
    private static func utcNow() -> String {
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
