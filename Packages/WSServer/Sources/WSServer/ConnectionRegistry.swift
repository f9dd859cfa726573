import NIOCore
import Synchronization

/// The server's connections: every accepted channel until it closes, which of them are
/// WebSockets, and the slots that cap them. One lock; every count is exact under churn. Only
/// channels are kept (a `WebSocket` would keep its handshake's header fields alive: memory
/// that every idle connection would pay).
final class ConnectionRegistry: Sendable {
    private struct State {
        var nextID = 0
        var channels: [Int: any Channel] = [:]
        var webSockets: Set<Int> = []
        /// Upgrades accepted and not yet closed (a slot is taken before the 101).
        var slots = 0
        var accepting = true
    }
    private let state = Mutex(State())

    /// Adds an accepted channel; nil when the server no longer accepts.
    func add(_ channel: any Channel) -> Int? {
        state.withLock { state in
            guard state.accepting else { return nil }
            state.nextID += 1
            state.channels[state.nextID] = channel
            return state.nextID
        }
    }

    /// Takes a WebSocket slot for connection `id` if fewer than `limit` are taken.
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

    func upgraded(_ id: Int) {
        state.withLock { _ = $0.webSockets.insert(id) }
    }

    /// Forgets connection `id`; returns whether it was a WebSocket.
    func remove(_ id: Int) -> Bool {
        state.withLock { state in
            state.channels[id] = nil
            return state.webSockets.remove(id) != nil
        }
    }

    var connectionCount: Int { state.withLock { $0.channels.count } }
    var webSocketCount: Int { state.withLock { $0.webSockets.count } }

    /// Stops accepting, and returns the WebSocket channels and the other channels open now.
    func stopAccepting() -> (webSockets: [any Channel], others: [any Channel]) {
        state.withLock { state in
            state.accepting = false
            let webSockets = state.channels.filter { state.webSockets.contains($0.key) }.map(\.value)
            let others = state.channels.filter { !state.webSockets.contains($0.key) }.map(\.value)
            return (webSockets, others)
        }
    }

    var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }
}
