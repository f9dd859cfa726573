import ArgumentParser
import Dispatch
import Logging
import WSConnect

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `websockets connect URL`: an interactive client like `wscat`, or with `--echo` an echo
/// client for conformance runs.
struct Connect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect to a WebSocket server: type lines to send them, see what comes back.",
        discussion: """
            Lines typed are sent as text messages; received messages are printed (text as it is, binary \
            as its size and first bytes). Commands: /ping (prints the round trip), /close [CODE [REASON]]. \
            End of input closes with 1000; the command exits when the connection closes, from either side. \
            With --echo, every message received is sent back until the connection closes (for conformance \
            runs).
            """)

    @Argument(help: "ws://host[:port]/path or wss://…; an IPv6 host in brackets.")
    var url: String

    @Option(name: .customLong("header"), help: "A request header, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(help: "A subprotocol to offer (repeatable, in order of preference).")
    var subprotocol: [String] = []

    @Option(help: "A PEM file of CA certificates to trust instead of the system's.")
    var ca: String?

    @Flag(help: "Do not verify the server's certificate (tests against self-signed servers only).")
    var insecure = false

    @Flag(help: "Send back every message received; exit when the connection closes.")
    var echo = false

    @Option(name: .customLong("max-message-size"), help: "The largest message and frame accepted, in bytes.")
    var maxMessageSize = 16 << 20

    @Option(name: .customLong("log-level"), help: "Log levels: info, or info,WSHTTP=debug (default: WS_LOG_LEVEL, else warning).")
    var logLevel: LogLevelOption?

    @Flag(name: .customLong("no-deflate"), help: "Do not offer permessage-deflate (offered by default).")
    var noDeflate = false

    func validate() throws {
        guard !(insecure && ca != nil) else { throw ValidationError("--insecure and --ca contradict each other") }
        for header in headers where parseHeader(header) == nil {
            throw ValidationError("--header '\(header)' is not 'Name: value' with a valid field name")
        }
    }

    func run() async throws {
        LogLevelOption.bootstrap(logLevel ?? LogLevelOption(argument: "warning"))
        var configuration = WebSocketClientConfiguration(subprotocols: subprotocol)
        for header in headers {
            if let (name, value) = parseHeader(header) { configuration.headerFields.append(HTTPField(name: name, value: value)) }
        }
        if insecure { configuration.tls.verification = .insecureNoVerification }
        if let ca { configuration.tls.verification = .trustedCAs(.file(ca)) }
        configuration.webSocket.maxFrameSize = maxMessageSize
        configuration.webSocket.maxMessageSize = maxMessageSize
        if noDeflate { configuration.webSocket.deflate = nil }
        let webSocket: WebSocket
        do {
            webSocket = try await WebSocket.connect(to: url, configuration: configuration, logger: Logger(label: "websockets.connect"))
        } catch {
            try fail("could not connect to \(url): \(error)")
        }
        if echo {
            for await message in webSocket.messages {
                guard await webSocket.sendGuarded(message) else { break }
            }
            _ = await webSocket.closed()
            return
        }
        print("connected to \(url)" + (webSocket.handshake.subprotocol.map { " (subprotocol \($0))" } ?? "")
              + (webSocket.handshake.tls.map { " over \($0.version.map { "\($0)" } ?? "TLS")" } ?? "")
              + (webSocket.handshake.extensions.map { ", \($0)" } ?? ""))
        let lines = Self.standardInputLines()
        let printer = Task {
            for await message in webSocket.messages { print(Self.describe(message)) }
            print("closed: \(await webSocket.closed())")
            // The peer closed: stop waiting for input.
            lines.continuation.finish()
        }
        for await line in lines.stream {
            if printer.isCancelled || !webSocket.isOpen { break }
            if line == "/ping" {
                do {
                    let roundTrip = try await webSocket.ping()
                    print("pong after \(Double(roundTrip.components.attoseconds) / 1e15 + Double(roundTrip.components.seconds) * 1000) ms")
                } catch {
                    print("ping failed: \(error)")
                }
            } else if line.hasPrefix("/close") {
                let words = line.split(separator: " ", maxSplits: 2).dropFirst()
                let code = words.first.flatMap { UInt16($0) }.map { CloseCode($0) } ?? .normalClosure
                _ = await webSocket.close(code: code, reason: words.dropFirst().first.map(String.init) ?? "")
                break
            } else if !(await webSocket.sendGuarded(.text(line))) {
                break
            }
        }
        if webSocket.isOpen { _ = await webSocket.close() }
        await printer.value
    }

    private func parseHeader(_ text: String) -> (HTTPField.Name, String)? {
        guard let colon = text.firstIndex(of: ":"), let name = HTTPField.Name(String(text[..<colon])) else { return nil }
        return (name, text[text.index(after: colon)...].trimmingPrefix(" ").description)
    }

    /// Says why on standard error and ends the command with status 1.
    private func fail(_ message: String) throws -> Never {
        let line = Array("websockets: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        throw ExitCode.failure
    }

    private static func describe(_ message: WebSocketMessage) -> String {
        switch message {
        case .text(let text): return "< \(text)"
        case .binary(let bytes):
            let head = bytes.prefix(16).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            return "< binary, \(bytes.count) bytes: \(head.joined(separator: " "))\(bytes.count > 16 ? " …" : "")"
        }
    }

    /// Lines of standard input, read on a thread of their own (reading blocks); finishing the
    /// continuation ends the stream early.
    private static func standardInputLines() -> (stream: AsyncStream<String>, continuation: AsyncStream<String>.Continuation) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        DispatchQueue.global().async {
            while let line = readLine() { continuation.yield(line) }
            continuation.finish()
        }
        return (stream, continuation)
    }
}
