extension WebSocketConnection {
    /// Something that arrived from the peer.
    public enum Event: Sendable, Hashable {
        /// A whole text message, checked to be UTF-8.
        case text(String)
        /// A whole binary message.
        case binary([UInt8])
        /// A piece of a message, in streaming mode.
        case fragment(MessageFragment)
        /// A Ping with its payload. With automatic pongs, the Pong is already written.
        case ping([UInt8])
        /// A Pong with its payload.
        case pong([UInt8])
        /// The peer's Close frame. The connection's ``WebSocketConnection/state`` is now
        /// ``WebSocketConnection/State/closed``: the reply, if one was due, is already written.
        case close(CloseFrame)
    }

    /// Where a connection is in its life (RFC 6455 §4, §7).
    public enum State: Sendable, Hashable {
        /// Messages flow both ways.
        case open
        /// This endpoint sent a Close frame and waits for the peer's; it sends no more data and
        /// discards data that still arrives.
        case closing
        /// The close handshake completed or the connection was failed; nothing more is sent or
        /// received. A server now closes the TCP connection; a client waits a moment for the
        /// server to close it first (RFC 6455 §7.1.1).
        case closed
    }
}
