#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

/// A swift-log handler that writes one readable line per record to a console: the
/// WebSockets.jl `WebSocketLogger`, as a swift-log citizen.
///
/// ```
/// 2026-11-25T10:49:54.123456Z info     WSServer: listening host=::1 port=8080
/// 2026-11-25T10:49:55.002114Z debug    WSHTTP: upgraded ws.connection=1 ws.remote=[::1]:50122 ws.target=/chat
/// 2026-11-25T10:49:55.002301Z wslog    Chat: joined name=ada ws.connection=1 (Chat/Room.swift:42)
/// 2026-11-25T10:49:58.400017Z warning  WSServer: rate limit hit ws.remote=[::1]:50130 (WSServer/Limits.swift:88)
/// ```
///
/// Each line has the time (see ``Configuration/Timestamp``), the level (coloured on a
/// terminal), the label, the message, the metadata as `key=value` sorted by key (values with
/// spaces or quotes are quoted), and the caller's `file:line` for warnings and above. Lines
/// after the first of a multi-line message are indented. Records from
/// ``wslog(_:metadata:logger:file:function:line:)`` show the level `wslog`.
///
/// Metadata merges, later winning: the handler's, the metadata provider's (the task's
/// ``WebSocketLogContext``), then the call site's.
public struct WebSocketLogger: LogHandler {
    /// The logger's label.
    public let label: String
    /// How lines are written.
    public let configuration: Configuration
    /// The minimum level of this handler, from the configuration's levels for its label.
    public var logLevel: Logger.Level
    /// Metadata added to every record of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Adds context metadata (such as ``WebSocketLogContext/metadataProvider``) to each record.
    public var metadataProvider: Logger.MetadataProvider?

    private let colored: Bool

    /// Creates a handler for `label`.
    ///
    /// - Parameters:
    ///   - label: the logger's label; it selects the minimum level in `configuration.levels`.
    ///   - configuration: how to write; default standard error, `info`, UTC time.
    ///   - metadataProvider: context metadata for each record; default none.
    public init(label: String, configuration: Configuration = Configuration(), metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.configuration = configuration
        self.logLevel = configuration.levels.level(for: label)
        self.metadataProvider = metadataProvider
        switch configuration.color {
        case .always: colored = true
        case .never: colored = false
        case .automatic: colored = configuration.output.isTerminal && Self.environmentAllowsColor
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { Self.merge(provided, into: &all) }
        if let given = event.metadata, !given.isEmpty { Self.merge(given, into: &all) }
        let line = LogLine(
            time: configuration.timestamp == .none ? nil : configuration.clock.now(),
            showUptime: configuration.timestamp == .wallClockAndUptime,
            level: event.level, label: label, message: event.message.description,
            metadata: all, file: event.file, line: event.line,
            showLocation: showsLocation(event.level), colored: colored)
        configuration.output.write(line.bytes())
    }

    /// Adds `metadata` to `all`, its values winning; takes it whole when `all` is empty.
    private static func merge(_ metadata: Logger.Metadata, into all: inout Logger.Metadata) {
        if all.isEmpty {
            all = metadata
        } else {
            all.merge(metadata) { $1 }
        }
    }

    private func showsLocation(_ level: Logger.Level) -> Bool {
        switch configuration.sourceLocation {
        case .always: true
        case .never: false
        case .warningsAndAbove: level >= .warning
        }
    }

    /// `NO_COLOR` (https://no-color.org) unset or empty, and `TERM` not `dumb`.
    private static var environmentAllowsColor: Bool {
        if let noColor = getenv("NO_COLOR"), noColor.pointee != 0 { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }
}
