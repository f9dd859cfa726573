/// A message on its way between nodes: a topic, the node that published it, and the message
/// framed once (so that the receiving node copies one frame to each of its subscribers).
public struct BackplaneMessage: Sendable {
    /// The topic it was published to.
    public var topic: String
    /// The node that published it.
    public var origin: NodeID
    /// The message, framed for this node's subscribers.
    public var message: PreparedMessage

    /// A message of `origin`'s to `topic`.
    public init(topic: String, origin: NodeID, message: PreparedMessage) {
        self.topic = topic
        self.origin = origin
        self.message = message
    }
}

/// Where a backplane hands the messages of other nodes: the closure of
/// ``WebSocketBackplane/start(as:receiving:)``, in a box. Kept in a class and read as a
/// reference, because reading a closure back out of a lock's generic storage wraps it in one
/// more reabstraction thunk each time (swiftlang/swift#91348): a receiver read per message
/// would get slower with every message.
public final class BackplaneReceiver: Sendable {
    /// The closure.
    public let deliver: @Sendable (BackplaneMessage) -> Void

    /// A box for `deliver`.
    public init(_ deliver: @escaping @Sendable (BackplaneMessage) -> Void) { self.deliver = deliver }
}
