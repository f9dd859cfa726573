import CoreMetrics
import NIOCore
import WSFraming
import Synchronization

/// WebSockets that messages go to together: a chat room, a topic, the pages of a game.
///
/// ```swift
/// let room = WebSocketGroup()
/// // in the server's upgraded handler:
/// room.add(webSocket)                      // it leaves by itself when it closes
/// for await message in webSocket.messages {
///     room.broadcast(message, except: webSocket.id)
/// }
/// ```
///
/// A broadcast never waits, neither for the caller nor for a member: it hands the message to
/// each member's event loop (once per loop, not once per member) and returns. A member whose
/// socket already has more than its ``WebSocket/Configuration/maxBufferedOutboundBytes``
/// waiting (a peer that reads more slowly than the group sends, or not at all) does not get
/// the message: ``SlowMemberPolicy`` says whether it only misses it or is closed with 1008.
/// So a slow peer costs the others nothing and holds at most its own outbound limit of
/// memory, however much is broadcast. ``statistics`` counts what was delivered and what was not.
///
/// A message is framed once per broadcast (a `PreparedMessage`). A small frame is copied into
/// each member's outbound buffer, to go out in one write with the member's other frames; a
/// frame of 2 KiB or more becomes one buffer on each event loop that every member sending it
/// uncompressed writes as it is, with no copy per member. A member that compresses it encodes
/// the payload itself.
///
/// Each member compresses for itself when permessage-deflate was negotiated (its context
/// takeover makes its bytes its own); `compress: false` sends uncompressed to all.
///
/// The group is built on the public seam alone: its members are ``WebSocket/OnLoop`` values
/// (from ``WebSocket/onEventLoop(_:)`` or a callback), kept per event loop, sent to with
/// ``WebSocket/OnLoop/isWritable`` and ``WebSocket/OnLoop/send(_:compress:)-(PreparedMessage,_)``, and let
/// go at ``WebSocket/OnLoop/whenClosed(_:)``. A group of your own (a topic with its own
/// policy, a pub/sub fed by a backplane) can do all that it does.
public final class WebSocketGroup: Sendable {
    /// What a broadcast does with a member whose outbound buffer is full.
    public enum SlowMemberPolicy: Sendable, Hashable {
        /// The member misses this message and stays (as uWebSockets' `publish` drops, but
        /// counted): the choice for state that the next message replaces (positions, prices,
        /// presence).
        case skipMessage
        /// The member is closed with 1008 and leaves (uWebSockets' `closeOnBackpressureLimit`:
        /// the choice when every member must see every message, as in a chat log).
        case close
    }

    /// What the group's broadcasts have done, since it was made.
    public struct Statistics: Sendable, Hashable {
        /// Messages queued to a member's socket.
        public var delivered = 0
        /// Messages a slow member missed (``SlowMemberPolicy/skipMessage``).
        public var skipped = 0
        /// Members closed as slow (``SlowMemberPolicy/close``).
        public var closedAsSlow = 0
    }

    /// What the group does with a member whose outbound buffer is full.
    public let slowMember: SlowMemberPolicy
    /// The members of one event loop; read and changed only on that loop.
    private let loops = Mutex<[ObjectIdentifier: LoopMembers]>([:])
    private let memberCount = Atomic<Int>(0)
    private let delivered = Atomic<Int>(0)
    private let skipped = Atomic<Int>(0)
    private let closedAsSlow = Atomic<Int>(0)
    /// The group's name, its ``WebSocketMetrics/Label/group`` label.
    public let name: String
    /// The members gauge and the slow-member counters; nil when nothing is recorded.
    private let instruments: (members: Meter, skipped: Counter, closed: Counter)?

    /// An empty group.
    /// - Parameters:
    ///   - slowMember: what a broadcast does with a member whose outbound buffer is
    ///     full (default: it misses the message).
    ///   - name: what the group is called in its metrics (``WebSocketMetrics/Name/groupMembers``,
    ///     ``WebSocketMetrics/Name/groupSlowMembers``): a room, a topic; default `group`.
    ///     Groups of one name add up.
    ///   - metrics: where it records them; by default the bootstrapped backend.
    public init(slowMember: SlowMemberPolicy = .skipMessage, name: String = "group", metrics: WebSocketMetrics = .system) {
        self.slowMember = slowMember
        self.name = name
        instruments = metrics.resolved.map { all in
            typealias Label = WebSocketMetrics.Label
            let group = (Label.group, name)
            return (members: all.meter(WebSocketMetrics.Name.groupMembers, [group]),
                    skipped: all.counter(WebSocketMetrics.Name.groupSlowMembers, [group, (Label.slowMemberAction, "skipped")]),
                    closed: all.counter(WebSocketMetrics.Name.groupSlowMembers, [group, (Label.slowMemberAction, "closed")]))
        }
    }

    /// The members, counted once their event loop has taken them in.
    public var count: Int { memberCount.load(ordering: .relaxed) }

    /// What the broadcasts have done so far.
    public var statistics: Statistics {
        Statistics(delivered: delivered.load(ordering: .relaxed), skipped: skipped.load(ordering: .relaxed),
                   closedAsSlow: closedAsSlow.load(ordering: .relaxed))
    }

    /// Makes `webSocket` a member, until it closes or is removed. A WebSocket whose close has
    /// begun is not taken in; adding a member twice changes nothing.
    public func add(_ webSocket: WebSocket) {
        // Known before the hop, so that a broadcast made right after this reaches the new
        // member's event loop, which takes it in first.
        let members = self.members(on: webSocket.channel.eventLoop)
        webSocket.onEventLoop { [self] member in join(member, members: members) }
    }

    /// Makes a connection a member from its event loop (one of its callbacks, or
    /// ``WebSocket/onEventLoop(_:)``): at once.
    public func add(_ webSocket: WebSocket.OnLoop) {
        join(webSocket, members: members(on: webSocket.eventLoop))
    }

    /// Ends `webSocket`'s membership; it stays open.
    public func remove(_ webSocket: WebSocket) {
        remove(webSocket.id, members: members(on: webSocket.channel.eventLoop))
    }

    /// Ends a connection's membership from its event loop: at once.
    public func remove(_ webSocket: WebSocket.OnLoop) {
        leave(webSocket.id, members: members(on: webSocket.eventLoop))
    }

    /// Sends `message` to every member but `except`, without waiting: see the type's notes.
    /// The message is framed once, here, for all the members that send it uncompressed.
    ///
    /// - Parameters:
    ///   - message: the text or binary message to send.
    ///   - except: a member that does not get it (its sender, say).
    ///   - compress: `false` sends it uncompressed to members that negotiated permessage-deflate.
    public func broadcast(_ message: WebSocketMessage, except: WebSocket.ID? = nil, compress: Bool = true) {
        broadcast(message.withUnsafeBytes { kind, bytes in PreparedMessage(kind, payload: bytes) }, except: except, compress: compress)
    }

    /// Sends a message framed once to every member but `except`, without waiting: each member
    /// copies a small frame and shares a large one (see the type's notes; a member that
    /// compresses, or a client, encodes its payload itself).
    ///
    /// - Parameters:
    ///   - message: the message, framed once.
    ///   - except: a member that does not get it (its sender, say).
    ///   - compress: `false` sends it uncompressed to members that negotiated permessage-deflate.
    public func broadcast(_ message: PreparedMessage, except: WebSocket.ID? = nil, compress: Bool = true) {
        let everyLoop = loops.withLock { Array($0.values) }
        for members in everyLoop {
            members.eventLoop.execute { [self] in
                deliver(message, to: members, except: except, compress: compress)
            }
        }
    }

    /// On the members' event loop: sends to each member that is open and takes more.
    private func deliver(_ message: PreparedMessage, to members: LoopMembers, except: WebSocket.ID?, compress: Bool) {
        let delivery = slowMember.deliver(message, to: members.connections.values, except: except, compress: compress)
        for id in delivery.closed { leave(id, members: members) }
        if delivery.sent > 0 { delivered.add(delivery.sent, ordering: .relaxed) }
        if delivery.skipped > 0 {
            skipped.add(delivery.skipped, ordering: .relaxed)
            instruments?.skipped.increment(by: delivery.skipped)
        }
        if !delivery.closed.isEmpty {
            closedAsSlow.add(delivery.closed.count, ordering: .relaxed)
            instruments?.closed.increment(by: delivery.closed.count)
        }
    }

    /// On the member's event loop: takes it in, and out again when it closes.
    private func join(_ member: WebSocket.OnLoop, members: LoopMembers) {
        let id = member.id
        guard member.state == .open, members.connections.updateValue(member, forKey: id) == nil else { return }
        memberCount.add(1, ordering: .relaxed)
        instruments?.members.increment()
        member.whenClosed { [weak self] _ in self?.leave(id, members: members) }
    }

    private func remove(_ id: WebSocket.ID, members: LoopMembers) {
        members.eventLoop.execute { [self] in leave(id, members: members) }
    }

    /// On the member's event loop.
    private func leave(_ id: WebSocket.ID, members: LoopMembers) {
        if members.connections.removeValue(forKey: id) != nil {
            memberCount.subtract(1, ordering: .relaxed)
            instruments?.members.decrement()
        }
    }

    /// The members of `eventLoop`, made on first use.
    private func members(on eventLoop: any EventLoop) -> LoopMembers {
        loops.withLock { loops in
            let key = ObjectIdentifier(eventLoop)
            if let members = loops[key] { return members }
            let members = LoopMembers(eventLoop)
            loops[key] = members
            return members
        }
    }
}

/// The members on one event loop. `@unchecked Sendable`: `connections` is read and changed only
/// on `eventLoop`, the one loop where their ``WebSocket/OnLoop`` values may be used.
private final class LoopMembers: @unchecked Sendable {
    let eventLoop: any EventLoop
    var connections: [WebSocket.ID: WebSocket.OnLoop] = [:]

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }
}
