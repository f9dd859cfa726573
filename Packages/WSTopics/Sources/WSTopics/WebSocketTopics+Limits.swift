extension WebSocketTopics {
    /// The bounds on names, subscriptions and messages, each refused with a ``TopicError``.
    public struct Limits: Sendable, Hashable {
        /// The longest topic name, in UTF-8 bytes. Default 256.
        public var maxTopicBytes: Int
        /// The most topics one connection may be subscribed to. Default 64.
        public var maxTopicsPerConnection: Int
        /// The longest message a publish takes, in bytes; the same bound holds for what other
        /// nodes send. Default 1 MiB.
        public var maxMessageBytes: Int

        /// Limits with the defaults, or with the values given.
        public init(maxTopicBytes: Int = 256, maxTopicsPerConnection: Int = 64, maxMessageBytes: Int = 1 << 20) {
            self.maxTopicBytes = maxTopicBytes
            self.maxTopicsPerConnection = maxTopicsPerConnection
            self.maxMessageBytes = maxMessageBytes
        }
    }

    /// Where a publish goes.
    public enum Reach: Sendable, Hashable {
        /// To the subscribers on every node: this one at once, the others through the backplane.
        case everyNode
        /// To this node's subscribers only (a node's own figures, say).
        case thisNode
    }

    /// What the topics have done since they were made.
    public struct Statistics: Sendable, Hashable {
        /// Messages queued to a subscriber's socket.
        public var delivered = 0
        /// Messages a slow subscriber missed (`WebSocketGroup.SlowMemberPolicy.skipMessage`).
        public var skipped = 0
        /// Subscribers closed as slow (`WebSocketGroup.SlowMemberPolicy.close`).
        public var closedAsSlow = 0
        /// Publishes handed to the backplane.
        public var sentToBackplane = 0
        /// Messages from other nodes.
        public var receivedFromBackplane = 0
    }

    /// Checks a topic's name as a subscription and a publish do: against the limits and the
    /// `knownTopic` rule. A server refuses a request for a topic with it before the upgrade.
    ///
    /// - Throws: ``TopicError`` (``TopicError/Kind/invalidName`` or ``TopicError/Kind/unknownTopic``).
    public func check(topicName topic: String) throws(TopicError) {
        let bytes = topic.utf8.count
        guard bytes > 0 else { throw TopicError(.invalidName, "a topic name cannot be empty") }
        guard bytes <= limits.maxTopicBytes else {
            throw TopicError(.invalidName, "topic name of \(bytes) bytes is over the limit of \(limits.maxTopicBytes)")
        }
        if let knownTopic, !knownTopic(topic) { throw TopicError(.unknownTopic, "unknown topic \"\(topic)\"") }
    }

    /// Checks a message's length against the limit.
    func check(messageBytes count: Int, topic: String) throws(TopicError) {
        guard count <= limits.maxMessageBytes else {
            throw TopicError(.messageTooLarge, "a message of \(count) bytes to \"\(topic)\" is over the limit of \(limits.maxMessageBytes)")
        }
    }
}
