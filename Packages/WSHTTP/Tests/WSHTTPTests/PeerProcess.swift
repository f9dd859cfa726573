import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program run as the peer of one test (a script of `Tests/Interop/python` in the venv that
/// `Scripts/interop-env.sh` makes, or the `openssl` command): its output collected as it comes,
/// every wait bounded by a deadline, and the process ended by ``terminate()`` (SIGTERM, then
/// SIGKILL, by its PID), at the latest when this object goes away.
///
/// Its standard input is a pipe that stays open while this object lives: a program that exits
/// when its input ends (`ws_peer.py server`) outlives neither ``terminate()`` nor the test
/// process, even one that crashed; a program that reads it (`openssl s_client`) gets what
/// ``write(_:within:)`` sends.
final class PeerProcess: Sendable {
    /// The repository's root: this file is `Packages/WSHTTP/Tests/WSHTTPTests/PeerProcess.swift`.
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url.deleteLastPathComponent() }
        return url
    }()
    /// The venv's python.
    static let python = repositoryRoot.appendingPathComponent(".build-interop/venv/bin/python3")

    /// A program's description and its failures, for the test's report.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let name: String
    private let process: Process
    private let input: FileHandle
    private let output: PipeReader
    private let errors: PipeReader
    private let terminated = Atomic<Bool>(false)

    /// Starts `executable` with `arguments`; `name` is how failures call it.
    ///
    /// - Throws: ``Failure`` when the process does not start.
    init(executable: URL, arguments: [String], name: String, environment: [String: String] = [:]) throws {
        _ = Self.ignoreBrokenPipes
        self.name = name
        let inputPipe = Pipe(), outputPipe = Pipe(), errorPipe = Pipe()
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        do {
            try Self.runWithDefaultSignals(process)
        } catch {
            throw Failure(description: "\(name): could not start \(executable.path): \(error)")
        }
        // `run()` closed our copies of the child's ends: its output ends when it exits.
        input = inputPipe.fileHandleForWriting
        // Non-blocking, so that a write to a child that reads nothing is bounded too.
        _ = fcntl(input.fileDescriptor, F_SETFL, fcntl(input.fileDescriptor, F_GETFL) | O_NONBLOCK)
        output = PipeReader(outputPipe.fileHandleForReading)
        errors = PipeReader(errorPipe.fileHandleForReading)
    }

    /// Starts `Tests/Interop/python/<script>` with `arguments`, in the venv.
    ///
    /// - Throws: ``Failure`` when the venv is missing (it says to run `Scripts/interop-env.sh`)
    ///   or the process does not start.
    static func python(script: String, arguments: [String]) throws -> PeerProcess {
        let scriptPath = repositoryRoot.appendingPathComponent("Tests/Interop/python/\(script)").path
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: "the interop tests' Python venv is missing: no \(python.path). Run Scripts/interop-env.sh (it makes the venv with websockets), then the tests again.")
        }
        guard FileManager.default.fileExists(atPath: scriptPath) else {
            throw Failure(description: "no \(scriptPath): is \(repositoryRoot.path) the repository's root?")
        }
        return try PeerProcess(executable: python, arguments: [scriptPath] + arguments,
                               name: "\(script) \(arguments.joined(separator: " "))", environment: ["PYTHONUNBUFFERED": "1"])
    }

    /// Starts the `openssl` command found on `PATH` with `arguments` (`s_client …`, `s_server …`).
    ///
    /// - Throws: ``Failure`` when there is no `openssl` on `PATH` (Debian: the `openssl` package)
    ///   or the process does not start.
    static func openssl(_ arguments: [String]) throws -> PeerProcess {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/openssl" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            throw Failure(description: "no openssl command on PATH: install the openssl package (Scripts/test.sh does), then the tests again.")
        }
        return try PeerProcess(executable: URL(fileURLWithPath: path), arguments: arguments,
                               name: "openssl \(arguments.joined(separator: " "))")
    }

    /// Starts `process` from a thread of its own that blocks no signal. A child inherits the
    /// signal mask of the thread that starts it, and the test runner's threads block most
    /// signals (SIGTERM among them): started from one of those, the child would ignore
    /// ``terminate()``'s SIGTERM until the SIGKILL 2 s later.
    private static func runWithDefaultSignals(_ process: Process) throws {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let started = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            let result = Result { try process.run() }
            outcome.withLock { $0 = result }
            started.signal()
        }
        thread.start()
        guard started.wait(timeout: .now() + 10) == .success, let result = outcome.withLock({ $0 }) else {
            throw Failure(description: "Process.run() did not return within 10 s")
        }
        try result.get()
    }

    /// A write to a pipe whose reader has exited raises SIGPIPE, which would end the whole test
    /// process: it is ignored, so that such a write fails with EPIPE instead. (Children inherit
    /// the ignoring: a peer that writes to a closed socket or pipe gets EPIPE too.)
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    deinit { terminate() }

    /// What the program wrote on standard output so far.
    var standardOutputBytes: [UInt8] { output.bytes }
    /// What the program wrote on standard output so far, as UTF-8.
    var standardOutput: String { output.text }
    /// What the program wrote on standard error so far.
    var standardError: String { errors.text }

    /// Writes `bytes` to the program's standard input.
    ///
    /// - Throws: ``Failure`` when the program has closed its input (or exited), or has not
    ///   taken the bytes within `timeout`.
    func write(_ bytes: [UInt8], within timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        var rest = bytes[...]
        while !rest.isEmpty {
            let count = rest.withUnsafeBytes { writeToPipe(input.fileDescriptor, $0) }
            if count > 0 {
                rest = rest.dropFirst(count)
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EINTR else {
                throw failure("could not take \(rest.count) more bytes on standard input: \(String(cString: strerror(errno)))")
            }
            guard ContinuousClock.now < deadline else { throw failure("took no more of its standard input within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// One of the program's outputs.
    enum Output {
        case standardOutput, standardError
    }

    /// Waits until standard output (or `stream`) holds something that `isComplete` accepts, and
    /// returns all of it.
    ///
    /// - Throws: ``Failure`` when the program exits first or `timeout` passes, with what it
    ///   printed on both outputs.
    func output(_ what: String, on stream: Output = .standardOutput, within timeout: Duration = .seconds(10),
                until isComplete: ([UInt8]) -> Bool) async throws -> [UInt8] {
        let reader = stream == .standardOutput ? output : errors
        let deadline = ContinuousClock.now + timeout
        while true {
            let bytes = reader.bytes
            if isComplete(bytes) { return bytes }
            guard !reader.ended else { throw failure("ended its output before \(what)", showingOutput: true) }
            guard ContinuousClock.now < deadline else { throw failure("printed no \(what) within \(timeout)", showingOutput: true) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for the first whole line that starts with `prefix`, and returns the rest of it.
    ///
    /// - Throws: ``Failure`` when the program exits first or `timeout` passes, with what it
    ///   printed on standard error.
    func line(startingWith prefix: String, within timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let lines = output.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return String(line.dropFirst(prefix.count)) }
            guard process.isRunning || !output.ended else { throw failure("exited before it printed \"\(prefix)…\"") }
            guard ContinuousClock.now < deadline else { throw failure("printed no \"\(prefix)…\" line within \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until the program exits and its output has been read, and returns its exit status.
    ///
    /// - Throws: ``Failure`` when it still runs after `timeout`, or a signal ended it.
    func exitStatus(within timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning || !output.ended || !errors.ended {
            guard ContinuousClock.now < deadline else { throw failure("still running after \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard process.terminationReason == .exit else { throw failure("ended by signal \(process.terminationStatus)") }
        return process.terminationStatus
    }

    /// Ends the program, if it still runs: SIGTERM, up to 2 s to exit, then SIGKILL. Returns
    /// once it has exited (or after 2 s more); calling it again does nothing.
    func terminate() {
        guard !terminated.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? input.close()
        let pid = process.processIdentifier
        for signal in [SIGTERM, SIGKILL] {
            guard process.isRunning else { return }
            kill(pid, signal)
            let deadline = ContinuousClock.now + .seconds(2)
            while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        }
    }

    /// A failure of this program that says what it printed on standard error (and on standard
    /// output, when asked).
    func failure(_ what: String, showingOutput: Bool = false) -> Failure {
        let errors = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        let output = showingOutput ? String(reflecting: standardOutput) : ""
        return Failure(description: "\(name): \(what)"
            + (output.isEmpty ? "" : "; its standard output:\n\(output)")
            + (errors.isEmpty ? "" : "; its standard error:\n\(errors)"))
    }
}

/// write(2), which `PeerProcess.write(_:within:)` hides.
private func writeToPipe(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    write(descriptor, bytes.baseAddress, bytes.count)
}

extension PeerProcess {
    /// Reads a pipe on a thread of its own until its end, so a child never blocks on a full pipe.
    final class PipeReader: Sendable {
        private let state = Mutex<(bytes: [UInt8], ended: Bool)>(([], false))

        init(_ handle: FileHandle) {
            // read(2) rather than `FileHandle.read(upToCount:)`, which waits for the whole count.
            let thread = Thread { [self] in
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let count = chunk.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    state.withLock { $0.bytes += chunk[..<count] }
                }
                try? handle.close()
                state.withLock { $0.ended = true }
            }
            thread.start()
        }

        /// What was read so far.
        var bytes: [UInt8] { state.withLock { $0.bytes } }
        /// What was read so far, as UTF-8.
        var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
        /// Whether the pipe has ended: every writer closed it.
        var ended: Bool { state.withLock { $0.ended } }
    }
}
