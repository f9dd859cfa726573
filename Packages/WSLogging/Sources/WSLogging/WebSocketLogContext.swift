public import Logging

/// The metadata of the current connection, carried by the task (a task-local value), so
/// that everything logged while handling a connection says which one it was.
///
/// The WebSocket layers set it around a connection's handler; ``wslog(_:metadata:logger:file:function:line:)``
/// and any logger whose handler uses ``metadataProvider`` (``WebSocketLogger/bootstrap(_:levelsVariable:)``
/// installs it) add it to every record.
///
/// ```swift
/// await WebSocketLogContext.$metadata.withValue([WSLogKey.connection: "7"]) {
///     logger.info("hello")   // … hello ws.connection=7
/// }
/// ```
public enum WebSocketLogContext {
    /// The current task's connection metadata; empty outside a connection.
    @TaskLocal public static var metadata: Logger.Metadata = [:]

    /// Runs `operation` with `metadata` added to the current context (the new values win).
    public static func with<R>(
        _ metadata: Logger.Metadata,
        isolation: isolated (any Actor)? = #isolation,
        _ operation: () async throws -> R
    ) async rethrows -> R {
        try await $metadata.withValue(self.metadata.merging(metadata) { $1 }, operation: operation, isolation: isolation)
    }

    /// A metadata provider that adds the current context to each record.
    public static let metadataProvider = Logger.MetadataProvider { metadata }
}
