import Logging
import NIOCore
import NIOPosix
import WSHTTP

/// One fuzzing server's testee: opens each of its connections with WSHTTP's client pipeline.
struct Testee: Sendable {
    let options: ClientOptions
    let logger: Logger

    /// 16 MiB frames and messages (the largest the 9.* cases send), no keepalive ping.
    static let configuration = WebSocket.Configuration(maxFrameSize: 16 << 20, maxMessageSize: 16 << 20, autoPing: .disabled)

    /// The number of cases: the one text message of `/getCaseCount`.
    ///
    /// - Throws: ``TesteeError`` when the message is missing or not a number, or the
    ///   connection's error.
    func caseCount() async throws -> Int {
        let webSocket = try await connect(target: "/getCaseCount", consumer: .async)
        let message = try await webSocket.receive()
        _ = await webSocket.closed()
        guard case .text(let text) = message, let count = Int(text), count >= 0 else {
            throw TesteeError("/getCaseCount sent \(message.map { "\($0)" } ?? "no message") instead of a number")
        }
        return count
    }

    /// Runs case `number`: echoes every message until the connection ends.
    ///
    /// - Returns: how the connection ended.
    /// - Throws: the connection's error when the handshake failed.
    func runCase(_ number: Int) async throws -> CloseOutcome {
        let target = "/runCase?case=\(number)&agent=\(Self.percentEncoded(options.agent))"
        switch options.mode {
        case .eventLoop:
            let webSocket = try await connect(target: target, consumer: .eventLoop { _ in EchoHandler() })
            return await webSocket.closed()
        case .async:
            let webSocket = try await connect(target: target, consumer: .async)
            // On the connection's event loop, as the library advises: no thread hop per message.
            await withTaskExecutorPreference(webSocket.taskExecutor) {
                for await message in webSocket.messages {
                    // A send fails once the close handshake has started; the loop then ends
                    // with the connection.
                    try? await webSocket.send(message)
                }
            }
            return await webSocket.closed()
        }
    }

    /// The suite's id of case `number` (such as `2.5`), from `/getCaseInfo`, or `nil` when
    /// it cannot be had.
    func caseID(_ number: Int) async -> String? {
        guard let webSocket = try? await connect(target: "/getCaseInfo?case=\(number)", consumer: .async) else { return nil }
        let message = try? await webSocket.receive()
        _ = await webSocket.closed()
        // The message is `{"id": "2.5", "description": "…"}`; the id has no quotes.
        guard case .text(let json) = message, let start = json.firstRange(of: #""id": ""#)?.upperBound,
              let end = json[start...].firstIndex(of: "\"") else { return nil }
        return String(json[start..<end])
    }

    /// Asks the fuzzing server to write its reports, and waits until it has closed.
    func updateReports() async throws {
        let webSocket = try await connect(target: "/updateReports?agent=\(Self.percentEncoded(options.agent))", consumer: .async)
        _ = await webSocket.closed()
    }

    /// Connects to `target` on the fuzzing server with WSHTTP's client pipeline. The TCP
    /// connection is closed after ``ClientOptions/caseTimeout``, whatever state it is in,
    /// which also ends a handshake that never completes.
    private func connect(target: String, consumer: WebSocket.Consumer) async throws -> WebSocket {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: options.host, port: options.port).get()
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(options.caseTimeout)) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in deadline.cancel() }
        let handshake = WebSocketClientHandshake(target: target, host: options.host, port: options.port)
        return try await channel.configureWebSocketClientPipeline(
            handshake: handshake, configuration: Self.configuration, consumer: consumer, logger: logger).get()
    }

    /// `value` with every byte outside RFC 3986's unreserved set percent-encoded.
    static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The fuzzing server did not answer as a testee expects.
struct TesteeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
