import EchoServerSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one run of ``WebSocketsLoad`` does: where it connects, how much it keeps in flight,
/// and whether it speaks `wss`.
struct LoadOptions {
    /// The server's address. Default `127.0.0.1`.
    var host: String
    /// The server's port. Default 9002.
    var port: Int
    /// Connections (`-c`). Default 10.
    var connections: Int
    /// Messages in flight per connection (`-d`). Default 4.
    var depth: Int
    /// Payload bytes per message (`-s`), at least 8: the first eight carry a sequence number.
    /// Default 16384.
    var size: Int
    /// Seconds measured after the 1 s warm-up (`-t`). Default 5.
    var seconds: Int
    /// PEM file of the CA that signed the server's certificate (`--tls-ca`): speak `wss` and
    /// verify the server with it. Nil: `ws`.
    var trustedCA: String?
    /// The name sent as SNI and checked against the server's certificate (`--server-name`);
    /// the host by default, so an IP address is checked against the certificate's IP entries.
    var serverName: String
    /// The server's process (`--pid`), whose CPU time is read from `/proc/PID/stat`.
    var serverPID: Int32?
    /// A name for the result (`--label`). Default `ws` or `wss`.
    var label: String

    static let usage = """
        usage: WebSocketsLoad [--host ADDRESS] [--port PORT] [-c CONNECTIONS] [-d DEPTH] [-s BYTES] [-t SECONDS]
                              [--tls-ca FILE [--server-name NAME]] [--pid SERVER_PID] [--label NAME]
        """

    /// Parses the process's arguments; on `--help` prints the usage and exits with 0, on an
    /// error says what was wrong and exits with 2.
    static func parse() -> LoadOptions {
        let commandLine = EchoCommandLine(
            name: "WebSocketsLoad",
            flags: ["-c", "-d", "-s", "-t", "--tls-ca", "--server-name", "--pid", "--label"],
            usage: usage)
        func number(_ flag: String, default value: Int, in range: ClosedRange<Int>) -> Int {
            guard let text = commandLine.values[flag] else { return value }
            guard let number = Int(text), range.contains(number) else {
                writeLine("WebSocketsLoad: \(flag) takes a whole number from \(range.lowerBound) to \(range.upperBound)", to: 2)
                exit(2)
            }
            return number
        }
        let trustedCA = commandLine.values["--tls-ca"]
        if trustedCA == nil, commandLine.values["--server-name"] != nil {
            writeLine("WebSocketsLoad: --server-name is for wss: give --tls-ca too", to: 2)
            exit(2)
        }
        let pid = commandLine.values["--pid"].map { _ in number("--pid", default: 0, in: 1...Int(Int32.max)) }
        return LoadOptions(
            host: commandLine.host,
            port: commandLine.port,
            connections: number("-c", default: 10, in: 1...10_000),
            depth: number("-d", default: 4, in: 1...1024),
            size: number("-s", default: 16384, in: 8...(16 << 20)),
            seconds: number("-t", default: 5, in: 1...300),
            trustedCA: trustedCA,
            serverName: commandLine.values["--server-name"] ?? commandLine.host,
            serverPID: pid.map { Int32($0) },
            label: commandLine.values["--label"] ?? (trustedCA == nil ? "ws" : "wss"))
    }
}
