/// The command line: `NIOWebSocketEcho [--host 127.0.0.1] [--port 9002]`.
struct ServerOptions: Sendable {
    /// The address to bind. Defaults to `127.0.0.1`.
    var host = "127.0.0.1"
    /// The TCP port to bind. Defaults to 9002.
    var port = 9002

    static let usage = "usage: NIOWebSocketEcho [--host ADDRESS] [--port PORT]"

    /// Parses `arguments` (without the program name).
    ///
    /// - Throws: ``UsageError`` for an unknown flag, a missing value or a port outside 1...65535.
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
