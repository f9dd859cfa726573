import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A script of `Interop/python` run by the venv that `Scripts/interop-env.sh` makes, as the
/// peer of one test: its output collected as it comes, every wait bounded by a deadline, and
/// the process ended by ``terminate()`` (SIGTERM, then SIGKILL).
///
/// Its standard input is a pipe that stays open while this object lives: a script that exits
/// when its input ends (`ws_peer.py server`) outlives neither ``terminate()`` nor the test
/// process, even one that crashed.
final class PythonProcess: Sendable {
    /// The repository's root: this file is `Packages/WSHTTP/Tests/WSHTTPTests/PythonProcess.swift`.
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url.deleteLastPathComponent() }
        return url
    }()
    /// The venv's python.
    static let python = repositoryRoot.appendingPathComponent(".build-interop/venv/bin/python3")

    /// A script's description and its failures, for the test's report.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let name: String
    private let process: Process
    private let input: FileHandle
    private let output: PipeReader
    private let errors: PipeReader
    private let terminated = Atomic<Bool>(false)

    /// Starts `Interop/python/<script>` with `arguments`.
    ///
    /// - Throws: ``Failure`` when the venv is missing (it says to run `Scripts/interop-env.sh`)
    ///   or the process does not start.
    init(script: String, arguments: [String]) throws {
        let scriptPath = Self.repositoryRoot.appendingPathComponent("Interop/python/\(script)").path
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            throw Failure(description: "the interop tests' Python venv is missing: no \(Self.python.path). Run Scripts/interop-env.sh (it makes the venv with websockets), then the tests again.")
        }
        guard FileManager.default.fileExists(atPath: scriptPath) else {
            throw Failure(description: "no \(scriptPath): is \(Self.repositoryRoot.path) the repository's root?")
        }
        name = "\(script) \(arguments.joined(separator: " "))"
        let inputPipe = Pipe(), outputPipe = Pipe(), errorPipe = Pipe()
        process = Process()
        process.executableURL = Self.python
        process.arguments = [scriptPath] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONUNBUFFERED": "1"]) { $1 }
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        do {
            try process.run()
        } catch {
            throw Failure(description: "\(name): could not start \(Self.python.path): \(error)")
        }
        // `run()` closed our copies of the child's ends: its output ends when it exits.
        input = inputPipe.fileHandleForWriting
        output = PipeReader(outputPipe.fileHandleForReading)
        errors = PipeReader(errorPipe.fileHandleForReading)
    }

    deinit { terminate() }

    /// What the script printed on standard output so far.
    var standardOutput: String { output.text }
    /// What the script printed on standard error so far.
    var standardError: String { errors.text }

    /// Waits for the first whole line that starts with `prefix`, and returns the rest of it.
    ///
    /// - Throws: ``Failure`` when the script exits first or `timeout` passes, with what it
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

    /// Waits until the script exits and its output has been read, and returns its exit status.
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

    /// Ends the script, if it still runs: SIGTERM, up to 2 s to exit, then SIGKILL. Returns
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

    /// A failure of this script that says what it printed on standard error.
    func failure(_ what: String) -> Failure {
        let errors = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        return Failure(description: "\(name): \(what)\(errors.isEmpty ? "" : "; its standard error:\n\(errors)")")
    }
}

extension PythonProcess {
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

        /// What was read so far, as UTF-8.
        var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
        /// Whether the pipe has ended: every writer closed it.
        var ended: Bool { state.withLock { $0.ended } }
    }
}
