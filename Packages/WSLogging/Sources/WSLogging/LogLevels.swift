public import Logging

/// A minimum level for all labels, with overrides for some: turn one layer to `debug`
/// while the rest stay at `info`.
///
/// Written as in `WS_LOG_LEVEL=info,WSHTTP=debug,WSServer.limits=trace`: an optional default
/// level, then `label=level` pairs. A label also covers the labels below it, separated by
/// dots (`WSServer` covers `WSServer.limits`); the longest match wins.
public struct LogLevels: Sendable, Hashable, CustomStringConvertible {
    /// The level for labels without an override.
    public var defaultLevel: Logger.Level
    /// Levels for particular labels and the labels below them.
    public var overrides: [String: Logger.Level]

    /// Creates levels.
    public init(default defaultLevel: Logger.Level = .info, overrides: [String: Logger.Level] = [:]) {
        self.defaultLevel = defaultLevel
        self.overrides = overrides
    }

    /// Parses `info,WSHTTP=debug`; `nil`, with the reason in `error`, for a malformed text.
    ///
    /// Levels are swift-log's names (`trace`, `debug`, `info`, `notice`, `warning`, `error`,
    /// `critical`), in any case. Spaces around items are ignored.
    public init?(parsing text: String, error: inout String) {
        self.init()
        for item in text.split(separator: ",") {
            let item = item.trimmingSpaces
            guard !item.isEmpty else { continue }
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            guard let level = Logger.Level(rawValue: parts[parts.count - 1].lowercased()) else {
                error = "unknown log level '\(parts[parts.count - 1])' in '\(text)'; use trace, debug, info, notice, warning, error or critical"
                return nil
            }
            if parts.count == 1 {
                defaultLevel = level
            } else if parts[0].isEmpty {
                error = "empty label before '=' in '\(text)'"
                return nil
            } else {
                overrides[parts[0]] = level
            }
        }
    }

    /// The level for `label`: its own override, the closest override above it, or the default.
    public func level(for label: String) -> Logger.Level {
        var candidate = Substring(label)
        while true {
            if let level = overrides[String(candidate)] { return level }
            guard let dot = candidate.lastIndex(of: ".") else { return defaultLevel }
            candidate = candidate[..<dot]
        }
    }

    public var description: String {
        ([defaultLevel.rawValue] + overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" })
            .joined(separator: ",")
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
