#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A case run in a child process of this executable, so that a case that crashes the client
/// (a fatal error in the library, which the suite exists to find) costs that case only.
struct CaseProcess {
    /// How a child ended.
    enum Ending: Equatable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it (a crash: 4 is a Swift runtime trap, 11 a bad access).
        case signaled(Int32)
        /// It outlived its deadline and was killed.
        case killed
        /// It could not be started; the error number.
        case notStarted(Int32)

        var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signaled(let signal): "crashed (signal \(signal))"
            case .killed: "did not end in time and was killed"
            case .notStarted(let error): "could not be started (errno \(error))"
            }
        }
    }

    /// Runs this executable with `arguments` (without the program name), its output going to
    /// ours, and waits for it: at most `deadline`, after which it is killed by its PID.
    static func run(arguments: [String], deadline: Duration) async -> Ending {
        #if os(Linux)
        let executable = "/proc/self/exe"
        #else
        let executable = CommandLine.arguments[0]
        #endif
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, nil, nil, argv, environ)
        guard spawned == 0 else { return .notStarted(spawned) }

        let end = ContinuousClock.now + deadline
        var status: Int32 = 0
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            if waited < 0, errno != EINTR { return .exited(-1) }
            if ContinuousClock.now >= end {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                return .killed
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (they are macros).
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }
}
