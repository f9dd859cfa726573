import Synchronization

/// A backplane within one process: several ``WebSocketTopics`` (several servers in one
/// process, or a test's nodes) share its topics as nodes on Redis would, with the same
/// semantics, and no network between them.
///
/// ```swift
/// let bus = InProcessBus()
/// let a = WebSocketTopics(backplane: bus.backplane())
/// let b = WebSocketTopics(backplane: bus.backplane())   // a publish on a reaches b's subscribers
/// ```
///
/// ``isConnected`` plays an engine that has gone away: while it is `false`, publishes are
/// dropped and counted in ``dropped``, as a backplane must.
public final class InProcessBus: Sendable {
    private let state = Mutex(BusState())

    /// A bus with no nodes.
    public init() {}

    /// A backplane for one more node on this bus.
    public func backplane() -> Backplane { Backplane(bus: self) }

    /// Whether publishes go through; `false` drops them, as an unreachable engine would.
    public var isConnected: Bool {
        get { state.withLock { $0.isConnected } }
        set { state.withLock { $0.isConnected = newValue } }
    }

    /// The publishes dropped while not connected.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// The topics each node is subscribed to, by node: what the topics told their backplanes.
    public var subscriptions: [[String]] {
        state.withLock { state in state.nodes.values.map { $0.topics.sorted() } }
    }

    /// One node's end of the bus.
    public final class Backplane: WebSocketBackplane {
        let bus: InProcessBus
        init(bus: InProcessBus) { self.bus = bus }

        public func start(as node: NodeID, receiving receiver: @escaping @Sendable (BackplaneMessage) -> Void) {
            bus.state.withLock { $0.nodes[ObjectIdentifier(self)] = Node(receiver: BackplaneReceiver(receiver)) }
        }

        public func subscribe(_ topic: String) {
            bus.state.withLock { _ = $0.nodes[ObjectIdentifier(self)]?.topics.insert(topic) }
        }

        public func unsubscribe(_ topic: String) {
            bus.state.withLock { _ = $0.nodes[ObjectIdentifier(self)]?.topics.remove(topic) }
        }

        /// Hands `message` to every node subscribed to its topic, this one included (as Redis
        /// does), outside the bus's lock and in the caller's order.
        public func publish(_ message: BackplaneMessage) {
            let receivers: [BackplaneReceiver] = bus.state.withLock { state in
                guard state.isConnected else {
                    state.dropped += 1
                    return []
                }
                return state.nodes.values.filter { $0.topics.contains(message.topic) }.map(\.receiver)
            }
            for receiver in receivers { receiver.deliver(message) }
        }
    }
}

private struct Node {
    var receiver: BackplaneReceiver
    var topics: Set<String> = []
}

private struct BusState {
    var nodes: [ObjectIdentifier: Node] = [:]
    var isConnected = true
    var dropped = 0
}
