import CHiredis
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization
public import WSTopics
import WSTLS

/// WSTopics' backplane on Redis: topics that span every node connected to one Redis (pub/sub)
/// or one Redis Cluster (sharded pub/sub).
///
/// ```swift
/// let redis = try await RedisBackplane.connect(to: "redis://127.0.0.1:6379")
/// let topics = WebSocketTopics(backplane: redis)
/// ```
///
/// Each Redis node gets two connections from each of our nodes, whatever the number of topics:
/// one publishes (pipelined: the publishes of one event-loop turn go in one write) and one is
/// subscribed to the topics that have subscribers here (subscribed with the first, unsubscribed
/// with the last). On a Redis Cluster, each topic lives on the master of its hash slot
/// (SPUBLISH and SSUBSCRIBE there), a `MOVED` reply or a lost master reads the slots again,
/// and a `{hash tag}` in topic names keeps related topics on one master.
///
/// **Semantics.**
/// - At most once: Redis pub/sub keeps nothing. A publish made while the topic's Redis node is
///   unreachable is dropped (``Statistics/droppedDisconnected``, the `disconnected` reason of
///   the `websocket.backplane.dropped` metric, and a warning in the log when the connection
///   is lost); so is one made while more than ``Configuration/maxPendingBytes`` wait for the
///   socket (`over_limit`). What other nodes publish while our subscriber is away is lost.
/// - In order per publisher and topic: one node's publishes to a topic go in order on one
///   connection, and Redis delivers them in that order.
/// - Recovery on its own: a lost connection is reopened with exponential backoff and jitter
///   (50 ms doubling to 1 s by default), every topic is subscribed again, and
///   ``Statistics/reconnects`` counts it. Delivery resumes within about a second of Redis
///   being back.
///
/// ``connect(to:configuration:logger:eventLoopGroup:)-(String,_,_,_)`` fails at once, with the address and
/// the reason, when Redis is unreachable or refuses the credentials; only later losses are
/// retried. The backplane is a swift-service-lifecycle `Service` (its ``run()`` closes it at
/// graceful shutdown), or call ``shutdown()``.
public final class RedisBackplane: WebSocketBackplane, Service, @unchecked Sendable {
    // @unchecked: the `var`s are used on `eventLoop` only; `routing` and `receiver` are locked.
    /// Where Redis is (the first node, for a cluster).
    public let url: RedisURL
    /// Whether it is a Redis Cluster, using sharded pub/sub.
    public let isCluster: Bool
    /// How it talks to Redis.
    public let configuration: Configuration
    /// The event loop the backplane's connections run on.
    public let eventLoop: any EventLoop
    private let logger: Logger
    private let options: RedisConnection.Options
    private let counters: RedisCounters
    private let routing: Mutex<Routing>
    /// Where messages go, and the node whose own publishes come back from Redis.
    private let receiver = Mutex<(node: NodeID, receiver: BackplaneReceiver)?>(nil)

    // On the event loop:
    /// Every topic this node is subscribed to, and (on a cluster) the link it is subscribed on.
    private var topics: [String: RedisLink] = [:]
    private var refresh = Refresh.idle
    private var isClosed = false

    private enum Refresh { case idle, running, again }

    /// The Redis nodes, and (on a cluster) which one owns each slot.
    private struct Routing {
        var links: [RedisLink]
        var slots: RedisClusterSlots?

        func link(for topic: String) -> RedisLink? {
            guard let slots else { return links.first }
            return slots.master(of: topic).map { links[$0] }
        }
    }

    private init(url: RedisURL, isCluster: Bool, configuration: Configuration, options: RedisConnection.Options,
                 eventLoop: any EventLoop, logger: Logger, counters: RedisCounters) {
        self.url = url
        self.isCluster = isCluster
        self.configuration = configuration
        self.options = options
        self.eventLoop = eventLoop
        self.logger = logger
        self.counters = counters
        routing = Mutex(Routing(links: [], slots: nil))
    }

    /// Connects to Redis at `url` (`redis://[[user]:password@]host[:port]`, or `rediss://` for
    /// TLS), and to every master when it is a Redis Cluster.
    ///
    /// - Parameters:
    ///   - url: where Redis is.
    ///   - configuration: TLS, timeouts, bounds, metrics.
    ///   - logger: where connections lost and found are logged.
    ///   - eventLoopGroup: where the connections run; one of its loops carries them all.
    /// - Throws: ``RedisError`` saying what to check: the URL, the address and why it could not
    ///   be reached, TLS, or the credentials.
    public static func connect(
        to url: String, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "WSRedis"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(RedisError) -> RedisBackplane {
        try await connect(to: try RedisURL(url), configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup)
    }

    /// Connects to Redis at `url`: see ``connect(to:configuration:logger:eventLoopGroup:)-(String,_,_,_)``.
    public static func connect(
        to url: RedisURL, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "WSRedis"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(RedisError) -> RedisBackplane {
        var tls: TLSClientContext?
        if url.tls {
            do {
                tls = try TLSClientContext(configuration.tls, logger: logger)
            } catch {
                throw RedisError(.tls, "the TLS configuration for \(url) is not usable: \(error)")
            }
        }
        let options = RedisConnection.Options(
            tls: tls, username: url.username, password: url.password, connectTimeout: configuration.connectTimeout,
            // A reply may carry a message and its envelope; more than that is not ours.
            maxReplyBytes: configuration.maxMessageBytes + 64 << 10, writeBufferHighWater: 1 << 20)
        let eventLoop = eventLoopGroup.any()
        let counters = RedisCounters(metrics: configuration.metrics)
        do {
            return try await start(url: url, configuration: configuration, options: options, eventLoop: eventLoop,
                                   logger: logger, counters: counters).get()
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.connectionLost, "Redis at \(url.address): \(error)")
        }
    }

    /// Asks the first node whether it is a cluster, then opens the links.
    private static func start(url: RedisURL, configuration: Configuration, options: RedisConnection.Options,
                              eventLoop: any EventLoop, logger: Logger, counters: RedisCounters) -> EventLoopFuture<RedisBackplane> {
        RedisConnection.connect(host: url.host, port: url.port, options: options, on: eventLoop).flatMap { probe in
            let asked: EventLoopFuture<RedisClusterSlots?>
            switch configuration.mode {
            case .standalone: asked = eventLoop.makeSucceededFuture(nil)
            case .automatic, .cluster:
                asked = probe.request(["CLUSTER", "SLOTS"]).flatMapThrowing { reply in
                    if case .error(let text) = reply {
                        guard configuration.mode == .automatic, text.contains("cluster support disabled") else {
                            throw RedisError(.replied, "Redis at \(url.address) is not a usable cluster: \(text)")
                        }
                        return nil
                    }
                    return try RedisClusterSlots(reply)
                }
            }
            return asked.always { _ in probe.close() }
        }.flatMap { slots in
            let backplane = RedisBackplane(url: url, isCluster: slots != nil, configuration: configuration, options: options,
                                           eventLoop: eventLoop, logger: logger, counters: counters)
            let links = slots.map { $0.masters.map { backplane.makeLink(host: $0.host, port: $0.port) } }
                ?? [backplane.makeLink(host: url.host, port: url.port)]
            backplane.routing.withLock { $0 = Routing(links: links, slots: slots) }
            return EventLoopFuture.andAllSucceed(links.map { $0.start() }, on: eventLoop).map {
                logger.info("connected to Redis", metadata: [
                    "redis": "\(url)", "mode": "\(slots.map { "cluster of \($0.masters.count) masters" } ?? "standalone")",
                ])
                return backplane
            }.flatMapError { error in
                links.forEach { $0.close() }
                return eventLoop.makeFailedFuture(error)
            }
        }
    }

    private func makeLink(host: String, port: Int) -> RedisLink {
        let link = RedisLink(host: host, port: port, options: options, verbs: isCluster ? .sharded : .plain,
                             configuration: configuration, eventLoop: eventLoop, logger: logger, counters: counters)
        link.onPush = { [unowned self] reply, link in push(reply, from: link) }
        link.onRejected = { [unowned self] text, link in rejected(text, by: link) }
        link.onFailure = { [unowned self] _ in if isCluster { refreshSlots() } }
        return link
    }

    /// What the backplane has done since it connected.
    public var statistics: Statistics { counters.statistics }

    /// Whether every Redis node is connected now.
    public var isConnected: Bool { routing.withLock { $0.links }.allSatisfy(\.isUp) }

    // MARK: WebSocketBackplane

    public func start(as node: NodeID, receiving receiver: @escaping @Sendable (BackplaneMessage) -> Void) {
        let box = BackplaneReceiver(receiver)
        self.receiver.withLock { $0 = (node, box) }
    }

    public func subscribe(_ topic: String) {
        eventLoop.execute { [self] in
            guard !isClosed, topics[topic] == nil, let link = routing.withLock({ $0.link(for: topic) }) else { return }
            topics[topic] = link
            link.subscribe(topic)
        }
    }

    public func unsubscribe(_ topic: String) {
        eventLoop.execute { [self] in
            guard let link = topics.removeValue(forKey: topic) else { return }
            link.unsubscribe(topic)
        }
    }

    public func publish(_ message: BackplaneMessage) {
        guard let link = routing.withLock({ $0.link(for: message.topic) }) else {
            return counters.dropped(.disconnected)
        }
        link.publish(message.topic, envelope: message.envelope())
    }

    // MARK: What comes from Redis, on the event loop

    private func push(_ reply: UnsafePointer<redisReply>, from link: RedisLink) {
        let reply = reply.pointee
        if reply.type == REDIS_REPLY_ERROR {
            let text = RESPValue.string(reply)
            logger.warning("Redis refused a subscription", metadata: ["redis": "\(link.address)", "reply": "\(text)"])
            if isCluster { refreshSlots() }
            return
        }
        guard reply.type == REDIS_REPLY_ARRAY, reply.elements == 3,
              let kind = reply.element[0]?.pointee, let channel = reply.element[1]?.pointee, let payload = reply.element[2]?.pointee else { return }
        switch RESPValue.string(kind) {
        case "message", "smessage":
            guard let (node, receiver) = receiver.withLock({ $0 }) else { return }
            let bytes = RESPValue.bytes(payload)
            // This node's own publish, back from Redis: delivered here when it was published.
            if BackplaneMessage.origin(ofEnvelope: bytes) == node { return }
            let topic = RESPValue.string(channel)
            do {
                let message = try BackplaneMessage(topic: topic, envelope: bytes, maxMessageBytes: configuration.maxMessageBytes)
                counters.received()
                receiver.deliver(message)
            } catch {
                counters.dropped(.malformed)
                logger.debug("not a topic message", metadata: ["topic": "\(topic)", "reason": "\(error)"])
            }
        case "sunsubscribe":
            // Redis unsubscribed us itself: the topic's slot moved to another master.
            let topic = RESPValue.string(channel)
            if topics[topic] === link, link.topics.contains(topic) { refreshSlots() }
        default:
            break // subscribe confirmations
        }
    }

    private func rejected(_ text: String, by link: RedisLink) {
        counters.dropped(.rejected)
        logger.debug("Redis refused a publish", metadata: ["redis": "\(link.address)", "reply": "\(text)"])
        if isCluster, text.hasPrefix("MOVED") || text.hasPrefix("CLUSTERDOWN") { refreshSlots() }
    }

    // MARK: A cluster's slots, on the event loop

    /// Reads the slots again (after a MOVED, a lost master, a slot that moved) and routes
    /// every topic to its master; one refresh at a time, at most one more queued.
    private func refreshSlots() {
        guard isCluster, !isClosed else { return }
        switch refresh {
        case .running, .again: refresh = .again
        case .idle:
            refresh = .running
            askSlots(of: routing.withLock { $0.links })
        }
    }

    /// Asks each node in turn until one answers (the connected ones first, then a new
    /// connection to each known address and the URL's).
    private func askSlots(of links: [RedisLink]) {
        let connected = links.compactMap { link in link.request(["CLUSTER", "SLOTS"]) }
        let fallback = { @Sendable [self] () -> EventLoopFuture<RESPValue> in
            let addresses = links.map { ($0.host, $0.port) } + [(url.host, url.port)]
            return addresses.reduce(eventLoop.makeFailedFuture(RedisError(.connectionLost, "no node answered"))) { earlier, address in
                earlier.flatMapError { _ in
                    RedisConnection.connect(host: address.0, port: address.1, options: self.options, on: self.eventLoop).flatMap { probe in
                        probe.request(["CLUSTER", "SLOTS"]).always { _ in probe.close() }
                    }
                }
            }
        }
        let answer = connected.reduce(eventLoop.makeFailedFuture(RedisError(.connectionLost, "no node is connected"))) { earlier, next in
            earlier.flatMapError { _ in next }
        }.flatMapError { _ in fallback() }
        answer.flatMapThrowing { try RedisClusterSlots($0) }.whenComplete { [self] result in
            switch result {
            case .success(let slots): apply(slots)
            case .failure(let error):
                logger.warning("could not read the cluster's slots; trying again", metadata: ["reason": "\(error)"])
            }
            let again = refresh
            refresh = .idle
            if case .again = again {
                refreshSlots()
            } else if case .failure = result {
                eventLoop.scheduleTask(in: .milliseconds(500)) { self.refreshSlots() }
            }
        }
    }

    /// Routes every topic by the new slots: links for new masters, none for masters gone.
    private func apply(_ slots: RedisClusterSlots) {
        guard !isClosed else { return }
        let old = routing.withLock { $0.links }
        var links: [RedisLink] = []
        for master in slots.masters {
            if let kept = old.first(where: { $0.host == master.host && $0.port == master.port }) {
                links.append(kept)
            } else {
                let link = makeLink(host: master.host, port: master.port)
                links.append(link)
                link.startReconnecting()
            }
        }
        for gone in old where !links.contains(where: { $0 === gone }) { gone.close() }
        routing.withLock { $0 = Routing(links: links, slots: slots) }
        for (topic, current) in topics {
            guard let target = slots.master(of: topic).map({ links[$0] }) else { continue }
            if target !== current || !current.topics.contains(topic) {
                current.unsubscribe(topic)
                target.subscribe(topic)
                topics[topic] = target
            }
        }
        logger.debug("cluster slots read", metadata: ["masters": "\(slots.masters.count)"])
    }

    // MARK: Shutting down

    /// Closes every connection to Redis; publishes after it are dropped.
    public func shutdown() async {
        try? await eventLoop.submit { [self] in
            isClosed = true
            routing.withLock { $0.links }.forEach { $0.close() }
        }.get()
    }

    /// Runs until graceful shutdown, then closes the connections: the backplane as a
    /// swift-service-lifecycle `Service` beside the server.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
