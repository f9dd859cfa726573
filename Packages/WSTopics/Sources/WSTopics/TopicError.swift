/// Why the topics refused a subscription or a publish: said in words a user can act on.
public struct TopicError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: Sendable, Hashable {
        /// The name is empty, or longer than ``WebSocketTopics/Limits/maxTopicBytes``.
        case invalidName
        /// The topics' `knownTopic` rule does not know the name.
        case unknownTopic
        /// The connection is already in ``WebSocketTopics/Limits/maxTopicsPerConnection`` topics.
        case tooManyTopics
        /// The message is longer than ``WebSocketTopics/Limits/maxMessageBytes``.
        case messageTooLarge
    }

    /// What was wrong.
    public let kind: Kind
    /// What was wrong, with the name and the limit: `topic name of 300 bytes is over the limit of 256`.
    public let message: String

    /// A refusal of `kind`, explained by `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
