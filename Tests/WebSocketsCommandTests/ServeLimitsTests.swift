import ArgumentParser
import Testing
@testable import WebSocketsCommand
import WSServer

@Suite("websockets serve: the server's limits as flags, with the library's defaults")
struct ServeLimitsTests {
    /// The configuration `serve` runs with, for `arguments`.
    static func configuration(_ arguments: [String]) throws -> WebSocketServer.Configuration {
        var configuration = WebSocketServer.Configuration()
        try ServeLimits.parse(arguments).apply(to: &configuration)
        return configuration
    }

    @Test("no flags: exactly the library's defaults")
    func defaults() throws {
        let library = WebSocketServer.Configuration()
        let configuration = try Self.configuration([])
        #expect(configuration.maxConnections == library.maxConnections)
        #expect(configuration.maxPendingConnections == library.maxPendingConnections)
        #expect(configuration.handshakeTimeout == library.handshakeTimeout)
        #expect(configuration.connectionRateLimit == library.connectionRateLimit)
        #expect(configuration.webSocket == library.webSocket)
    }

    @Test("every flag reaches the configuration")
    func flags() throws {
        let configuration = try Self.configuration([
            "--max-connections", "500", "--max-pending-connections", "64", "--handshake-timeout", "2.5", "--idle-timeout", "300",
            "--max-outbound-bytes", "65536", "--message-rate", "50", "--message-burst", "100", "--connection-rate", "0.5",
            "--connection-burst", "3", "--close-timeout", "4", "--ping-interval", "20", "--ping-timeout", "5",
        ])
        #expect(configuration.maxConnections == 500)
        #expect(configuration.maxPendingConnections == 64)
        #expect(configuration.handshakeTimeout == .milliseconds(2500))
        #expect(configuration.webSocket.idleTimeout == .seconds(300))
        #expect(configuration.webSocket.maxBufferedOutboundBytes == 65536)
        #expect(configuration.messageRateLimit == RateLimit(perSecond: 50, burst: 100))
        #expect(configuration.connectionRateLimit == RateLimit(perSecond: 0.5, burst: 3))
        #expect(configuration.webSocket.closeTimeout == .seconds(4))
        #expect(configuration.webSocket.autoPing == .every(.seconds(20), timeout: .seconds(5)))
    }

    @Test("a rate without its burst gets one second's worth; --ping-interval 0 turns keepalive off")
    func derived() throws {
        let configuration = try Self.configuration(["--message-rate", "2.5", "--connection-rate", "0.2", "--ping-interval", "0"])
        #expect(configuration.messageRateLimit == RateLimit(perSecond: 2.5, burst: 3))
        #expect(configuration.connectionRateLimit == RateLimit(perSecond: 0.2, burst: 1))
        #expect(configuration.webSocket.autoPing == .disabled)
    }

    // (A negative value goes after `=`: alone, `-3` reads as a flag.)
    @Test("values out of range are refused with a message that names the flag", arguments: [
        (["--max-connections", "0"], "--max-connections must be at least 1, not 0"),
        (["--max-pending-connections=-3"], "--max-pending-connections must be at least 1, not -3"),
        (["--handshake-timeout", "0"], "--handshake-timeout must be more than 0 seconds"),
        (["--handshake-timeout", "1e12"], "--handshake-timeout must be more than 0 seconds and at most 1000000000"),
        (["--idle-timeout=-1"], "--idle-timeout must be more than 0 seconds"),
        (["--max-outbound-bytes", "0"], "--max-outbound-bytes must be at least 1"),
        (["--message-rate", "0"], "--message-rate must be a number more than 0"),
        (["--message-burst", "5"], "--message-burst needs --message-rate"),
        (["--message-rate", "5", "--message-burst", "0"], "--message-burst must be at least 1"),
        (["--connection-rate=-2"], "--connection-rate must be a number more than 0"),
        (["--connection-burst", "5"], "--connection-burst needs --connection-rate"),
        (["--close-timeout", "0"], "--close-timeout must be more than 0 seconds"),
        (["--ping-interval=-1"], "--ping-interval must be 0 or more seconds"),
        (["--ping-timeout", "0"], "(--ping-interval 0 turns keepalive off)"),
        (["--handshake-timeout", "soon"], "The value 'soon' is invalid for '--handshake-timeout <seconds>'"),
    ])
    func refused(_ arguments: [String], _ says: String) {
        let error = #expect(throws: (any Error).self) { try ServeLimits.parse(arguments) }
        let message = error.map { ServeLimits.message(for: $0) } ?? ""
        #expect(message.contains(says), "\(message)")
    }

    @Test("--ping-timeout 0 is fine when keepalive is off")
    func keepaliveOff() throws {
        #expect(try Self.configuration(["--ping-interval", "0", "--ping-timeout", "0"]).webSocket.autoPing == .disabled)
    }

    @Test("serve --help shows each limit with the library's default")
    func help() {
        let library = WebSocketServer.Configuration()
        // Words, whatever the line breaks of the terminal's width.
        let help = Serve.helpMessage(columns: 100).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let defaults = [
            ("--max-connections", "\(library.maxConnections)"), ("--max-pending-connections", "\(library.maxPendingConnections)"),
            ("--handshake-timeout", "10"), ("--max-outbound-bytes", "\(library.webSocket.maxBufferedOutboundBytes)"),
            ("--close-timeout", "10"), ("--ping-interval", "30"), ("--ping-timeout", "10"),
        ]
        for (flag, value) in defaults {
            guard let start = help.firstRange(of: flag + " <") else {
                Issue.record("\(flag) is not in --help")
                continue
            }
            // This option's entry: up to the next option's `--name <`.
            let rest = help[start.upperBound...]
            let entry = rest[..<(rest.firstRange(of: /--[a-z-]+ </)?.lowerBound ?? rest.endIndex)]
            #expect(entry.contains("(default: \(value))"), "\(flag): \(entry)")
        }
        for flag in ["--idle-timeout", "--message-rate", "--message-burst", "--connection-rate", "--connection-burst"] {
            #expect(help.contains(flag + " <"), "\(flag) is in --help")
        }
    }
}
