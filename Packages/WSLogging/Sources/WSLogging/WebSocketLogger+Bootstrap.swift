#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

extension WebSocketLogger {
    /// Makes ``WebSocketLogger`` the process's log handler, with the levels from an
    /// environment variable and ``WebSocketLogContext`` as the metadata provider.
    ///
    /// Call it once, at the start of `main` (swift-log allows one bootstrap per process).
    ///
    /// ```swift
    /// WebSocketLogger.bootstrap()          // WS_LOG_LEVEL=info,WSHTTP=debug swift run …
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: how to write; its `levels` are replaced by the variable's when set.
    ///   - levelsVariable: the environment variable with the levels (``LogLevels`` syntax);
    ///     default `WS_LOG_LEVEL`. A malformed value is reported on standard error and ignored.
    public static func bootstrap(_ configuration: Configuration = Configuration(), levelsVariable: String = "WS_LOG_LEVEL") {
        let configuration = Self.configuration(configuration, levelsFrom: getenv(levelsVariable).map { String(cString: $0) }, variable: levelsVariable)
        LoggingSystem.bootstrap({ label, provider in
            WebSocketLogger(label: label, configuration: configuration, metadataProvider: provider)
        }, metadataProvider: WebSocketLogContext.metadataProvider)
    }

    /// `configuration` with its levels taken from `text`, when `text` is given and valid.
    static func configuration(_ configuration: Configuration, levelsFrom text: String?, variable: String) -> Configuration {
        guard let text, !text.isEmpty else { return configuration }
        var error = ""
        guard let levels = LogLevels(parsing: text, error: &error) else {
            configuration.output.write("WebSocketLogger: ignoring \(variable): \(error)\n")
            return configuration
        }
        var configuration = configuration
        configuration.levels = levels
        return configuration
    }
}
