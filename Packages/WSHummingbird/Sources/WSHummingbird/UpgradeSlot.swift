import HTTPTypes
import Synchronization
import WSHTTP

/// Where a WebSocket route leaves its acceptance for the upgrade path that ran the router: the
/// route runs inside the router (after its middleware), the 101 is written outside it. The
/// slot travels as a task-local value, so a route needs no special request context.
final class UpgradeSlot: Sendable {
    private let accepted = Mutex<WebSocketRunner?>(nil)

    /// Records a route's acceptance: who runs the connection, holding what the decision learned.
    func accept(_ runner: WebSocketRunner) { accepted.withLock { $0 = runner } }

    var acceptance: WebSocketRunner? { accepted.withLock { $0 } }

    /// The slot of the upgrade request being routed; nil for a plain HTTP request.
    @TaskLocal static var current: UpgradeSlot?
}

/// Who runs an accepted connection.
enum WebSocketRunner: Sendable {
    /// A task runs the handler; the connection closes with 1000 when it returns, 1011 when it throws.
    case task(@Sendable (WebSocket) async throws -> Void)
    /// The connection's event loop calls a handler made for it: no task per connection.
    case eventLoop(@Sendable (WebSocket.Handshake) -> any WebSocketEventLoopHandler)
}
