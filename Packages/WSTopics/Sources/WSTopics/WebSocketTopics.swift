import CoreMetrics
import NIOCore
import Synchronization
@_spi(WSInternal) import WSHTTP

/// Named topics that connections subscribe to, and publishes that reach every subscriber:
/// on this node at once, and on every other node through a ``WebSocketBackplane`` (Redis
/// with WSRedis), so that a room spans every server behind a load balancer.
///
/// ```swift
/// let topics = WebSocketTopics(backplane: try await RedisBackplane.connect(to: "redis://127.0.0.1:6379"))
/// // in the server's upgraded handler:
/// try topics.subscribe(webSocket, to: "room:42")        // it leaves by itself when it closes
/// for await message in webSocket.messages {
///     try topics.publish(message, to: "room:42", except: webSocket.id)
/// }
/// ```
///
/// Delivery on a node is `WebSocketGroup`'s: a publish never waits, the message is framed
/// once (a `PreparedMessage`) and handed to each subscriber's event loop once per loop, and
/// a subscriber whose outbound buffer is over its budget misses the message or is closed with
/// 1008, as the `WebSocketGroup.SlowMemberPolicy` says. So a slow peer costs the others
/// nothing, on any node.
///
/// Across nodes, delivery is at most once, in order per publisher and topic: see
/// ``WebSocketBackplane`` for what each backplane promises. The topics subscribe the
/// backplane to a topic when it gets its first subscriber here and unsubscribe it when the
/// last leaves, so a node receives only what its own connections want.
///
/// Names, subscriptions per connection and message lengths are bounded (``Limits``), and a
/// `knownTopic` rule may say which names exist: what breaks them is refused with a
/// ``TopicError`` that says why.
public final class WebSocketTopics: Sendable {
    /// This node, among all on the backplane.
    public let node: NodeID
    /// What carries publishes to the other nodes; `nil` for one node alone.
    public let backplane: (any WebSocketBackplane)?
    /// The bounds on names, subscriptions and messages.
    public let limits: Limits
    /// What a publish does with a subscriber whose outbound buffer is full.
    public let slowMember: WebSocketGroup.SlowMemberPolicy
    /// What the topics are called in their metrics: the `WebSocketMetrics.Label.group` label.
    public let name: String
    let knownTopic: (@Sendable (String) -> Bool)?
    /// Who is subscribed to what: the one place it is decided.
    private let state = Mutex(State())
    private let counters = Counters()
    /// The subscriptions gauge and the slow-subscriber counters; nil when nothing is recorded.
    private let instruments: (members: Meter, skipped: Counter, closed: Counter)?

    /// Topics, alone or with a backplane.
    ///
    /// - Parameters:
    ///   - backplane: what carries publishes to other nodes; `nil` (the default) keeps them on
    ///     this one. Give one backplane to one topics.
    ///   - limits: the bounds on names, subscriptions and messages.
    ///   - slowMember: what a publish does with a subscriber whose outbound buffer is full
    ///     (default: it misses the message).
    ///   - name: the topics' name in their metrics (`WebSocketMetrics.Name.groupMembers`
    ///     counts subscriptions, `WebSocketMetrics.Name.groupSlowMembers` the slow ones);
    ///     default `topics`.
    ///   - metrics: where they are recorded; by default the bootstrapped backend.
    ///   - knownTopic: which names exist; `nil` (the default) takes any name within the
    ///     limits. A name it refuses is a ``TopicError/Kind/unknownTopic``.
    public init(
        backplane: (any WebSocketBackplane)? = nil, limits: Limits = Limits(),
        slowMember: WebSocketGroup.SlowMemberPolicy = .skipMessage, name: String = "topics",
        metrics: WebSocketMetrics = .system, knownTopic: (@Sendable (String) -> Bool)? = nil
    ) {
        node = .random()
        self.backplane = backplane
        self.limits = limits
        self.slowMember = slowMember
        self.name = name
        self.knownTopic = knownTopic
        instruments = metrics.resolved.map { all in
            typealias Label = WebSocketMetrics.Label
            let group = (Label.group, name)
            return (members: all.meter(WebSocketMetrics.Name.groupMembers, [group]),
                    skipped: all.counter(WebSocketMetrics.Name.groupSlowMembers, [group, (Label.slowMemberAction, "skipped")]),
                    closed: all.counter(WebSocketMetrics.Name.groupSlowMembers, [group, (Label.slowMemberAction, "closed")]))
        }
        backplane?.start(as: node) { [weak self] message in self?.receive(message) }
    }

    // MARK: Subscriptions

    /// Subscribes `webSocket` to `topic`, until it closes or unsubscribes. Subscribing twice
    /// changes nothing; a WebSocket that has begun to close is let go again at once.
    ///
    /// - Throws: ``TopicError`` for a name that is empty, too long or unknown, or when the
    ///   connection is in ``Limits/maxTopicsPerConnection`` topics already.
    public func subscribe(_ webSocket: WebSocket, to topic: String) throws(TopicError) {
        guard let table = try admit(webSocket.id, eventLoop: webSocket.channel.eventLoop, to: topic) else { return }
        let id = webSocket.id
        webSocket.onEventLoop { [self] member in join(member, topic: topic, table: table, id: id) }
    }

    /// Subscribes a connection from its event loop (one of its callbacks, or
    /// `WebSocket.onEventLoop(_:)`): at once.
    ///
    /// - Throws: ``TopicError`` as ``subscribe(_:to:)-(WebSocket,_)`` does.
    public func subscribe(_ webSocket: WebSocket.OnLoop, to topic: String) throws(TopicError) {
        guard let table = try admit(webSocket.id, eventLoop: webSocket.eventLoop, to: topic) else { return }
        join(webSocket, topic: topic, table: table, id: webSocket.id)
    }

    /// Ends `webSocket`'s subscription to `topic`; it stays open.
    ///
    /// - Returns: whether it was subscribed.
    @discardableResult
    public func unsubscribe(_ webSocket: WebSocket, from topic: String) -> Bool {
        guard let table = release(webSocket.id, from: [topic], eventLoop: webSocket.channel.eventLoop) else { return false }
        let id = webSocket.id
        table.eventLoop.execute { table.remove(id, from: topic) }
        return true
    }

    /// Ends a connection's subscription to `topic` from its event loop: at once.
    ///
    /// - Returns: whether it was subscribed.
    @discardableResult
    public func unsubscribe(_ webSocket: WebSocket.OnLoop, from topic: String) -> Bool {
        guard let table = release(webSocket.id, from: [topic], eventLoop: webSocket.eventLoop) else { return false }
        table.remove(webSocket.id, from: topic)
        return true
    }

    /// The topics `id` is subscribed to.
    public func topics(of id: WebSocket.ID) -> Set<String> {
        state.withLock { $0.connections[id] ?? [] }
    }

    /// The subscribers of `topic` on this node.
    public func subscriberCount(of topic: String) -> Int {
        state.withLock { $0.topics[topic]?.count ?? 0 }
    }

    /// The topics with a subscriber on this node.
    public var activeTopics: Set<String> {
        state.withLock { Set($0.topics.keys) }
    }

    /// What the topics have done so far.
    public var statistics: Statistics { counters.statistics }

    // MARK: Publishing

    /// Publishes `message` to every subscriber of `topic` but `except`, without waiting.
    ///
    /// - Parameters:
    ///   - message: the text or binary message.
    ///   - topic: the topic; nobody need be subscribed.
    ///   - except: a connection that does not get it (its sender, say).
    ///   - reach: every node (the default), or this one only.
    ///   - compress: `false` sends it uncompressed to subscribers that negotiated permessage-deflate.
    /// - Throws: ``TopicError`` for a name that is empty, too long or unknown, or a message
    ///   over ``Limits/maxMessageBytes``; nothing is sent then.
    public func publish(
        _ message: WebSocketMessage, to topic: String, except: WebSocket.ID? = nil, reach: Reach = .everyNode, compress: Bool = true
    ) throws(TopicError) {
        try message.withUnsafeBytes { (kind, bytes) throws(TopicError) in
            try publish(kind, bytes: bytes, to: topic, except: except, reach: reach, compress: compress)
        }
    }

    /// Publishes a message from its bytes (a message lent to an event-loop handler, say): they
    /// are framed once, before this returns.
    ///
    /// - Throws: ``TopicError`` as ``publish(_:to:except:reach:compress:)-(WebSocketMessage,_,_,_,_)`` does.
    public func publish(
        _ kind: MessageKind, bytes: UnsafeRawBufferPointer, to topic: String, except: WebSocket.ID? = nil,
        reach: Reach = .everyNode, compress: Bool = true
    ) throws(TopicError) {
        try check(topicName: topic)
        try check(messageBytes: bytes.count, topic: topic)
        send(PreparedMessage(kind, payload: bytes), to: topic, except: except, reach: reach, compress: compress)
    }

    /// Publishes a message lent to an event-loop handler, framed once before this returns.
    ///
    /// - Throws: ``TopicError`` as ``publish(_:to:except:reach:compress:)-(WebSocketMessage,_,_,_,_)`` does.
    public func publish(
        _ message: WebSocket.LentMessage, to topic: String, except: WebSocket.ID? = nil, reach: Reach = .everyNode, compress: Bool = true
    ) throws(TopicError) {
        let kind = message.kind
        try message.withUnsafeBytes { (bytes) throws(TopicError) in
            try publish(kind, bytes: bytes, to: topic, except: except, reach: reach, compress: compress)
        }
    }

    /// Publishes a message framed once already.
    ///
    /// - Throws: ``TopicError`` as ``publish(_:to:except:reach:compress:)-(WebSocketMessage,_,_,_,_)`` does.
    public func publish(
        _ message: PreparedMessage, to topic: String, except: WebSocket.ID? = nil, reach: Reach = .everyNode, compress: Bool = true
    ) throws(TopicError) {
        try check(topicName: topic)
        try check(messageBytes: message.payloadCount, topic: topic)
        send(message, to: topic, except: except, reach: reach, compress: compress)
    }

    /// Hands the message to each event loop with subscribers, then to the backplane.
    private func send(_ message: PreparedMessage, to topic: String, except: WebSocket.ID?, reach: Reach, compress: Bool) {
        deliverLocally(message, to: topic, except: except, compress: compress)
        guard reach == .everyNode, let backplane else { return }
        backplane.publish(BackplaneMessage(topic: topic, origin: node, message: message))
        counters.sentToBackplane.add(1, ordering: .relaxed)
    }

    /// A message from the backplane: this node's own come back and are dropped (they were
    /// delivered here when published); the others' go to the subscribers here.
    private func receive(_ message: BackplaneMessage) {
        guard message.origin != node else { return }
        counters.receivedFromBackplane.add(1, ordering: .relaxed)
        deliverLocally(message.message, to: message.topic, except: nil, compress: true)
    }

    private func deliverLocally(_ message: PreparedMessage, to topic: String, except: WebSocket.ID?, compress: Bool) {
        guard let tables = state.withLock({ $0.topics[topic]?.tables }) else { return }
        for table in tables {
            table.eventLoop.execute { [self] in deliver(message, on: table, to: topic, except: except, compress: compress) }
        }
    }

    /// On the subscribers' event loop: sends to each one that is open and takes more, with
    /// `WebSocketGroup`'s policy. Those closed as slow leave every topic as the close completes.
    private func deliver(_ message: PreparedMessage, on table: LoopTable, to topic: String, except: WebSocket.ID?, compress: Bool) {
        guard let members = table.members[topic] else { return }
        let delivery = slowMember.deliver(message, to: members.values, except: except, compress: compress)
        if delivery.sent > 0 { counters.delivered.add(delivery.sent, ordering: .relaxed) }
        if delivery.skipped > 0 {
            counters.skipped.add(delivery.skipped, ordering: .relaxed)
            instruments?.skipped.increment(by: delivery.skipped)
        }
        if !delivery.closed.isEmpty {
            counters.closedAsSlow.add(delivery.closed.count, ordering: .relaxed)
            instruments?.closed.increment(by: delivery.closed.count)
        }
    }

    // MARK: The bookkeeping

    /// Records a subscription, under the lock, and subscribes the backplane to a topic new
    /// to this node. Returns the table of the connection's event loop, or nil when it was
    /// subscribed already.
    private func admit(_ id: WebSocket.ID, eventLoop: any EventLoop, to topic: String) throws(TopicError) -> LoopTable? {
        try check(topicName: topic)
        let limit = limits.maxTopicsPerConnection
        let result: Result<LoopTable?, TopicError> = state.withLock { state in
            let topics = state.connections[id] ?? []
            if topics.contains(topic) { return .success(nil) }
            guard topics.count < limit else {
                return .failure(TopicError(.tooManyTopics, "the connection is in \(limit) topics already, the limit"))
            }
            state.connections[id, default: []].insert(topic)
            let table = state.table(for: eventLoop)
            let isNew = state.topics[topic] == nil
            state.topics[topic, default: TopicEntry()].add(table)
            // Under the lock, so that the backplane hears of a topic's first and last
            // subscribers in the order they came and went.
            if isNew { backplane?.subscribe(topic) }
            return .success(table)
        }
        let table = try result.get()
        if table != nil { instruments?.members.increment() }
        return table
    }

    /// Forgets `id`'s subscriptions to `topics`, under the lock, and unsubscribes the
    /// backplane from those it was the last subscriber of here. Returns the connection's
    /// table, or nil when it was in none of them.
    private func release(_ id: WebSocket.ID, from topics: Set<String>, eventLoop: any EventLoop) -> LoopTable? {
        let (table, released): (LoopTable?, Int) = state.withLock { state in
            guard var subscribed = state.connections[id] else { return (nil, 0) }
            let leaving = subscribed.intersection(topics)
            guard !leaving.isEmpty else { return (nil, 0) }
            subscribed.subtract(leaving)
            state.connections[id] = subscribed.isEmpty ? nil : subscribed
            let table = state.table(for: eventLoop)
            for topic in leaving {
                guard var entry = state.topics[topic] else { continue }
                entry.remove(table)
                if entry.count == 0 {
                    state.topics[topic] = nil
                    backplane?.unsubscribe(topic)
                } else {
                    state.topics[topic] = entry
                }
            }
            return (table, leaving.count)
        }
        if released > 0 { instruments?.members.decrement(by: Double(released)) }
        return table
    }

    /// On the connection's event loop: puts it in the topic's table, and makes sure it
    /// leaves all its topics when it closes.
    private func join(_ member: WebSocket.OnLoop, topic: String, table: LoopTable, id: WebSocket.ID) {
        // An unsubscribe may have come between the admission and this.
        guard state.withLock({ $0.connections[id]?.contains(topic) ?? false }) else { return }
        table.members[topic, default: [:]][id] = member
        guard table.watched.insert(id).inserted else { return }
        let eventLoop = member.eventLoop
        member.whenClosed { [weak self] _ in
            table.watched.remove(id)
            guard let self else { return }
            let topics = self.topics(of: id)
            _ = self.release(id, from: topics, eventLoop: eventLoop)
            for topic in topics { table.remove(id, from: topic) }
        }
    }
}

/// Who is subscribed to what, under the topics' lock.
private struct State {
    /// Each topic with subscribers here: the tables of the event loops they are on.
    var topics: [String: TopicEntry] = [:]
    /// Each subscribed connection's topics.
    var connections: [WebSocket.ID: Set<String>] = [:]
    /// Each event loop's table, made on first use.
    var tables: [ObjectIdentifier: LoopTable] = [:]

    mutating func table(for eventLoop: any EventLoop) -> LoopTable {
        let key = ObjectIdentifier(eventLoop)
        if let table = tables[key] { return table }
        let table = LoopTable(eventLoop)
        tables[key] = table
        return table
    }
}

/// A topic's subscribers here, counted per event loop.
private struct TopicEntry {
    private var loops: [ObjectIdentifier: (table: LoopTable, count: Int)] = [:]
    private(set) var count = 0

    /// The tables to deliver to: one per event loop with a subscriber.
    var tables: [LoopTable] { loops.values.map(\.table) }

    mutating func add(_ table: LoopTable) {
        loops[ObjectIdentifier(table), default: (table, 0)].count += 1
        count += 1
    }

    mutating func remove(_ table: LoopTable) {
        let key = ObjectIdentifier(table)
        guard let entry = loops[key] else { return }
        loops[key] = entry.count > 1 ? (table, entry.count - 1) : nil
        count -= 1
    }
}

/// The subscribers on one event loop. `@unchecked Sendable`: `members` and `watched` are read
/// and changed only on `eventLoop`, the one loop where their `WebSocket.OnLoop` values may be used.
final class LoopTable: @unchecked Sendable {
    let eventLoop: any EventLoop
    /// Each topic's subscribers on this loop.
    var members: [String: [WebSocket.ID: WebSocket.OnLoop]] = [:]
    /// The connections whose close is watched already.
    var watched: Set<WebSocket.ID> = []

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func remove(_ id: WebSocket.ID, from topic: String) {
        guard members[topic]?.removeValue(forKey: id) != nil else { return }
        if members[topic]?.isEmpty == true { members[topic] = nil }
    }
}

/// The statistics' counters.
private final class Counters: Sendable {
    let delivered = Atomic<Int>(0)
    let skipped = Atomic<Int>(0)
    let closedAsSlow = Atomic<Int>(0)
    let sentToBackplane = Atomic<Int>(0)
    let receivedFromBackplane = Atomic<Int>(0)

    var statistics: WebSocketTopics.Statistics {
        .init(delivered: delivered.load(ordering: .relaxed), skipped: skipped.load(ordering: .relaxed),
              closedAsSlow: closedAsSlow.load(ordering: .relaxed), sentToBackplane: sentToBackplane.load(ordering: .relaxed),
              receivedFromBackplane: receivedFromBackplane.load(ordering: .relaxed))
    }
}
