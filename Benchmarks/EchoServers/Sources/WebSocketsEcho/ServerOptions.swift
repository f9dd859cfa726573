/// The command line: `WebSocketsEcho [--host 127.0.0.1] [--port 9002] [--mode eventloop|async] [--max-message BYTES]`.
struct ServerOptions: Sendable {
    /// Who consumes each connection's messages.
    enum Mode: String, Sendable {
        /// A ``EchoHandler`` whose callback runs on the event loop and sends from there.
        case eventLoop = "eventloop"
        /// A task per connection that reads `webSocket.messages` and awaits each send.
        case async
    }

    /// The address to bind. Defaults to `127.0.0.1`.
    var host = "127.0.0.1"
    /// The TCP port to bind. Defaults to 9002.
    var port = 9002
    /// Who echoes. Defaults to ``Mode/eventLoop``.
    var mode = Mode.eventLoop
    /// The largest frame and message accepted (1009 beyond). Defaults to the library's 1 MiB;
    /// the Autobahn suite's cases 9.* need 16 MiB.
    var maxMessage = 1 << 20

    static let usage = "usage: WebSocketsEcho [--host ADDRESS] [--port PORT] [--mode eventloop|async] [--max-message BYTES]"

    /// Parses `arguments` (without the program name).
    ///
    /// - Throws: ``UsageError`` for an unknown flag, a missing value, a port outside 1...65535
    ///   or a mode other than `eventloop` and `async`.
    init(arguments: some Sequence<String>) throws(UsageError) {
        var rest = arguments.makeIterator()
        while let flag = rest.next() {
            switch flag {
            case "--host":
                guard let value = rest.next() else { throw UsageError("--host needs an address") }
                self.host = value
            case "--port":
                guard let value = rest.next(), let port = Int(value), (1...65535).contains(port) else {
                    throw UsageError("--port needs a number from 1 to 65535")
                }
                self.port = port
            case "--mode":
                guard let value = rest.next(), let mode = Mode(rawValue: value) else {
                    throw UsageError("--mode needs eventloop or async")
                }
                self.mode = mode
            case "--max-message":
                guard let value = rest.next(), let bytes = Int(value), bytes > 0 else {
                    throw UsageError("--max-message needs a positive number of bytes")
                }
                self.maxMessage = bytes
            case "-h", "--help":
                throw UsageError(nil)
            default:
                throw UsageError("unknown argument '\(flag)'")
            }
        }
    }
}

/// A command line that cannot be run; `message` is nil when the user asked for help.
struct UsageError: Error {
    let message: String?
    init(_ message: String?) { self.message = message }
}
