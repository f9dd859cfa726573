import Foundation

/// A `redis-server` (Debian's redis-server package, which Scripts/test.sh installs) on a free
/// loopback port, in a folder of its own, with no persistence; stopped (SIGKILL) by its PID.
final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: the process is started and stopped by the one test that owns it.
    let port: Int
    let folder: String
    private let arguments: [String]
    private var process: Process?

    /// Starts one; `arguments` are more of redis-server's options (`--requirepass`, TLS).
    init(arguments: [String] = [], port: Int? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.arguments = arguments
        self.port = port ?? Self.freePort()
        try start()
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts it (again, on the same port).
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder, "--logfile", folder + "/redis.log"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw RedisTestError(description: "redis-server could not start (is it installed? Scripts/test.sh installs it): \(error)")
        }
        self.process = process
        for _ in 0..<200 {
            if log.contains("Ready to accept connections") { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw RedisTestError(description: "redis-server did not start: \(log)")
    }

    /// Kills it, as a crash would.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The next start appends to the same log: forget what this one said.
        try? FileManager.default.removeItem(atPath: folder + "/redis.log")
    }

    var log: String { (try? String(contentsOfFile: folder + "/redis.log", encoding: .utf8)) ?? "" }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A port nothing listens on now (bound, read, released).
    static func freePort() -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct RedisTestError: Error, CustomStringConvertible { let description: String }
