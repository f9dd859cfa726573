public import NIOPosix
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The command line every echo server takes: `--host`, `--port`, and the flags of its own.
public struct EchoCommandLine: Sendable {
    /// The address to bind. Defaults to `127.0.0.1`.
    public var host = "127.0.0.1"
    /// The TCP port to bind. Defaults to 9002.
    public var port = 9002
    /// The values of the server's own flags, by flag (`--mode` → `async`).
    public var values: [String: String] = [:]

    /// Parses the process's arguments; on `--help` or an error prints `usage` (and the error)
    /// and exits with 0 or 2.
    ///
    /// - Parameters:
    ///   - name: the program's name, for messages.
    ///   - flags: the server's own flags, each taking one value.
    ///   - usage: the usage line.
    public init(name: String, flags: [String] = [], usage: String) {
        var rest = CommandLine.arguments.dropFirst().makeIterator()
        func fail(_ message: String?) -> Never {
            if let message { writeLine("\(name): \(message)", to: 2) }
            writeLine(usage, to: message == nil ? 1 : 2)
            exit(message == nil ? 0 : 2)
        }
        while let flag = rest.next() {
            switch flag {
            case "--host":
                guard let value = rest.next() else { fail("--host needs an address") }
                host = value
            case "--port":
                guard let value = rest.next(), let port = Int(value), (1...65535).contains(port) else {
                    fail("--port needs a number from 1 to 65535")
                }
                self.port = port
            case "-h", "--help":
                fail(nil)
            case _ where flags.contains(flag):
                guard let value = rest.next() else { fail("\(flag) needs a value") }
                values[flag] = value
            default:
                fail("unknown argument '\(flag)'")
            }
        }
    }
}

/// Runs a server on one event loop thread until SIGINT or SIGTERM: binds the bootstrap that
/// `makeBootstrap` makes, prints `listening on HOST:PORT`, waits for the signal, closes the
/// listener and the event loop, and exits (0, or 1 after an error).
public func runUntilStopped(name: String, on commandLine: EchoCommandLine,
                            makeBootstrap: (MultiThreadedEventLoopGroup) -> ServerBootstrap) -> Never {
    // Block SIGINT and SIGTERM before any thread starts (threads inherit the mask), so that
    // only the main thread takes them, in `sigwait`, and can shut down in order.
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGINT)
    sigaddset(&stopSignals, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var status: Int32 = 0
    do {
        let server = try makeBootstrap(group).bind(host: commandLine.host, port: commandLine.port).wait()
        writeLine("listening on \(commandLine.host):\(commandLine.port)", to: 1)
        var signal: Int32 = 0
        sigwait(&stopSignals, &signal)
        try server.close().wait()
    } catch {
        writeLine("\(name): \(error)", to: 2)
        status = 1
    }
    try? group.syncShutdownGracefully()
    exit(status)
}

/// Writes `line` and a newline to a file descriptor, unbuffered, so that a script reading a
/// pipe sees it at once.
public func writeLine(_ line: String, to descriptor: Int32) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
}
