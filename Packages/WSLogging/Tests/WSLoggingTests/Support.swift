import Logging
import Synchronization
@testable import WSLogging

/// A text stream in memory that tests read back. `@unchecked Sendable`: `text` is only
/// touched under `lock`.
final class MemoryStream: TextOutputStream, @unchecked Sendable {
    private let lock = Mutex("")
    func write(_ string: String) { lock.withLock { $0 += string } }
    var text: String { lock.withLock { $0 } }
    var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
}

/// 2026-11-25T10:49:54.123456Z, 12.5 s after start.
let fixedClock = LogClock { LogClock.Reading(seconds: 1_795_603_794, microseconds: 123_456, uptime: 12.5) }

/// A logger that writes into `stream` with a fixed clock and no colour unless asked.
func makeLogger(
    _ label: String = "WSServer", stream: MemoryStream, levels: LogLevels = LogLevels(),
    color: WebSocketLogger.Configuration.Color = .never,
    timestamp: WebSocketLogger.Configuration.Timestamp = .wallClock,
    sourceLocation: WebSocketLogger.Configuration.SourceLocation = .warningsAndAbove,
    metadataProvider: Logger.MetadataProvider? = nil
) -> Logger {
    let configuration = WebSocketLogger.Configuration(
        levels: levels, color: color, timestamp: timestamp, sourceLocation: sourceLocation,
        output: .stream(stream), clock: fixedClock)
    return Logger(label: label) { label in
        WebSocketLogger(label: label, configuration: configuration, metadataProvider: metadataProvider)
    }
}
