extension WebSocketConnection {
    /// The limits and policies of one connection, with documented defaults.
    public struct Configuration: Sendable, Hashable {
        /// How received data messages are handed out.
        public enum Delivery: Sendable, Hashable {
            /// Each message whole, as ``Event/text(_:)`` or ``Event/binary(_:)``, once its last
            /// frame has arrived.
            case whole
            /// Each message in pieces, as ``Event/fragment(_:)``, as its bytes arrive: for large
            /// messages that should not be held in memory at once.
            case streaming
        }

        /// What happens when a Ping arrives.
        public enum PongPolicy: Sendable, Hashable {
            /// The connection writes the Pong itself, before it reports the Ping (RFC 6455 §5.5.2).
            case automatic
            /// The connection only reports the Ping; the caller must send the Pong.
            case manual
        }

        /// How outbound messages are cut into frames.
        public enum Fragmentation: Sendable, Hashable {
            /// Each message in one frame.
            case never
            /// Messages longer than the given number of bytes go in several frames of at most
            /// that many payload bytes each (RFC 6455 §5.4).
            case framesOfAtMost(Int)
        }

        /// The largest payload of a single received frame; a larger one fails the connection
        /// with 1009 as soon as its header arrives. Default 1 MiB.
        public var maxFrameSize: Int
        /// The largest received message, after any extension decoded it; a larger one fails the
        /// connection with 1009 as soon as its size is known. Default 1 MiB. It applies in
        /// streaming mode too: raise it for large streamed messages.
        public var maxMessageSize: Int
        /// The most frames one received message may come in; one more fails the connection with
        /// 1009 (RFC 6455 §7.4.1: a message too big to process). It bounds a message that never
        /// ends, such as endless empty continuation frames, which the size limit cannot.
        /// Default 100,000 (Autobahn's largest fragmented case takes 65,536).
        public var maxFramesPerMessage: Int
        /// Whole messages (the default) or pieces as they arrive.
        public var delivery: Delivery
        /// Automatic pongs (the default) or manual ones.
        public var pongPolicy: PongPolicy
        /// Outbound fragmentation; default ``Fragmentation/never``.
        public var fragmentation: Fragmentation
        /// When the Close that fails the connection is written; default ``FailurePolicy/immediate``.
        public var failurePolicy: FailurePolicy

        /// When a protocol violation's Close frame is written.
        public enum FailurePolicy: Sendable, Hashable {
            /// With the error: the receive call that throws writes the Close to its replies and
            /// the connection is closed.
            case immediate
            /// When the caller says: the receive call throws and input is ignored from then on,
            /// but the connection stays open for sending until ``WebSocketConnection/completeFailure(into:)``
            /// (or ``WebSocketConnection/sendClose(code:reason:into:)``) writes the Close. A
            /// caller whose messages are handled later (by another task) answers the messages
            /// that came before the violation first, as a peer expects.
            case deferred
        }

        /// Creates a configuration; every parameter has the default described on its property.
        public init(
            maxFrameSize: Int = 1 << 20,
            maxMessageSize: Int = 1 << 20,
            maxFramesPerMessage: Int = 100_000,
            delivery: Delivery = .whole,
            pongPolicy: PongPolicy = .automatic,
            fragmentation: Fragmentation = .never,
            failurePolicy: FailurePolicy = .immediate
        ) {
            self.maxFrameSize = maxFrameSize
            self.maxMessageSize = maxMessageSize
            self.maxFramesPerMessage = maxFramesPerMessage
            self.delivery = delivery
            self.pongPolicy = pongPolicy
            self.fragmentation = fragmentation
            self.failurePolicy = failurePolicy
        }

        /// The defaults: 1 MiB frames and messages, at most 100,000 frames a message, whole messages, automatic pongs, no fragmentation,
        /// immediate failure.
        public static let `default` = Configuration()
    }
}
