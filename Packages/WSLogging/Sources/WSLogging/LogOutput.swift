#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where ``WebSocketLogger`` writes its lines: standard error (the default), standard
/// output, or any `TextOutputStream`.
public struct LogOutput: Sendable {
    enum Target: Sendable {
        case standardError, standardOutput
        case stream(StreamBox)
    }

    let target: Target

    /// Standard error: one write per line.
    public static let standardError = LogOutput(target: .standardError)
    /// Standard output: one write per line.
    public static let standardOutput = LogOutput(target: .standardOutput)

    /// Any text stream. Lines are written under a lock, one `write` each (with its newline).
    /// Pass a class-based stream to read what was written.
    public static func stream(_ stream: some TextOutputStream & Sendable) -> LogOutput {
        LogOutput(target: .stream(StreamBox(stream)))
    }

    /// Whether the output is a terminal (for automatic colour).
    var isTerminal: Bool {
        switch target {
        case .standardError: isatty(2) != 0
        case .standardOutput: isatty(1) != 0
        case .stream: false
        }
    }

    /// Writes one whole line of UTF-8, which ends with a newline.
    func write(_ line: [UInt8]) {
        switch target {
        case .standardError: Self.write(line, toDescriptor: 2)
        case .standardOutput: Self.write(line, toDescriptor: 1)
        case .stream(let box): box.write(String(decoding: line, as: UTF8.self))
        }
    }

    /// Writes one whole line, which ends with a newline.
    func write(_ line: String) { write(Array(line.utf8)) }

    /// One `write(2)` per line (more only if the kernel takes part of it), so that lines
    /// from several threads or processes do not interleave.
    private static func write(_ line: [UInt8], toDescriptor descriptor: Int32) {
        line.withUnsafeBytes { bytes in
            guard var next = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let written = systemWrite(descriptor, next, left)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a closed or broken output: logging must not fail the program
                }
                next += written
                left -= written
            }
        }
    }

    /// A stream behind a lock: the stream is inside the `Mutex`, so that nothing can reach it
    /// without holding the lock.
    final class StreamBox: Sendable {
        private let stream: Mutex<any TextOutputStream>

        init(_ stream: some TextOutputStream & Sendable) { self.stream = Mutex(stream) }

        func write(_ line: String) {
            stream.withLock { $0.write(line) }
        }
    }
}

/// The C library's `write(2)`, named apart from ``LogOutput``'s own `write`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
