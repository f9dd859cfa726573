// The `websockets` command: `serve` (the demo page and an echo on every path) and `connect`
// (an interactive client like wscat, or an echo client for conformance runs).
import ArgumentParser
import WSLogging

@main
struct WebSocketsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "websockets",
        abstract: "WebSockets for Swift: a server with a demo page, and a client.",
        subcommands: [Serve.self, Connect.self])
}

/// Log levels as `WS_LOG_LEVEL` writes them: `info`, or `info,WSHTTP=debug`.
struct LogLevelOption: ExpressibleByArgument {
    let levels: LogLevels

    init?(argument: String) {
        var error = ""
        guard let levels = LogLevels(parsing: argument, error: &error) else { return nil }
        self.levels = levels
    }

    /// Sends every log line of the process through WebSocketLogger: at `option`'s levels when
    /// given, else at `WS_LOG_LEVEL`'s (default info).
    static func bootstrap(_ option: LogLevelOption?) {
        guard let option else {
            WebSocketLogger.bootstrap()
            return
        }
        // The option wins over the environment: read the levels from a variable nobody sets.
        WebSocketLogger.bootstrap(WebSocketLogger.Configuration(levels: option.levels), levelsVariable: "WEBSOCKETS_COMMAND_NO_LEVELS")
    }
}
