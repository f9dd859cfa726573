import HTTPTypes
import Synchronization
import WSHTTP

/// Where a WebSocket route leaves its acceptance for the upgrade path that ran the router: the
/// route runs inside the router (after its middleware), the 101 is written outside it. The
/// slot travels as a task-local value, so a route needs no special request context.
final class UpgradeSlot: Sendable {
    /// A route's acceptance: the handler that will run the connection, holding what the
    /// decision learned.
    typealias Run = @Sendable (WebSocket) async throws -> Void

    private let accepted = Mutex<Run?>(nil)

    func accept(_ run: @escaping Run) { accepted.withLock { $0 = run } }

    var acceptance: Run? { accepted.withLock { $0 } }

    /// The slot of the upgrade request being routed; nil for a plain HTTP request.
    @TaskLocal static var current: UpgradeSlot?
}
