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
