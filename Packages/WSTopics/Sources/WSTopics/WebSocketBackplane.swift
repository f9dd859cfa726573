/// What carries a topic's messages between nodes: Redis pub/sub (WSRedis's `RedisBackplane`),
/// NATS, Postgres' NOTIFY, or the process itself (``InProcessBus``).
///
/// ``WebSocketTopics`` drives it: it calls ``subscribe(_:)`` when a topic gets its first
/// subscriber on this node and ``unsubscribe(_:)`` when the last one leaves, ``publish(_:)``
/// for every publish that reaches every node, and hands what other nodes published to the
/// receiver given to ``start(as:receiving:)``.
///
/// What a backplane promises, and what one of your own must do:
/// - **Never wait.** Every method returns at once and never throws. The topics call them with
///   their lock held, in the order things happened, so a backplane must not call back into
///   the topics from them (hand the work to its own event loop or queue).
/// - **At most once.** A message is delivered once or not at all. What cannot be sent (the
///   engine is unreachable, or slower than the publishers beyond the backplane's bound) is
///   dropped, counted and logged: never queued without bound, never retried into a duplicate.
/// - **In order per publisher per topic.** Two messages one node publishes to one topic
///   arrive at every node in the order published.
/// - **Its own recovery.** After a reconnect it subscribes again to every topic it was told to,
///   with no call from the topics.
/// - **Its own echo is fine.** It may hand a node its own publishes back (Redis does): the
///   topics drop those by ``BackplaneMessage/origin``. A backplane that can tell them apart
///   sooner (before decoding them) may drop them itself.
public protocol WebSocketBackplane: Sendable {
    /// Sets where messages from other nodes go: called once, by the ``WebSocketTopics`` made
    /// with this backplane, before any other call. `receiver` may be called on any thread.
    ///
    /// - Parameters:
    ///   - node: the topics' node: what it publishes carries this origin.
    ///   - receiver: where messages from other nodes go.
    func start(as node: NodeID, receiving receiver: @escaping @Sendable (BackplaneMessage) -> Void)
    /// Begins receiving `topic`'s messages: this node has a subscriber of it now.
    func subscribe(_ topic: String)
    /// Stops receiving `topic`'s messages: its last subscriber on this node left.
    func unsubscribe(_ topic: String)
    /// Sends `message` to every node subscribed to its topic, without waiting.
    func publish(_ message: BackplaneMessage)
}
