/// The command line: `HTTPAutobahnClient URL AGENT [--mode async|eventloop] [--case-timeout SECONDS]`,
/// and `--run-case N`, with which the client runs each case in a process of its own.
struct ClientOptions: Sendable {
    /// Who consumes each case connection's messages.
    enum Mode: String, Sendable {
        /// A task that reads `webSocket.messages` and awaits each send (the default).
        case async
        /// An ``EchoHandler`` whose callback runs on the event loop and sends from there.
        case eventLoop = "eventloop"
    }

    /// The fuzzing server's host, from `ws://HOST:PORT`.
    var host: String
    /// The fuzzing server's port; 80 when the URL gives none.
    var port: Int
    /// The agent name the reports are filed under.
    var agent: String
    /// Who echoes. Defaults to ``Mode/async``.
    var mode = Mode.async
    /// How long one connection (a case, the case count, the report request) may last before
    /// the client closes its TCP connection. Defaults to 60 s.
    var caseTimeout = Duration.seconds(60)
    /// The one case this process runs (`--run-case N`, given by the driving process), or
    /// `nil` for the driver, which runs the whole suite.
    var singleCase: Int?

    static let usage = "usage: HTTPAutobahnClient ws://HOST:PORT AGENT [--mode async|eventloop] [--case-timeout SECONDS]"

    /// Parses `arguments` (without the program name).
    ///
    /// - Throws: ``UsageError`` for a URL that is not `ws://HOST[:PORT][/]`, a missing agent,
    ///   an unknown flag or a bad value.
    init(arguments: some Sequence<String>) throws(UsageError) {
        // `arguments(runningCase:)` must say again whatever is parsed here.
        var rest = arguments.makeIterator()
        guard let url = rest.next(), url != "-h", url != "--help" else { throw UsageError(nil) }
        guard let agent = rest.next(), !agent.isEmpty else { throw UsageError("missing AGENT") }
        (host, port) = try Self.parse(url: url)
        self.agent = agent
        while let flag = rest.next() {
            switch flag {
            case "--mode":
                guard let value = rest.next(), let mode = Mode(rawValue: value) else {
                    throw UsageError("--mode needs async or eventloop")
                }
                self.mode = mode
            case "--case-timeout":
                guard let value = rest.next(), let seconds = Int(value), seconds > 0 else {
                    throw UsageError("--case-timeout needs a positive number of seconds")
                }
                self.caseTimeout = .seconds(seconds)
            case "--run-case":
                guard let value = rest.next(), let number = Int(value), number > 0 else {
                    throw UsageError("--run-case needs a case number from 1")
                }
                self.singleCase = number
            default:
                throw UsageError("unknown argument '\(flag)'")
            }
        }
    }

    /// The command line (without the program name) of a child process that runs case `number`
    /// with these options.
    func arguments(runningCase number: Int) -> [String] {
        let authority = host.contains(":") ? "[\(host)]" : host
        return ["ws://\(authority):\(port)", agent, "--mode", mode.rawValue,
                "--case-timeout", "\(caseTimeout.components.seconds)", "--run-case", "\(number)"]
    }

    /// Splits `ws://HOST[:PORT][/]` (HOST may be a bracketed IPv6 address).
    private static func parse(url: String) throws(UsageError) -> (host: String, port: Int) {
        guard url.hasPrefix("ws://") else { throw UsageError("URL must start with ws:// (wss is not supported here)") }
        var authority = url.dropFirst("ws://".count)
        while authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains("/") else { throw UsageError("URL must be ws://HOST[:PORT]") }
        var host = authority
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw UsageError("URL has a bad port")
            }
            host = authority[..<colon]
            port = number
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }
}

/// A command line that cannot be run; `message` is nil when the user asked for help.
struct UsageError: Error {
    let message: String?
    init(_ message: String?) { self.message = message }
}
