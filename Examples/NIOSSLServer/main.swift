// wss on SwiftNIO SSL: WSHTTP's pipeline with NIOSSL's handler in front, so this program needs
// no libssl (NIOSSL brings BoringSSL). Plain HTTPS requests get a line of text; upgrades are
// echoed, and each connection's first message is answered with the TLS version it runs on.
//
//     swift run --package-path Examples NIOSSLServer PORT CERT.pem KEY.pem     (0 picks a free port)
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import WSHTTP

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 3, let port = Int(arguments[0]) else {
    FileHandle.standardError.write(Data("usage: NIOSSLServer PORT CERT.pem KEY.pem\n".utf8))
    exit(2)
}
let logger = Logger(label: "niossl-server")

let sslContext = try NIOSSLContext(configuration: .makeServerConfiguration(
    certificateChain: try NIOSSLCertificate.fromPEMFile(arguments[1]).map { .certificate($0) },
    privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments[2], format: .pem))))

// What WSHTTP asks of a TLS handler: how to make one per connection, and optionally what
// the handshake agreed on and which errors are TLS failures.
let tls = WebSocketTLS(
    connectionInfo: { pipeline in
        guard let handler = try? pipeline.handler(type: NIOSSLServerHandler.self) else { return nil }
        return TLSConnectionInfo(version: handler.tlsVersion.flatMap { version in
            switch version {
            case .tlsv12: WSHTTP.TLSVersion.tls12
            case .tlsv13: WSHTTP.TLSVersion.tls13
            default: nil
            }
        })
    },
    isTLSFailure: { $0 is NIOSSLError || $0 is BoringSSLError },
    makeHandler: { _ in NIOSSLServerHandler(context: sslContext) })

let handlers = WebSocketServerHandlers(
    http: { _, _ in
        (HTTPResponse(status: .ok, headerFields: [.contentType: "text/plain; charset=utf-8"]), Array("served over SwiftNIO SSL\n".utf8))
    },
    upgraded: { webSocket in
        var first = true
        for await message in webSocket.messages {
            if first {
                first = false
                guard await webSocket.sendGuarded(.text("tls: \(webSocket.handshake.tls?.version.map { "\($0)" } ?? "unknown")"))
                else { break }
            }
            guard await webSocket.sendGuarded(message) else { break }
        }
    })

let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.configureWebSocketServerPipeline(tls: tls, logger: logger, handlers: handlers)
    }
    .bind(host: "127.0.0.1", port: port).get()

FileHandle.standardOutput.write(Data("listening on https://127.0.0.1:\(server.localAddress?.port ?? port)/ (wss echo on any path)\n".utf8))
try await server.closeFuture.get()
