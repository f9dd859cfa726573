import Foundation
import NIOCore
import NIOPosix
import WSFraming
import WSHandshake
@testable import WSHTTP
import WSTLS

// The peers of TLSInteropTests and how their bytes are read: openssl s_client and s_server
// started on a free port, a client upgrade with a fixed key, frames and HTTP heads as the
// peers print them.

extension TLSInteropTests {
    /// The key our client sends to s_server, so that the test can write the 101 for it.
    static let key = "AQIDBAUGBwgJCgsMDQ4PEA=="

    /// The 101 for ``key``, for s_server to send (RFC 6455 §4.2.2).
    var switchingProtocols: [UInt8] {
        Array(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(WebSocketKey.accept(for: Self.key))\r\n\r\n").utf8)
    }

    /// Connects our client to s_server on 127.0.0.1:`port` for `localhost/s_server` with ``key``
    /// and starts the upgrade; it finishes when s_server has been given the 101.
    func startUpgrade(port: Int, tls: TLSClientContext, configuration: WebSocket.Configuration = .default)
        async throws -> EventLoopFuture<WebSocket>
    {
        let handshake = WebSocketClientHandshake(target: "/s_server", host: "localhost", port: port, secure: true, key: Self.key)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        return channel.configureWebSocketClientPipeline(handshake: handshake, tls: .openSSL(tls), configuration: configuration,
                                                        logger: testLogger)
    }

    /// Our server's TLS for mutual TLS: every client must show a certificate from the test CA.
    func mutualTLS() throws -> TLSServerContext {
        try TLSServerContext(certificates.server(clientCertificates: .required(trustedCAs: certificates.file("ca.pem"))))
    }

    /// `openssl s_client` to our server on 127.0.0.1:`port`, verifying its certificate against
    /// the test CA and the name `localhost` (sent as SNI), offering the ALPN protocol `alpn`.
    ///
    /// - Parameter commands: false: `-quiet`, its standard output is only what the server sends.
    ///   True: a line "K" or "R" on its input is a command (a KeyUpdate, a renegotiation), and its
    ///   own lines come before the server's bytes on its standard output.
    func sClient(port: Int, alpn: String = "http/1.1", extra: [String] = [], commands: Bool = false) throws -> PeerProcess {
        try PeerProcess.openssl([
            "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", certificates.path("ca.pem"), "-verify_return_error", "-alpn", alpn,
        ] + (commands ? [] : ["-quiet"]) + extra)
    }

    /// `openssl s_server` on 127.0.0.1 with certificate `name`, for one connection, once it
    /// listens; and its port. It writes what it receives to its standard output, after its own
    /// lines, and sends what its standard input gets.
    func startSServer(certificate name: String, extra: [String] = []) async throws -> (PeerProcess, Int) {
        var failures: [String] = []
        for _ in 0..<5 {
            let port = try await freePort()
            let server = try PeerProcess.openssl([
                "s_server", "-accept", "127.0.0.1:\(port)", "-naccept", "1", "-alpn", "http/1.1",
                "-cert", certificates.path("\(name).pem"), "-key", certificates.path("\(name).key"),
            ] + extra)
            do {
                _ = try await server.line(startingWith: "ACCEPT")
                return (server, port)
            } catch {
                // Something else took the port between our probe and s_server's bind: another one.
                server.terminate()
                guard server.standardError.contains("in use") else { throw error }
                failures.append("\(error)")
            }
        }
        throw PeerProcess.Failure(description: "openssl s_server found no free port: \(failures.joined(separator: "; "))")
    }

    /// A frame as a peer wrote it: the payload unmasked, and whether it came masked.
    struct Frame: Equatable, CustomStringConvertible {
        var opcode: Opcode
        var payload: [UInt8]
        var masked = false

        init(_ opcode: Opcode, _ payload: [UInt8], masked: Bool = false) {
            self.opcode = opcode
            self.payload = payload
            self.masked = masked
        }

        var description: String { "\(opcode)\(masked ? " masked" : "") \(payload.count) bytes: \(payload.text)" }
    }

    /// The whole frames at the start of some bytes, and how many bytes follow them (an unfinished
    /// frame, or what is not a frame).
    struct Frames {
        var frames: [Frame] = []
        var leftover = 0

        init(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                guard let (header, size) = bytes[offset...].withUnsafeBytes({ try? FrameHeader.parse($0) }),
                      bytes.count - offset - size >= header.payloadLength else { break }
                var payload = Array(bytes[(offset + size)..<(offset + size + header.payloadLength)])
                header.maskingKey?.mask(&payload)
                frames.append(Frame(header.opcode, payload, masked: header.maskingKey != nil))
                offset += size + header.payloadLength
            }
            leftover = bytes.count - offset
        }
    }

    /// An HTTP head's first line and fields, from bytes that start with it.
    struct HTTPHead {
        var statusLine: String
        private var fields: [(name: String, value: String)]

        init(_ bytes: [UInt8]) {
            let lines = bytes.text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
            statusLine = lines[0]
            fields = lines.dropFirst().compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }

        /// The value of the field `name` (lowercase), if there is one.
        subscript(name: String) -> String? { fields.first { $0.name == name }?.value }
    }

    /// What `ws_peer.py client` prints: the parts this suite checks.
    struct PythonClientResults: Decodable {
        var tlsVersion: String
        var alpn: String?
        var subprotocol: String?
        var text: String
        var largeLength: Int
        var fragmentedText: String
        var closeSeconds: Double
        var closeCode: Int
    }

    /// What `ws_peer.py server` prints after each connection: the Close it received.
    struct PythonServerClose: Decodable, Equatable {
        var path: String
        var closeCode: Int
        var closeReason: String
    }
}

/// An echo that keeps what the TLS handshake agreed on.
func echoRecording(_ facts: LockedBox<TLSConnectionInfo>) -> WebSocketServerHandlers {
    WebSocketServerHandlers(upgraded: { webSocket in
        facts.set(webSocket.handshake.tls)
        for await message in webSocket.messages { try? await webSocket.send(message) }
    })
}

/// A server's frame, unmasked.
func unmaskedFrame(_ opcode: Opcode, _ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    FrameWriter.write(FrameHeader(opcode: opcode, payloadLength: payload.count), payload: payload, into: &out)
    return out
}

/// A port on 127.0.0.1 that was free a moment ago: bound with port 0, then closed.
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

extension [UInt8] {
    /// s_client's output from the HTTP response on: without -quiet, its own lines come before it.
    var fromResponse: [UInt8] {
        let http = Array("HTTP/1.1 ".utf8)
        guard let start = (0..<Swift.max(0, count - 8)).first(where: { self[$0..<($0 + 9)].elementsEqual(http) }) else { return [] }
        return Array(self[start...])
    }

    /// s_server's output from the request received on: its own lines come before it.
    var fromRequest: [UInt8]? {
        let get = Array("GET ".utf8)
        guard let start = (0..<Swift.max(0, count - 3)).first(where: { self[$0..<($0 + 4)].elementsEqual(get) }) else { return nil }
        return Array(self[start...])
    }

    /// The whole request head in s_server's output, when it has arrived.
    var requestBytes: [UInt8]? {
        guard let request = fromRequest, request.text.contains("\r\n\r\n") else { return nil }
        return request
    }

    /// What s_server received after the request head: our frames.
    var afterRequest: [UInt8] { fromRequest?.afterHead ?? [] }
}

/// A decoder for what ws_peer.py prints.
var snakeCaseDecoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return decoder
}

/// The first element of `sequence`, or a failure when none comes within `timeout`.
func firstElement<Element: Sendable>(of sequence: AsyncStream<Element>, within timeout: Duration) async throws -> Element {
    try await withThrowingTaskGroup(of: Element?.self) { group in
        group.addTask { await sequence.first { _ in true } }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw PeerProcess.Failure(description: "nothing within \(timeout)")
        }
        defer { group.cancelAll() }
        guard let element = try await group.next() ?? nil else { throw PeerProcess.Failure(description: "the sequence ended empty") }
        return element
    }
}
