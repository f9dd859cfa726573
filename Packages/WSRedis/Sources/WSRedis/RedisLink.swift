import CHiredis
import Logging
import NIOCore
import Synchronization

/// One Redis node, as the backplane uses it: a connection that publishes (pipelined, one
/// write per event-loop turn) and one that subscribes to the topics routed to this node. When
/// either is lost, both are closed, publishes are dropped (and counted) until they are back,
/// and the link reconnects with exponential backoff and jitter, then subscribes again to
/// every topic it had.
///
/// `@unchecked Sendable`: what is not in `queue` is used on `eventLoop` only.
final class RedisLink: @unchecked Sendable {
    let host: String
    let port: Int
    let address: String
    let eventLoop: any EventLoop
    private let options: RedisConnection.Options
    private let verbs: Verbs
    private let configuration: RedisBackplane.Configuration
    private let logger: Logger
    private let counters: RedisCounters
    /// What the publishers on any thread share: whether the node is up, and what waits.
    private let queue = Mutex(PublishQueue())

    // On the event loop:
    private var publisher: RedisConnection?
    private var subscriber: RedisConnection?
    private(set) var topics: Set<String> = []
    private var phase = Phase.idle
    private var failedAttempts = 0
    private var lostAt: ContinuousClock.Instant?
    /// The backplane's handlers, set before the link starts.
    var onPush: ((UnsafePointer<redisReply>, RedisLink) -> Void)?
    var onRejected: ((String, RedisLink) -> Void)?
    var onFailure: ((RedisLink) -> Void)?

    enum Phase {
        case idle, connecting, up
        case waiting(Scheduled<Void>)
        case closed
    }

    /// The commands of plain or sharded pub/sub.
    struct Verbs: Sendable {
        var publish: String, subscribe: String, unsubscribe: String
        static let plain = Verbs(publish: "PUBLISH", subscribe: "SUBSCRIBE", unsubscribe: "UNSUBSCRIBE")
        static let sharded = Verbs(publish: "SPUBLISH", subscribe: "SSUBSCRIBE", unsubscribe: "SUNSUBSCRIBE")
    }

    private struct PublishQueue {
        var isUp = false
        var writable = true
        var pending = ByteBuffer()
        var commands = 0
        var flushScheduled = false
    }

    init(host: String, port: Int, options: RedisConnection.Options, verbs: Verbs, configuration: RedisBackplane.Configuration,
         eventLoop: any EventLoop, logger: Logger, counters: RedisCounters) {
        self.host = host
        self.port = port
        address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.options = options
        self.verbs = verbs
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.counters = counters
    }

    /// Whether both connections are up.
    var isUp: Bool { queue.withLock { $0.isUp } }

    // MARK: Publishing, from any thread

    /// Queues a publish for the next write; dropped and counted when the node is down or
    /// more than the bound waits.
    func publish(_ topic: String, envelope: [UInt8]) {
        let outcome: PublishOutcome = queue.withLock { queue in
            guard queue.isUp else { return .dropped(.disconnected) }
            guard queue.pending.readableBytes <= configuration.maxPendingBytes else { return .dropped(.overLimit) }
            // No memory to format it: it cannot be queued, like one beyond the bound.
            do { try RESPCommand.append([Array(verbs.publish.utf8), Array(topic.utf8), envelope], to: &queue.pending) } catch {
                return .dropped(.overLimit)
            }
            queue.commands += 1
            if queue.flushScheduled { return .queued(scheduleFlush: false) }
            queue.flushScheduled = true
            return .queued(scheduleFlush: true)
        }
        switch outcome {
        case .queued(let scheduleFlush):
            counters.published()
            if scheduleFlush { eventLoop.execute { self.flush() } }
        case .dropped(let reason):
            counters.dropped(reason)
        }
    }

    private enum PublishOutcome {
        case queued(scheduleFlush: Bool)
        case dropped(RedisCounters.DropReason)
    }

    /// On the event loop: writes what waits, in one write, while the socket takes more.
    private func flush() {
        let (bytes, commands): (ByteBuffer?, Int) = queue.withLock { queue in
            queue.flushScheduled = false
            guard queue.isUp, queue.writable, queue.commands > 0 else { return (nil, 0) }
            let bytes = queue.pending
            let commands = queue.commands
            queue.pending = ByteBuffer()
            queue.commands = 0
            return (bytes, commands)
        }
        guard let bytes, let publisher else { return }
        publisher.send(bytes, ignoredReplies: commands)
    }

    // MARK: Subscriptions, on the event loop

    func subscribe(_ topic: String) {
        guard topics.insert(topic).inserted else { return }
        sendToSubscriber([verbs.subscribe, topic])
    }

    func unsubscribe(_ topic: String) {
        guard topics.remove(topic) != nil else { return }
        sendToSubscriber([verbs.unsubscribe, topic])
    }

    /// A command on the subscribed connection, when it is up; one hiredis cannot allocate ends
    /// the connection, so that the reconnection subscribes again to exactly `topics`.
    private func sendToSubscriber(_ arguments: [String]) {
        guard case .up = phase, let subscriber else { return }
        do {
            subscriber.send(try RESPCommand.make(arguments), ignoredReplies: 0)
        } catch {
            lost(error)
        }
    }

    // MARK: Connecting, on the event loop

    /// Connects both connections; the future fails with the first error, with no retry: the
    /// backplane's start-up says at once that Redis is unreachable.
    func start() -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        return connect()
    }

    /// Connects, and from now on reconnects whenever a connection is lost or an attempt fails.
    func startReconnecting() {
        eventLoop.assertInEventLoop()
        attempt()
    }

    private func connect() -> EventLoopFuture<Void> {
        phase = .connecting
        let publishing = RedisConnection.connect(host: host, port: port, options: options, on: eventLoop)
        return publishing.flatMap { publisher in
            RedisConnection.connect(host: self.host, port: self.port, options: self.options, on: self.eventLoop).map { (publisher, $0) }
                .flatMapError { error in
                    publisher.close()
                    return self.eventLoop.makeFailedFuture(error)
                }
        }.flatMapThrowing { publisher, subscriber in
            guard case .connecting = self.phase else {
                // Closed while connecting.
                publisher.close()
                subscriber.close()
                throw RedisError(.connectionLost, "the backplane was shut down")
            }
            self.up(publisher: publisher, subscriber: subscriber)
        }
    }

    private func attempt() {
        connect().whenFailure { error in
            guard case .connecting = self.phase else { return }
            self.failedAttempts += 1
            // The first failure in a row at warning; the next ones at debug, not a line per second.
            self.logger.log(level: self.failedAttempts == 1 ? .warning : .debug, "Redis unreachable; retrying",
                            metadata: ["redis": "\(self.address)", "reason": "\(error)", "attempt": "\(self.failedAttempts)"])
            self.onFailure?(self)
            self.scheduleAttempt()
        }
    }

    private func scheduleAttempt() {
        let base = configuration.reconnectDelay * Int(1 << min(failedAttempts, 16))
        let capped = min(base, configuration.maxReconnectDelay)
        // Jitter: anywhere in the upper half, so that nodes that lost Redis together do not
        // all come back in the same millisecond.
        let nanoseconds = max(TimeAmount(capped).nanoseconds, 2)
        let delay = TimeAmount.nanoseconds(Int64.random(in: (nanoseconds / 2)...nanoseconds))
        phase = .waiting(eventLoop.scheduleTask(in: delay) { self.attempt() })
    }

    private func up(publisher: RedisConnection, subscriber: RedisConnection) {
        self.publisher = publisher
        self.subscriber = subscriber
        publisher.handler.onIgnoredError = { [unowned self] text in onRejected?(text, self) }
        publisher.handler.onWritabilityChanged = { [unowned self] writable in
            queue.withLock { $0.writable = writable }
            if writable { flush() }
        }
        publisher.handler.onClose = { [unowned self] error in lost(error) }
        subscriber.handler.mode = .subscriber
        subscriber.handler.onPush = { [unowned self] reply in onPush?(reply, self) }
        subscriber.handler.onClose = { [unowned self] error in lost(error) }
        phase = .up
        counters.connectionsChanged(by: 2)
        // Counted before publishes go through again, so that what a publish shows, the count shows.
        if let lostAt {
            counters.reconnected()
            logger.info("reconnected to Redis", metadata: [
                "redis": "\(address)", "after": "\(lostAt.duration(to: .now))", "topics": "\(topics.count)",
            ])
        }
        lostAt = nil
        queue.withLock { queue in
            queue.isUp = true
            queue.writable = publisher.channel.isWritable
        }
        failedAttempts = 0
        // Every topic again, in commands of at most 256 names.
        let names = Array(topics)
        var commands = ByteBuffer()
        do {
            for start in stride(from: 0, to: names.count, by: 256) {
                try RESPCommand.append([verbs.subscribe] + names[start..<min(start + 256, names.count)], to: &commands)
            }
        } catch {
            return lost(error)
        }
        if commands.readableBytes > 0 { subscriber.send(commands, ignoredReplies: 0) }
    }

    /// A connection ended: both go, publishes are dropped until they are back.
    private func lost(_ error: RedisError) {
        guard case .up = phase else { return }
        let dropped = queue.withLock { queue in
            queue.isUp = false
            let dropped = queue.commands
            queue.pending = ByteBuffer()
            queue.commands = 0
            return dropped
        }
        if dropped > 0 { counters.dropped(.disconnected, count: dropped) }
        counters.connectionsChanged(by: -2)
        for connection in [publisher, subscriber].compactMap({ $0 }) {
            connection.handler.onClose = nil
            connection.close()
        }
        publisher = nil
        subscriber = nil
        lostAt = .now
        logger.warning("lost Redis; publishes are dropped until it is back", metadata: ["redis": "\(address)", "reason": "\(error)"])
        onFailure?(self)
        phase = .connecting
        failedAttempts = 0
        scheduleAttempt()
    }

    /// Closes the link for good.
    func close() {
        eventLoop.assertInEventLoop()
        if case .waiting(let scheduled) = phase { scheduled.cancel() }
        let wasUp: Bool
        if case .up = phase { wasUp = true } else { wasUp = false }
        phase = .closed
        queue.withLock { $0.isUp = false }
        if wasUp { counters.connectionsChanged(by: -2) }
        for connection in [publisher, subscriber].compactMap({ $0 }) {
            connection.handler.onClose = nil
            connection.close()
        }
        publisher = nil
        subscriber = nil
    }

    /// A command on the publishing connection, for the backplane's own questions (CLUSTER SLOTS).
    func request(_ arguments: [String]) -> EventLoopFuture<RESPValue>? {
        guard case .up = phase else { return nil }
        return publisher?.request(arguments)
    }
}
