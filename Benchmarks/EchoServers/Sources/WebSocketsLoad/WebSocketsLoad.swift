import Dispatch
import EchoServerSupport
import Logging
import NIOCore
import NIOPosix
import WSHTTP
import WSTLS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A load client for echo servers that speaks `ws` and `wss`, on the project's own client
/// pipeline, for `Benchmarks/tls-compare.sh` (written before Benchmarks/LoadGen had `--tls`).
///
/// It opens `-c` connections (with `--tls-ca FILE`: TLS, the server verified against that CA
/// and `--server-name`), keeps `-d` binary messages of `-s` bytes in flight on each, warms up
/// for 1 s, then counts the echoes of `-t` seconds. Everything runs on one event loop thread, so
/// pinned with `taskset -c 0` it stays on one core; each connection is a ``LoadHandler`` (the
/// event-loop consumer) that checks every echo's kind, length and sequence number, and one in
/// 16 byte for byte.
///
/// Prints, like loadgen, one `RESULT` line and then one line of JSON (the last line of stdout):
/// messages/s, MB/s (10⁶ bytes of payload echoed), its own CPU and, with `--pid`, the server's,
/// in % of one core over the measured seconds. Then it closes its connections (TCP, and TLS's
/// `close_notify`; no WebSocket Close). Exits with 0, or 1 after any error (a connection
/// that failed or closed, an echo that did not match), or at a hard deadline of 10 s to connect
/// plus the run plus 10 s.
@main
enum WebSocketsLoad {
    static func main() {
        let options = LoadOptions.parse()
        var logger = Logger(label: "WebSocketsLoad")
        logger.logLevel = .warning
        let tls = makeTLSContext(trustedCA: options.trustedCA, logger: logger)

        let deadline = 10 + 1 + options.seconds + 10
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(deadline)) {
            writeLine("WebSocketsLoad: hard deadline of \(deadline) s reached", to: 2)
            exit(1)
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        do {
            let tally = try loop.submit { NIOLoopBound(LoadTally(size: options.size, depth: options.depth), eventLoop: loop) }.wait()
            let results = try EventLoopFuture.whenAllComplete(
                (0..<options.connections).map { _ in connect(options, tls: tls, tally: tally, on: loop, logger: logger) },
                on: loop
            ).wait()
            var webSockets: [WebSocket] = []
            var failures = 0
            for result in results {
                switch result {
                case .success(let webSocket):
                    webSockets.append(webSocket)
                case .failure(let error):
                    if failures == 0 { writeLine("WebSocketsLoad: a connection failed: \(error)", to: 2) }
                    failures += 1
                }
            }
            guard !webSockets.isEmpty else {
                writeLine("WebSocketsLoad: no connection could be opened to \(options.host):\(options.port)", to: 2)
                exit(1)
            }
            let measurement = try measure(webSockets, tally: tally, seconds: options.seconds, serverPID: options.serverPID,
                                          on: loop).wait()
            let tlsInfo = webSockets.first?.handshake.tls
            let result = LoadResult(options: options, measurement: measurement, opened: webSockets.count,
                                    connectFailures: failures, tls: tlsInfo)
            // Closes the connections before exiting (with TLS: close_notify, bounded by the
            // handler's 1 s wait), so that the server sees an orderly end, not a reset.
            _ = try? EventLoopFuture.andAllComplete(webSockets.map { $0.channel.close() }, on: loop).wait()
            writeLine(result.summaryLine, to: 1)
            writeLine(result.json, to: 1)
            exit(result.errors == 0 ? 0 : 1)
        } catch {
            writeLine("WebSocketsLoad: \(error)", to: 2)
            exit(1)
        }
    }

    /// The TLS context that trusts `trustedCA` (a PEM file), or nil for `ws`; exits with 2
    /// when WSTLS refuses the file (the error says why).
    private static func makeTLSContext(trustedCA: String?, logger: Logger) -> TLSClientContext? {
        guard let trustedCA else { return nil }
        do {
            return try TLSClientContext(TLSClientConfiguration(verification: .trustedCAs(.file(trustedCA))), logger: logger)
        } catch {
            writeLine("WebSocketsLoad: \(error)", to: 2)
            exit(2)
        }
    }

    /// One connection: TCP, TLS when `tls` is given, the upgrade, and a ``LoadHandler``.
    private static func connect(_ options: LoadOptions, tls: TLSClientContext?, tally: NIOLoopBound<LoadTally>,
                                on loop: any EventLoop, logger: Logger) -> EventLoopFuture<WebSocket> {
        // Large enough for the run's messages; no keepalive ping, so the client sends nothing
        // but the load.
        let limit = max(options.size, 1 << 20)
        let configuration = WebSocket.Configuration(maxFrameSize: limit, maxMessageSize: limit, autoPing: .disabled)
        let handshake = WebSocketClientHandshake(target: "/", host: options.serverName, port: options.port,
                                                 secure: tls != nil)
        return ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .connect(host: options.host, port: options.port)
            .flatMap { channel in
                channel.configureWebSocketClientPipeline(
                    handshake: handshake, tls: tls.map { WebSocketTLS.openSSL($0) }, serverHostname: options.serverName, configuration: configuration,
                    consumer: .eventLoop { _ in LoadHandler(tally: tally.value) }, logger: logger
                ).flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
            }
    }

    /// Starts the load (one message per connection; each echo tops its window up to the
    /// depth), lets it warm up for 1 s, then counts for `seconds`.
    private static func measure(_ webSockets: [WebSocket], tally: NIOLoopBound<LoadTally>, seconds: Int,
                                serverPID: Int32?, on loop: any EventLoop) -> EventLoopFuture<LoadResult.Measurement> {
        loop.flatSubmit {
            let first = Array(tally.value.stamped(0))
            for webSocket in webSockets {
                tally.value.sent &+= 1
                Task { try? await webSocket.send(binary: first) }
            }
            let promise = loop.makePromise(of: LoadResult.Measurement.self)
            loop.scheduleTask(in: .seconds(1)) {
                let start = (time: NIODeadline.now(), cpu: CPUTimes.now(serverPID: serverPID), echoed: tally.value.echoed)
                loop.scheduleTask(in: .seconds(Int64(seconds))) {
                    let end = (time: NIODeadline.now(), cpu: CPUTimes.now(serverPID: serverPID))
                    promise.succeed(LoadResult.Measurement(
                        seconds: Double((end.time - start.time).nanoseconds) / 1e9, messages: tally.value.echoed &- start.echoed,
                        start: start.cpu, end: end.cpu, sent: tally.value.sent, echoed: tally.value.echoed,
                        mismatches: tally.value.mismatches, closes: tally.value.closes))
                }
            }
            return promise.futureResult
        }
    }
}
