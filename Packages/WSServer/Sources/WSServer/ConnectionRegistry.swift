import NIOCore
import Synchronization

/// The server's connections: every accepted channel until it closes, where each is in its
/// life, and the slots that cap WebSockets. One lock; every count is exact under churn. Only
/// channels are kept (a `WebSocket` would keep its handshake's header fields alive: memory
/// that every idle connection would pay).
///
/// Connections are counted from accept (by ``AcceptGate``, on the listener's loop): a
/// connection that has not upgraded (a TLS or HTTP handshake in progress, an upgrade being
/// decided, a plain HTTP connection kept alive between requests) is *pending*, and the pending
/// ones are capped; when the cap is full, a new connection drops the oldest pending one that
/// has not sent a whole request, or if every one has, the oldest, so peers that hold handshakes
/// open cannot lock real clients out, nor push out a real client's upgrade while it is decided.
final class ConnectionRegistry: Sendable {
    /// Where a connection is in its life.
    enum Phase: Sendable, Hashable {
        /// Accepted, no whole request yet: counts against the pending cap, dropped first.
        case pending
        /// Its upgrade request came whole and is being decided: counts against the pending
        /// cap, dropped only when no connection is `.pending`.
        case requested
        /// Its upgrade was accepted; the 101 is on its way. Neither pending nor a WebSocket yet.
        case upgrading
        /// A live WebSocket.
        case webSocket
        /// Dropped to make room for a newer connection: being closed.
        case dropped
    }

    private struct Entry {
        let channel: any Channel
        var phase: Phase
    }

    private struct State {
        var nextID = 0
        var entries: [Int: Entry] = [:]
        /// Each open channel's ID, for its setup on its own loop (``id(of:)``).
        var ids: [ObjectIdentifier: Int] = [:]
        /// The IDs of pending connections in accept order (IDs only grow). Entries that are no
        /// longer pending stay until they reach the front or the queue is compacted.
        var pendingOrder = CircularBuffer<Int>()
        /// Each connection's handshake deadline, in the order they were accepted: every
        /// connection of a server gets the same timeout, so this is also deadline order, and
        /// one sweep of its front finds every expired one (one timer per server, none per
        /// connection). Ids whose connection closed stay until their deadline or a compaction.
        var deadlines = CircularBuffer<(deadline: NIODeadline, id: Int)>()
        /// The same for `.requested` connections, in the order their requests came.
        var requestedOrder = CircularBuffer<Int>()
        /// `.pending` and `.requested` connections: what the cap counts.
        var pendingCount = 0
        var webSocketCount = 0
        /// Upgrades accepted and not yet closed (a slot is taken before the 101).
        var slots = 0
        var accepting = true
        /// The listener stopped accepting at this many sockets: the first close below it
        /// resumes it.
        var acceptPausedAt: Int?

        mutating func move(_ id: Int, to phase: Phase) {
            guard let old = entries[id]?.phase, old != phase else { return }
            entries[id]?.phase = phase
            count(old, -1)
            count(phase, +1)
        }

        mutating func count(_ phase: Phase, _ change: Int) {
            switch phase {
            case .pending, .requested: pendingCount += change
            case .webSocket: webSocketCount += change
            case .upgrading, .dropped: break
            }
        }

        /// Moves connection `id` from `old` to `new`, one of the two pending phases, at the back
        /// of `new`'s order; nothing if it is not in `old` (dropped meanwhile, say).
        mutating func requeue(_ id: Int, from old: Phase, to new: Phase) {
            guard entries[id]?.phase == old else { return }
            move(id, to: new)
            if new == .pending { pendingOrder.append(id) } else { requestedOrder.append(id) }
            compactIfNeeded()
        }

        /// Marks the oldest connection without a whole request dropped, or else the oldest
        /// whose request is being decided, and returns its channel.
        mutating func dropOldestPending() -> (any Channel)? {
            for phase in [Phase.pending, .requested] {
                while let id = phase == .pending ? pendingOrder.popFirst() : requestedOrder.popFirst() {
                    guard let entry = entries[id], entry.phase == phase else { continue }
                    move(id, to: .dropped)
                    return entry.channel
                }
            }
            return nil
        }

        /// Keeps `pendingOrder` within a constant factor of the pending connections: every ID
        /// in it is looked at a bounded number of times.
        mutating func compactIfNeeded() {
            if pendingOrder.count > 2 * pendingCount + 64 { pendingOrder = pendingOrder.filter { entries[$0]?.phase == .pending } }
            if requestedOrder.count > 2 * pendingCount + 64 { requestedOrder = requestedOrder.filter { entries[$0]?.phase == .requested } }
            if deadlines.count > 2 * pendingCount + 64 {
                deadlines = deadlines.filter { entries[$0.id].map { $0.phase == .pending || $0.phase == .requested } ?? false }
            }
        }
    }
    private let state = Mutex(State())

    /// Adds an accepted channel as pending. When `maxPending` are pending already, the oldest
    /// of them is marked dropped and returned, for the caller to close. Nil when the server no
    /// longer accepts.
    func add(_ channel: any Channel, maxPending: Int, deadline: NIODeadline) -> (id: Int, dropped: (any Channel)?)? {
        state.withLock { state in
            guard state.accepting else { return nil }
            var dropped: (any Channel)?
            if state.pendingCount >= max(1, maxPending) { dropped = state.dropOldestPending() }
            state.nextID += 1
            state.entries[state.nextID] = Entry(channel: channel, phase: .pending)
            state.ids[ObjectIdentifier(channel)] = state.nextID
            state.count(.pending, +1)
            state.pendingOrder.append(state.nextID)
            state.deadlines.append((deadline, state.nextID))
            state.compactIfNeeded()
            return (state.nextID, dropped)
        }
    }

    /// The ID ``add(_:maxPending:)`` gave `channel`; nil once it has closed.
    /// The connections whose handshake deadline is at or before `now` and whose upgrade was
    /// not accepted: they count as dropped from now on, and the caller closes them.
    func expired(at now: NIODeadline) -> [any Channel] {
        state.withLock { state in
            var expired: [any Channel] = []
            while let first = state.deadlines.first, first.deadline <= now {
                state.deadlines.removeFirst()
                guard let entry = state.entries[first.id], entry.phase == .pending || entry.phase == .requested else { continue }
                state.move(first.id, to: .dropped)
                expired.append(entry.channel)
            }
            return expired
        }
    }

    func id(of channel: any Channel) -> Int? {
        state.withLock { $0.ids[ObjectIdentifier(channel)] }
    }

    /// Takes a WebSocket slot if fewer than `limit` are taken.
    func takeSlot(limit: Int) -> Bool {
        state.withLock { state in
            guard state.accepting, state.slots < limit else { return false }
            state.slots += 1
            return true
        }
    }

    /// Gives a slot back: a refused upgrade, or a WebSocket that closed.
    func releaseSlot() {
        state.withLock { $0.slots -= 1 }
    }

    /// Connection `id`'s upgrade request came whole; its decision is being made.
    func requested(_ id: Int) {
        state.withLock { $0.requeue(id, from: .pending, to: .requested) }
    }

    /// Connection `id`'s upgrade was refused: it is an HTTP connection again, without a request.
    func requestRefused(_ id: Int) {
        state.withLock { $0.requeue(id, from: .requested, to: .pending) }
    }

    /// Connection `id`'s upgrade was accepted: it is no longer pending (unless it was dropped
    /// meanwhile: then it is being closed, and stays dropped).
    func upgradeAccepted(_ id: Int) {
        state.withLock { state in
            guard let phase = state.entries[id]?.phase, phase == .pending || phase == .requested else { return }
            state.move(id, to: .upgrading)
        }
    }

    /// Whether the listener should stop accepting: `limit` sockets or more are open. If so,
    /// it is noted, and the first ``remove(_:)`` below the limit says to resume.
    func pauseAccepting(atSockets limit: Int) -> Bool {
        state.withLock { state in
            guard state.entries.count >= limit else { return false }
            state.acceptPausedAt = limit
            return true
        }
    }

    /// Connection `id` is a live WebSocket.
    func upgraded(_ id: Int) {
        state.withLock { state in
            guard state.entries[id]?.phase != .dropped else { return }
            state.move(id, to: .webSocket)
        }
    }

    /// Forgets connection `id`, whose socket has closed. True when the listener had stopped
    /// accepting and may resume: the caller tells it (``AcceptGate/Resume``).
    @discardableResult
    func remove(_ id: Int) -> Bool {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: id) else { return false }
            state.ids[ObjectIdentifier(entry.channel)] = nil
            state.count(entry.phase, -1)
            state.compactIfNeeded()
            guard let limit = state.acceptPausedAt, state.entries.count < limit else { return false }
            state.acceptPausedAt = nil
            return true
        }
    }

    var connectionCount: Int { state.withLock { $0.entries.count } }
    var webSocketCount: Int { state.withLock { $0.webSocketCount } }
    var pendingCount: Int { state.withLock { $0.pendingCount } }
    /// Handshake deadlines kept, expired or not (for tests: compaction bounds it).
    var deadlineCount: Int { state.withLock { $0.deadlines.count } }

    /// Stops accepting, and returns the WebSocket channels and the other channels open now.
    func stopAccepting() -> (webSockets: [any Channel], others: [any Channel]) {
        state.withLock { state in
            state.accepting = false
            var webSockets: [any Channel] = [], others: [any Channel] = []
            for entry in state.entries.values {
                if entry.phase == .webSocket { webSockets.append(entry.channel) } else { others.append(entry.channel) }
            }
            return (webSockets, others)
        }
    }

    var openChannels: [any Channel] { state.withLock { $0.entries.values.map(\.channel) } }
}
