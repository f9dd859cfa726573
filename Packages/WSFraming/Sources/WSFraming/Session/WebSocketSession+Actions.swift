extension WebSocketSession {
    /// What the I/O layer must do after an event: everything the session decided, none of
    /// which it can do itself.
    public struct Actions: Hashable, Sendable {
        /// What to do with the transport.
        public enum Transport: Hashable, Sendable {
            /// Close it once what is queued has been written. The session also sets a
            /// deadline; if the writes have not finished by then, it answers ``closeNow``.
            case closeAfterWrites
            /// Close it at once, dropping whatever is still queued.
            case closeNow
        }

        /// Bytes were written into the sink of the call: send them.
        public var write = false
        /// Start or stop reading from the transport; `nil` leaves it as it is.
        public var reading: Reading?
        /// Close the transport; `nil` keeps it open.
        public var transport: Transport?
        /// Call ``WebSocketSession/timerFired(at:into:)`` no later than this (keep an earlier
        /// timer if one is set); `nil` sets nothing new.
        public var deadline: WebSocketSession.Instant?

        /// No action.
        public init(write: Bool = false, reading: Reading? = nil, transport: Transport? = nil, deadline: WebSocketSession.Instant? = nil) {
            self.write = write
            self.reading = reading
            self.transport = transport
            self.deadline = deadline
        }

        /// Whether there is nothing to do.
        public var isEmpty: Bool { !write && reading == nil && transport == nil && deadline == nil }

        /// Both sets of actions: the later one's reading and transport win, a closeNow wins
        /// over closeAfterWrites, and the earlier deadline is kept.
        mutating func merge(_ other: Actions) {
            write = write || other.write
            if let reading = other.reading { self.reading = reading }
            if let transport = other.transport, self.transport != .closeNow { self.transport = transport }
            if let deadline = other.deadline { self.deadline = self.deadline.map { min($0, deadline) } ?? deadline }
        }
    }

    /// Hands out what was decided since the last call, with the reading change that the
    /// pressures and the phase now call for.
    mutating func takeActions() -> Actions {
        var actions = pending
        pending = Actions()
        let wanted: Reading = inbound == .consumerBehind || outbound == .overBudget || _connection.pendingFailure != nil
            ? .paused : .active
        if wanted != reading {
            reading = wanted
            actions.reading = wanted
        }
        return actions
    }
}
