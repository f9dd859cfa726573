import Dispatch
import EchoServerSupport
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WSHTTP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fan-out, in one process: a server on one event loop thread, `--members` clients on another,
/// and a producer that broadcasts `--messages` binary messages of `--size` bytes to every
/// member, one way or another (`--way`):
///
/// - `group`: ``WebSocketGroup/broadcast(_:except:compress:)``, once per event loop;
/// - `tasks`: a task per member per message, `Task { await member.sendGuarded(message) }`,
///   what a broadcast written by hand often is (the `websockets serve` relay was);
/// - `awaiting`: `for member in members { try await member.send(message) }`.
///
/// It counts the messages the members receive until every one has arrived (or, for a group,
/// every one not skipped) and prints one line: deliveries per second over the whole fan-out,
/// from the first broadcast to the last message received, and the process's CPU seconds.
/// permessage-deflate is off (its cost is each member's own; see DeflateBenchmarks).
///
///     WebSocketsBroadcast --way group --members 1000 --messages 1000 --size 64
@main
enum WebSocketsBroadcast {
    enum Way: String { case group, tasks, awaiting }

    static func main() async throws {
        var arguments = ArraySlice(CommandLine.arguments.dropFirst())
        var way = Way.group, members = 1000, messages = 1000, size = 64
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
            switch flag {
            case "--way": way = Way(rawValue: value) ?? { usage("--way is group, tasks or awaiting") }()
            case "--members": members = number(value, flag)
            case "--messages": messages = number(value, flag)
            case "--size": size = number(value, flag)
            default: usage("unknown flag \(flag)")
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(120)) {
            writeLine("WebSocketsBroadcast: hard deadline of 120 s reached", to: 2)
            exit(1)
        }
        let logger = { var logger = Logger(label: "WebSocketsBroadcast"); logger.logLevel = .warning; return logger }()
        var configuration = WebSocket.Configuration(autoPing: .disabled, idleTimeout: nil, deflate: nil)
        // Room for the whole burst: the producer broadcasts every message at once, and a member
        // over its outbound budget would miss messages (WebSocketGroupTests test that), which
        // is not what this measures.
        configuration.maxBufferedOutboundBytes = max(configuration.maxBufferedOutboundBytes, 2 * messages * (size + 14))

        // The server: every connection joins the group (and the list the other ways use).
        let group = WebSocketGroup()
        let joined = Mutex<[WebSocket]>([])
        let handlers = WebSocketServerHandlers(upgraded: { webSocket in
            group.add(webSocket)
            joined.withLock { $0.append(webSocket) }
            _ = await webSocket.closed()
        })
        let serverLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: serverLoops)
            .serverChannelOption(.backlog, value: 4096)
            .childChannelInitializer { channel in
                channel.configureWebSocketServerPipeline(configuration: configuration, logger: logger, handlers: handlers)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress?.port ?? 0

        // The members: clients that count what they receive.
        let received = Received()
        let clientLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var clients: [WebSocket] = []
        for _ in 0..<members {
            let handshake = WebSocketClientHandshake(target: "/", host: "127.0.0.1", port: port)
            let channel = try await ClientBootstrap(group: clientLoops).connect(host: "127.0.0.1", port: port).get()
            clients.append(try await channel.configureWebSocketClientPipeline(
                handshake: handshake, configuration: configuration, consumer: .eventLoop { _ in Counter(received) }, logger: logger).get())
        }
        while group.count < members || joined.withLock({ $0.count }) < members { try await Task.sleep(for: .milliseconds(10)) }
        let everyone = joined.withLock { $0 }

        let message = WebSocketMessage.binary([UInt8](repeating: 0x2A, count: size))
        let cpuBefore = cpuSeconds()
        let started = ContinuousClock.now
        for _ in 0..<messages {
            switch way {
            case .group:
                group.broadcast(message)
            case .tasks:
                for member in everyone { Task { _ = await member.sendGuarded(message) } }
            case .awaiting:
                for member in everyone { try? await member.send(message) }
            }
        }
        let expected = members * messages
        while received.count + group.statistics.skipped < expected { try await Task.sleep(for: .microseconds(200)) }
        let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        let cpu = cpuSeconds() - cpuBefore
        let rate = Double(received.count) / seconds
        let line = "\(way.rawValue): \(members) members × \(messages) messages of \(size) B: \(Int(rate)) deliveries/s, "
            + "\(hundredths(seconds)) s, CPU \(hundredths(cpu)) s, skipped \(group.statistics.skipped)"
        writeLine(line, to: 1)
        for client in clients { client.channel.close(promise: nil) }
        exit(0)
    }

    /// `value` with two decimals.
    static func hundredths(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    static func number(_ value: String, _ flag: String) -> Int {
        guard let number = Int(value), number > 0 else { usage("\(flag) is a positive number") }
        return number
    }

    static func usage(_ problem: String) -> Never {
        writeLine("WebSocketsBroadcast: \(problem)\nusage: WebSocketsBroadcast [--way group|tasks|awaiting] [--members N] [--messages N] [--size BYTES]", to: 2)
        exit(2)
    }

    /// The process's user and system CPU time, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// The messages every member has received.
final class Received: Sendable {
    private let value = Atomic<Int>(0)
    var count: Int { value.load(ordering: .relaxed) }
    func add() { value.add(1, ordering: .relaxed) }
}

/// A member: counts what it receives, on its event loop.
final class Counter: WebSocketEventLoopHandler {
    let received: Received
    init(_ received: Received) { self.received = received }
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage) { received.add() }
}
