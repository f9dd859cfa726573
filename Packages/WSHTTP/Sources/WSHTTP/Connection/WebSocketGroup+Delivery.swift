import WSFraming

extension WebSocketGroup.SlowMemberPolicy {
    /// What one pass of a broadcast over the members of one event loop did.
    public struct Delivery {
        /// Members the message was queued to.
        public var sent = 0
        /// Members over their outbound budget that missed it (``WebSocketGroup/SlowMemberPolicy/skipMessage``).
        public var skipped = 0
        /// Members over their outbound budget that were closed with 1008
        /// (``WebSocketGroup/SlowMemberPolicy/close``): forget them.
        public var closed: [WebSocket.ID] = []

        /// Nothing done yet.
        @inlinable public init() {}
    }

    /// Sends `message` to every open member but `except`, on their event loop, as
    /// ``WebSocketGroup`` does: the policy of a broadcast, decided here once for the group and
    /// for anything built like it (WSTopics' topics). The frame's bytes are taken once; a
    /// small frame is copied into each member's outbound buffer, and a large one (2 KiB or
    /// more) that a member sends as it is (uncompressed) becomes one buffer that every such
    /// member writes, with no copy per member. A member over its outbound budget misses the message or is
    /// closed with 1008 and a reason that names the budget, as the policy says.
    ///
    /// - Parameters:
    ///   - message: the message, framed once.
    ///   - members: the members, all on the event loop this runs on.
    ///   - except: a member that does not get it (its sender, say).
    ///   - compress: `false` sends it uncompressed to members that negotiated permessage-deflate.
    /// - Returns: what was sent, skipped and closed.
    @inlinable
    public func deliver(
        _ message: PreparedMessage, to members: some Sequence<WebSocket.OnLoop>, except: WebSocket.ID?, compress: Bool
    ) -> Delivery {
        var delivery = Delivery()
        var slow: [WebSocket.OnLoop] = []
        var shared: SharedFrame? = nil  // the frame, for members that write it as it is
        message.withLent { lent in
            for member in members where member.id != except {
                guard member.state == .open else { continue }
                if member.isWritable {
                    if member.send(lent, sharing: &shared, compress: compress) { delivery.sent += 1 }
                } else if self == .skipMessage {
                    delivery.skipped += 1
                } else {
                    slow.append(member)
                }
            }
        }
        for member in slow {
            member.close(code: .policyViolation, reason: "too slow: over \(member.maxBufferedOutboundBytes) bytes waiting")
            delivery.closed.append(member.id)
        }
        return delivery
    }
}
