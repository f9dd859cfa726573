public import WSFraming
public import NIOCore

/// Per-message callbacks that run on the connection's event loop: the fast path, with no
/// task switch and no allocation per message (a server that must go at the speed of the
/// socket, such as an echo, a relay or a game loop).
///
/// Everything a callback sends through the ``WebSocket/OnLoop`` it is given goes out in one
/// write at the end of the read that delivered the message. Never block in a callback.
public protocol WebSocketEventLoopHandler: AnyObject {
    /// A whole message arrived. It is lent for the call: copy what you keep.
    func webSocket(_ webSocket: WebSocket.OnLoop, didReceive message: WebSocket.LentMessage)
    /// The connection ended; `outcome` says how.
    func webSocketDidClose(_ webSocket: WebSocket.OnLoop, outcome: CloseOutcome)
}

extension WebSocketEventLoopHandler {
    /// Does nothing.
    public func webSocketDidClose(_ webSocket: WebSocket.OnLoop, outcome: CloseOutcome) {}
}

extension WebSocket {
    /// A message lent to a ``WebSocketEventLoopHandler`` for the length of one callback: its
    /// bytes are the read buffer's (or, unmasked, the event loop's unmask buffer, which the
    /// loop's next message overwrites), not a copy. Use it, send it, or copy it with
    /// ``message``; never keep it.
    public struct LentMessage {
        /// Text or binary.
        public let kind: MessageKind
        let payload: UnsafeRawBufferPointer

        init(kind: MessageKind, payload: UnsafeRawBufferPointer) {
            self.kind = kind
            self.payload = payload
        }

        /// The payload's size in bytes.
        public var count: Int { payload.count }

        /// Calls `body` with the payload (valid UTF-8 for text); the pointer must not escape.
        public func withUnsafeBytes<Result, Failure: Error>(
            _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
        ) throws(Failure) -> Result {
            try body(payload)
        }

        /// The text of a text message (a copy), or `nil` for a binary one.
        public var text: String? { kind == .text ? String(decoding: payload, as: UTF8.self) : nil }

        /// The payload, copied.
        public var bytes: [UInt8] { Array(payload) }

        /// The message as a value that may be kept (a copy).
        public var message: WebSocketMessage { kind == .text ? .text(String(decoding: payload, as: UTF8.self)) : .binary(Array(payload)) }
    }

    /// The connection as seen from its own event loop: sends are synchronous, allocate
    /// nothing, and inside a read go out with that read's writes. The outbound budget holds
    /// here too: while more than ``WebSocket/Configuration/maxBufferedOutboundBytes`` wait for
    /// the socket, the connection stops reading from its peer (so a read's replies are always
    /// queued), and sends from elsewhere (a timer, another connection's read, a broadcast) are
    /// refused: check ``isWritable`` first.
    ///
    /// ``WebSocketEventLoopHandler`` callbacks are given one; ``WebSocket/onEventLoop(_:)``
    /// gives one for any ``WebSocket``. It may be kept (a broadcast group's members, a
    /// topic's subscribers) as long as it is used only on ``eventLoop``: it is not `Sendable`,
    /// and every member must be called there. Kept after the connection has ended, it
    /// refuses sends and says its state is `.closed`; ``whenClosed(_:)`` says
    /// when to let go of it.
    public struct OnLoop {
        let handler: WebSocketHandler

        init(_ handler: WebSocketHandler) { self.handler = handler }

        /// The peer's address: tell connections apart by it.
        public var remoteAddress: SocketAddress? { handler.remoteAddress }
        /// The connection's identity: the same as its ``WebSocket/id``.
        public var id: WebSocket.ID { handler.id }

        /// Sends a lent message (an echo), straight from its bytes.
        ///
        /// - Returns: whether it was queued; `false` once the close handshake has started, or
        ///   when sent outside this connection's own read while its outbound queue is over
        ///   ``WebSocket/Configuration/maxBufferedOutboundBytes`` (see ``isWritable``).
        @discardableResult
        public func send(_ message: LentMessage) -> Bool {
            handler.sendNow(message.kind, message.payload)
        }

        /// Sends `bytes` as a message of `kind`; a text message's bytes must be UTF-8.
        ///
        /// - Parameters:
        ///   - kind: text or binary.
        ///   - bytes: the message's bytes, copied before the call returns.
        ///   - compress: `false` sends it uncompressed when permessage-deflate was negotiated.
        /// - Returns: whether it was queued; `false` once the close handshake has started, or
        ///   outside this connection's own read while its outbound queue is over the budget.
        @discardableResult
        public func send(_ kind: MessageKind, bytes: UnsafeRawBufferPointer, compress: Bool = true) -> Bool {
            handler.sendNow(kind, bytes, compress: compress)
        }

        /// Sends a message.
        ///
        /// - Parameters:
        ///   - message: the text or binary message to send.
        ///   - compress: `false` sends it uncompressed when permessage-deflate was negotiated.
        /// - Returns: whether it was queued; `false` once the close handshake has started, or
        ///   outside this connection's own read while its outbound queue is over the budget.
        @discardableResult
        public func send(_ message: WebSocketMessage, compress: Bool = true) -> Bool {
            message.withUnsafeBytes { kind, bytes in handler.sendNow(kind, bytes, compress: compress) }
        }

        /// Sends a message framed once for many connections (a broadcast): its frame is copied
        /// as it is when this connection may send it so (a server's, uncompressed), else its
        /// payload is encoded as any message's.
        ///
        /// - Parameters:
        ///   - message: the message, framed once.
        ///   - compress: `false` sends it uncompressed when permessage-deflate was negotiated.
        /// - Returns: whether it was queued; `false` once the close handshake has started, or
        ///   outside this connection's own read while its outbound queue is over the budget.
        @discardableResult
        public func send(_ message: PreparedMessage, compress: Bool = true) -> Bool {
            message.withLent { handler.sendNow($0, compress: compress) }
        }

        /// Sends a message framed once and lent for the call (`PreparedMessage.withLent`):
        /// a broadcast takes the frame's bytes once and hands them to each member this way.
        ///
        /// - Returns: whether it was queued, as ``send(_:compress:)-(PreparedMessage,_)`` says.
        @discardableResult
        public func send(_ message: PreparedMessage.Lent, compress: Bool = true) -> Bool {
            handler.sendNow(message, compress: compress)
        }

        /// Sends a message framed once and lent for the call, as ``send(_:compress:)-(PreparedMessage.Lent,_)``
        /// does; a large frame this connection sends as it is goes out as `frame`, one buffer
        /// that every member of the broadcast writes (made here by the first that needs it).
        @usableFromInline
        func send(_ message: PreparedMessage.Lent, sharing frame: inout SharedFrame?, compress: Bool) -> Bool {
            handler.sendNow(message, sharing: &frame, compress: compress)
        }

        /// Starts the close handshake with `code` and `reason`.
        public func close(code: CloseCode = .normalClosure, reason: String = "") {
            handler.startClose(code: code, reason: reason, timeout: nil)
        }

        /// The round-trip time of the latest keepalive Ping that the peer answered.
        public var keepAliveRoundTrip: Duration? { handler.session.lastKeepAliveRoundTrip }

        /// Whether the socket takes more without queueing beyond
        /// ``WebSocket/Configuration/maxBufferedOutboundBytes``.
        public var isWritable: Bool { handler.context != nil && handler.channelWritable }

        /// Where the connection is in its life.
        public var state: WebSocketConnection.State { handler.session.connection.state }

        /// The event loop the connection lives on: the only one that may use this value.
        public var eventLoop: any EventLoop { handler.shared.eventLoop }

        /// The outbound budget in force: ``WebSocket/Configuration/maxBufferedOutboundBytes``
        /// of the connection's configuration, above which ``isWritable`` is `false`.
        public var maxBufferedOutboundBytes: Int { handler.session.configuration.maxQueuedOutboundBytes }

        /// Calls `body` on ``eventLoop`` with the outcome once the connection has ended: the
        /// moment to forget this value (leave a group, unsubscribe). The same end and outcome as
        /// ``WebSocket/closed()``, reported as the channel goes inactive. When the connection
        /// has already ended, `body` runs before this returns.
        ///
        /// - Precondition: called on ``eventLoop``, as every member of this type is.
        public func whenClosed(_ body: @escaping (CloseOutcome) -> Void) {
            handler.shared.closedPromise.futureResult.assumeIsolated().whenComplete { result in
                body((try? result.get()) ?? CloseOutcome(code: .abnormalClosure, wasClean: false))
            }
        }
    }
}

@available(*, unavailable)
extension WebSocket.OnLoop: Sendable {}

@available(*, unavailable)
extension WebSocket.LentMessage: Sendable {}
