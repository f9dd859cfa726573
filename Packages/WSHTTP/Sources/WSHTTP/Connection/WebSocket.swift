public import HTTPTypes
import Logging
public import NIOCore
public import WSFraming
import Synchronization

/// A live WebSocket connection, server or client: one type for both roles.
///
/// ```swift
/// for try await message in webSocket.messages {
///     if case .text(let text) = message { try await webSocket.send(.text("echo: \(text)")) }
/// }
/// ```
///
/// The connection lives on one event loop; every method may be called from any task.
/// Messages are read by one consumer at a time (``messages`` or ``receive()``).
public final class WebSocket: Sendable {
    /// The facts of the opening handshake.
    public struct Handshake: Sendable {
        /// The request target (path and query).
        public var target: String
        /// The upgrade request's header fields.
        public var requestFields: HTTPFields
        /// The 101 response's header fields.
        public var responseFields: HTTPFields
        /// The negotiated subprotocol.
        public var subprotocol: String?
        /// The negotiated extensions, as `Sec-WebSocket-Extensions` says.
        public var extensions: String?
        /// What permessage-deflate's negotiation agreed, when the connection compresses.
        public var deflate: DeflateSettings? = nil
        /// The peer's address.
        public var remoteAddress: SocketAddress?
        /// Our address.
        public var localAddress: SocketAddress?
        /// What TLS agreed on (version, cipher, ALPN, SNI, the peer certificate's subject), on
        /// a `wss` connection whose ``WebSocketTLS`` reports it; nil on plain TCP.
        public var tls: TLSConnectionInfo? = nil

        /// The facts of a handshake, for ``WebSocket/adopt(_:role:handshake:configuration:consumer:logger:)``;
        /// every field may be left out.
        public init(
            target: String = "/", requestFields: HTTPFields = [:], responseFields: HTTPFields = [:], subprotocol: String? = nil,
            extensions: String? = nil, deflate: DeflateSettings? = nil, remoteAddress: SocketAddress? = nil,
            localAddress: SocketAddress? = nil, tls: TLSConnectionInfo? = nil
        ) {
            self.target = target
            self.requestFields = requestFields
            self.responseFields = responseFields
            self.subprotocol = subprotocol
            self.extensions = extensions
            self.deflate = deflate
            self.remoteAddress = remoteAddress
            self.localAddress = localAddress
            self.tls = tls
        }
    }

    /// Server or client.
    public let role: WebSocketRole
    /// The facts of the opening handshake.
    public let handshake: Handshake
    /// The channel the connection runs on.
    public let channel: any Channel
    /// The limits and timeouts in force.
    public let configuration: Configuration
    /// This connection's identity.
    public let id: ID
    let logger: Logger
    let handler: NIOLoopBound<WebSocketHandler>
    let shared: WebSocketShared
    private let inbound: InboundQueue?

    init(role: WebSocketRole, handshake: Handshake, channel: any Channel, configuration: Configuration,
         logger: Logger, handler: NIOLoopBound<WebSocketHandler>, shared: WebSocketShared, inbound: InboundQueue?) {
        self.role = role
        self.handshake = handshake
        self.channel = channel
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        id = handler.value.id // made on the connection's event loop (install)
        self.shared = shared
        self.inbound = inbound
    }

    /// A connection's identity, for dictionaries and ``WebSocketGroup/broadcast(_:except:compress:)-(WebSocketMessage,_,_)``:
    /// unique for the life of the process (never reused, unlike an object's address), and the
    /// same seen from ``WebSocket`` and from ``WebSocket/OnLoop``.
    public struct ID: Hashable, Sendable, CustomStringConvertible {
        /// The number: 1 for the process's first connection, then counting up.
        public let rawValue: UInt64
        private static let counter = Atomic<UInt64>(0)

        /// A new identity, never given before in this process.
        static func next() -> ID { ID(rawValue: counter.add(1, ordering: .relaxed).newValue) }
        private init(rawValue: UInt64) { self.rawValue = rawValue }

        public var description: String { "ws#\(rawValue)" }
    }

    // MARK: - State

    /// Whether messages can still be sent: no Close was sent or received.
    public var isOpen: Bool { state == .open && channel.isActive }

    /// Where the connection is in its life (WSFraming's `WebSocketConnection.State`): `.open`,
    /// `.closing` once a Close was sent (or ``close(code:reason:timeout:)`` called), `.closed`
    /// once the TCP connection is gone.
    public var state: WebSocketConnection.State { shared.connectionState }

    /// How the connection ended, once it has: the close code and reason received (1005 for a
    /// Close without a code, 1006 when none arrived) and whether the closing was clean.
    public var outcome: CloseOutcome? { shared.outcome }

    /// Calls `body` with the outcome once the connection has ended (its channel closed), on the
    /// channel's event loop, without keeping this `WebSocket` alive until then.
    public func whenClosed(_ body: @escaping @Sendable (CloseOutcome) -> Void) {
        let shared = self.shared
        channel.closeFuture.whenComplete { _ in
            body(shared.outcome ?? CloseOutcome(code: .abnormalClosure, reason: "", wasClean: false))
        }
    }

    /// Waits until the connection has ended, and says how.
    public func closed() async -> CloseOutcome {
        (try? await shared.closedPromise.futureResult.get()) ?? CloseOutcome(code: .abnormalClosure, wasClean: false)
    }

    // MARK: - Sending

    /// Sends a message. It waits only while more than
    /// ``Configuration/maxBufferedOutboundBytes`` are queued for the socket.
    ///
    /// - Parameters:
    ///   - message: the text or binary message to send.
    ///   - compress: when permessage-deflate was negotiated, `false` sends this
    ///     message uncompressed: data already compressed (images, archives) gains nothing.
    ///     Messages below the threshold go uncompressed either way.
    /// - Throws: ``WebSocketError`` ``WebSocketError/Code/closed`` once the close handshake
    ///   has started.
    public func send(_ message: WebSocketMessage, compress: Bool = true) async throws(WebSocketError) {
        let handler = self.handler
        // From a task on the connection's own event loop (see ``taskExecutor``): no hop, and
        // within the budget no suspension either (the usual case: one synchronous call).
        let first = handler.eventLoop.inEventLoop ? handler.value.send(message, compress: compress)
            : await Self.settle(handler.eventLoop.submit { handler.value.send(message, compress: compress) })
        if case .sent = first { return }
        try await sendWaitingForBudget(first: first) {
            handler.eventLoop.inEventLoop ? handler.value.send(message, compress: compress)
                : await Self.settle(handler.eventLoop.submit { handler.value.send(message, compress: compress) })
        }
    }

    /// Runs `attempt` until it sends, waiting whenever the outbound queue is over the budget.
    /// A task cancelled while it waits stops waiting: its message is not sent.
    ///
    /// - Parameter first: the result of the first attempt, when it was made already.
    private func sendWaitingForBudget(first: WebSocketHandler.SendResult? = nil,
                                      _ attempt: () async -> WebSocketHandler.SendResult) async throws(WebSocketError) {
        let handler = self.handler
        var pending = first
        while true {
            let result: WebSocketHandler.SendResult
            if let made = pending {
                result = made
                pending = nil
            } else {
                result = await attempt()
            }
            switch result {
            case .sent: return
            case .failed(let error): throw error
            case .wait(let waiter, let drained):
                let waited = await withTaskCancellationHandler {
                    await Self.settle(drained.map { WebSocketHandler.SendResult.sent })
                } onCancel: {
                    handler.eventLoop.execute { handler.value.cancelBudgetWaiter(waiter) }
                }
                if case .failed(let error) = waited { throw error }
            }
        }
    }

    /// The result of a future that carries a ``WebSocketHandler/SendResult``.
    private static func settle(_ future: EventLoopFuture<WebSocketHandler.SendResult>) async -> WebSocketHandler.SendResult {
        do {
            return try await future.get()
        } catch let error as WebSocketError {
            return .failed(error)
        } catch is CancellationError {
            return .failed(WebSocketError(.cancelled, "the task was cancelled while the send waited for the outbound queue to drain; the message was not sent"))
        } catch {
            return .failed(.closed(nil))
        }
    }

    /// An executor for tasks that should run on this connection's event loop: a task that
    /// prefers it sends and receives with no thread switch. A server's handler runs on it
    /// already (``WebSocketServerHandlers/runsOnEventLoop``).
    ///
    /// ```swift
    /// await withTaskExecutorPreference(webSocket.taskExecutor) {
    ///     for await message in webSocket.messages { try? await webSocket.send(message) }
    /// }
    /// ```
    public var taskExecutor: EventLoopTaskExecutor { EventLoopTaskExecutor(channel.eventLoop) }

    /// Sends a text message; `compress` as for ``send(_:compress:)``.
    public func send(text: String, compress: Bool = true) async throws(WebSocketError) {
        try await send(.text(text), compress: compress)
    }

    /// Sends a binary message; `compress` as for ``send(_:compress:)``.
    public func send(binary: [UInt8], compress: Bool = true) async throws(WebSocketError) {
        try await send(.binary(binary), compress: compress)
    }

    /// Sends one fragment of a message that goes in parts (RFC 6455 §5.4): the first call
    /// starts a message of `kind`, the one with `isFinal` ends it. Other messages wait until
    /// then; pings and pongs may go between. With permessage-deflate, the fragments are
    /// compressed as one stream (RSV1 on the first), unless the first says `compress: false`;
    /// later fragments follow the first.
    public func sendFragment(_ kind: MessageKind, _ bytes: [UInt8], isFinal: Bool, compress: Bool = true) async throws(WebSocketError) {
        let handler = self.handler
        try await sendWaitingForBudget {
            await Self.settle(handler.eventLoop.submit { handler.value.sendFragment(kind, bytes, isFinal: isFinal, compress: compress) })
        }
    }

    // MARK: - Receiving

    /// The messages, in order, until the connection ends. Reading from the socket stops while
    /// more than ``Configuration/maxBufferedMessages`` wait here.
    ///
    /// The sequence ends when the connection has closed (``outcome`` says how) and when the
    /// iterating task is cancelled (``outcome`` is still `nil` then). It ends at once, with
    /// the reason logged at error level, when another task is reading the messages already
    /// or the connection's messages go to a ``WebSocketEventLoopHandler``: ``receive()``
    /// throws those as errors.
    public var messages: Messages { Messages(webSocket: self) }

    /// The next message, or `nil` once the connection has closed (``outcome`` says how).
    ///
    /// - Throws: ``WebSocketError`` ``WebSocketError/Code/cancelled`` when the waiting task is
    ///   cancelled; ``WebSocketError/Code/invalidUse`` when another task is receiving already
    ///   (read from one task at a time) or the connection's messages go to its event-loop
    ///   handler (``WebSocket/Consumer/eventLoop(_:)``).
    public func receive() async throws(WebSocketError) -> WebSocketMessage? {
        guard let inbound else {
            throw WebSocketError(.invalidUse, "this connection's messages go to its event-loop handler (Consumer.eventLoop); receive() and messages are for an async consumer")
        }
        switch await inbound.next() {
        case .message(let message): return message
        case .end: return nil
        case .cancelled: throw WebSocketError(.cancelled, "the task was cancelled while it waited for a message")
        case .busy: throw WebSocketError(.invalidUse, "another task is receiving from this WebSocket already: read its messages from one task at a time")
        }
    }

    /// The messages of a ``WebSocket``.
    public struct Messages: AsyncSequence, Sendable {
        let webSocket: WebSocket
        /// Iterates the messages.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let webSocket: WebSocket
            /// The next message, or `nil` at the end (see ``WebSocket/messages``).
            public mutating func next() async -> WebSocketMessage? {
                do {
                    return try await webSocket.receive()
                } catch {
                    if error.code != .cancelled { webSocket.logger.error("messages ended", metadata: ["ws.reason": "\(error.message)"]) }
                    return nil
                }
            }
        }
        /// Makes the iterator.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(webSocket: webSocket) }
    }

    // MARK: - Ping and close

    /// Sends an unsolicited Pong, a one-way heartbeat that asks for no answer (RFC 6455 §5.5.3).
    /// Pings are answered by the connection itself.
    ///
    /// - Parameter payload: at most 125 bytes.
    /// - Throws: ``WebSocketError`` ``WebSocketError/Code/invalidUse`` for a longer payload,
    ///   ``WebSocketError/Code/closed`` once a Close was sent.
    public func sendPong(_ payload: [UInt8] = []) async throws(WebSocketError) {
        try await run { $0.sendPong(payload) }
    }

    /// The round-trip time of the latest keepalive Ping that the peer answered, or `nil`
    /// before the first (or with ``Configuration/autoPing`` disabled).
    public var keepAliveRoundTrip: Duration? { shared.keepAliveRoundTrip }

    /// Sends a Ping and waits for its Pong.
    ///
    /// - Returns: the round-trip time.
    /// - Throws: ``WebSocketError`` ``WebSocketError/Code/pingTimeout`` after `timeout`
    ///   (default ``Configuration/pingTimeout``), or ``WebSocketError/Code/closed``.
    public func ping(timeout: Duration? = nil) async throws(WebSocketError) -> Duration {
        let timeout = timeout ?? configuration.pingTimeout
        return try await run { $0.ping(timeout: timeout) }
    }

    /// Closes the connection: sends a Close with `code` and `reason`, waits up to `timeout`
    /// for the peer's Close (and, as a client, for the server to close the TCP connection),
    /// then closes the TCP connection.
    ///
    /// - Returns: how the connection ended.
    @discardableResult
    public func close(code: CloseCode = .normalClosure, reason: String = "", timeout: Duration? = nil) async -> CloseOutcome {
        shared.markClosing()
        let handler = self.handler
        handler.eventLoop.execute { handler.value.startClose(code: code, reason: reason, timeout: timeout) }
        return await closed()
    }

    /// Asks the connection on `channel` to close as ``close(code:reason:timeout:)`` does, without
    /// its `WebSocket`: what a server that keeps only channels sends on shutdown. Sent down the
    /// pipeline with `channel.triggerUserOutboundEvent(_:)`; other channels ignore it.
    public struct CloseRequest: Sendable {
        /// The code of the Close to send.
        public var code: CloseCode
        /// Its reason.
        public var reason: String
        /// How long to wait for the peer's Close before closing TCP; nil: the configuration's.
        public var timeout: Duration?

        /// A request to close with `code` and `reason`.
        public init(code: CloseCode, reason: String = "", timeout: Duration? = nil) {
            self.code = code
            self.reason = reason
            self.timeout = timeout
        }
    }

    // MARK: - Guarded forms

    /// The next message, or `nil`: never throws; when the connection has ended, logs why at
    /// debug (WebSockets.jl's `readguarded`).
    public func receiveGuarded() async -> WebSocketMessage? {
        do {
            if let message = try await receive() { return message }
            logger.debug("guarded read failed", metadata: ["ws.reason": "the connection ended: \(outcome.map { "\($0)" } ?? "unknown")"])
        } catch {
            logger.debug("guarded read failed", metadata: ["ws.reason": "\(error.message)"])
        }
        return nil
    }

    /// Sends `message` and says whether it went: never throws; on failure logs why at debug
    /// (WebSockets.jl's `writeguarded`).
    @discardableResult
    public func sendGuarded(_ message: WebSocketMessage) async -> Bool {
        do {
            try await send(message)
            return true
        } catch {
            logger.debug("guarded write failed", metadata: ["ws.reason": "\(error.message)"])
            return false
        }
    }

    /// Runs `operation` on the event loop and waits for its future.
    private func run<T: Sendable>(_ operation: @escaping @Sendable (WebSocketHandler) -> EventLoopFuture<T>) async throws(WebSocketError) -> T {
        let handler = self.handler
        let future = handler.eventLoop.flatSubmit { operation(handler.value) }
        do {
            return try await future.get()
        } catch let error as WebSocketError {
            throw error
        } catch {
            throw WebSocketError.closed(outcome)
        }
    }
}
