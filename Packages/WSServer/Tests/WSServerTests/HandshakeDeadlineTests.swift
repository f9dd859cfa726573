import NIOCore
import NIOEmbedded
import Testing
@testable import WSServer

/// The handshake deadlines live in the registry, in accept order, and one timer sweeps them:
/// no connection has a timer of its own (a timer per connection was 5% of the server's time
/// under a flood of new connections). Time is given, not waited for.
@Suite("Handshake deadlines: one sweep finds every connection past its deadline and not accepted for an upgrade")
struct HandshakeDeadlineTests {
    let loop = EmbeddedEventLoop()
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func add(_ registry: ConnectionRegistry, at offset: Int64) throws -> (id: Int, channel: EmbeddedChannel) {
        let channel = EmbeddedChannel(loop: loop)
        let added = try #require(registry.add(channel, maxPending: 1000, deadline: start + .seconds(offset)))
        return (added.id, channel)
    }

    @Test("past the deadline: pending and requested connections expire, in order; accepted and upgraded ones do not; none twice")
    func expiresTheRightOnes() throws {
        let registry = ConnectionRegistry()
        let pending = try add(registry, at: 10)
        let requested = try add(registry, at: 11)
        registry.requested(requested.id)
        let accepted = try add(registry, at: 12)
        registry.requested(accepted.id)
        registry.upgradeAccepted(accepted.id)
        let upgraded = try add(registry, at: 13)
        registry.upgradeAccepted(upgraded.id)
        registry.upgraded(upgraded.id)
        let later = try add(registry, at: 20)
        #expect(registry.pendingCount == 3)

        #expect(registry.expired(at: start + .seconds(9)).isEmpty, "nothing before its deadline")
        let expired = registry.expired(at: start + .seconds(15))
        #expect(expired.map { ObjectIdentifier($0) } == [ObjectIdentifier(pending.channel), ObjectIdentifier(requested.channel)])
        #expect(registry.pendingCount == 1, "the expired ones are dropped: only the later one is pending")
        #expect(registry.connectionCount == 5, "still counted until their sockets close")
        #expect(registry.expired(at: start + .seconds(15)).isEmpty, "an expired connection is returned once")
        #expect(registry.expired(at: start + .seconds(20)).map { ObjectIdentifier($0) } == [ObjectIdentifier(later.channel)])
        for channel in [pending, requested, accepted, upgraded, later].map(\.channel) { _ = try? channel.finish() }
    }

    @Test("a connection that closed before its deadline is not returned, and closed ones do not pile up")
    func closedOnesGo() throws {
        let registry = ConnectionRegistry()
        var ids: [Int] = []
        for offset in 0..<500 {
            let (id, channel) = try add(registry, at: Int64(10 + offset))
            ids.append(id)
            _ = try? channel.finish()
        }
        for id in ids { registry.remove(id) }
        #expect(registry.connectionCount == 0)
        // Compaction keeps the list of deadlines near the pending count (here none).
        let survivor = try add(registry, at: 1000)
        #expect(registry.expired(at: start + .seconds(999)).isEmpty, "closed connections are never returned")
        #expect(registry.deadlineCount <= 65, "\(registry.deadlineCount) deadlines kept for 1 pending connection")
        #expect(registry.expired(at: start + .seconds(1000)).count == 1)
        _ = try? survivor.channel.finish()
    }

    @Test("the sweep runs every tenth of the timeout, from 10 ms to 250 ms")
    func sweepInterval() {
        #expect(WebSocketServer.sweepInterval(for: .seconds(10)) == .milliseconds(250))
        #expect(WebSocketServer.sweepInterval(for: .seconds(1)) == .milliseconds(100))
        #expect(WebSocketServer.sweepInterval(for: .milliseconds(20)) == .milliseconds(10))
    }
}
