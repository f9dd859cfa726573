import Logging
import Testing
@testable import WSLogging

@Suite("Log levels per label, from WS_LOG_LEVEL")
struct LogLevelsTests {
    @Test("parses a default and overrides")
    func parse() throws {
        var error = ""
        let levels = try #require(LogLevels(parsing: " notice , WSHTTP=debug,WSServer.limits=TRACE ", error: &error))
        #expect(levels == LogLevels(default: .notice, overrides: ["WSHTTP": .debug, "WSServer.limits": .trace]))
        #expect(levels.description == "notice,WSHTTP=debug,WSServer.limits=trace")
    }

    @Test("rejects an unknown level or an empty label, saying why")
    func malformed() {
        var error = ""
        #expect(LogLevels(parsing: "info,WSHTTP=loud", error: &error) == nil)
        #expect(error.contains("unknown log level 'loud'"))
        #expect(LogLevels(parsing: "=debug", error: &error) == nil)
        #expect(error.contains("empty label"))
    }

    @Test("the longest matching label wins, at dot boundaries")
    func lookup() {
        let levels = LogLevels(default: .info, overrides: ["WSServer": .debug, "WSServer.limits": .trace])
        #expect(levels.level(for: "WSServer") == .debug)
        #expect(levels.level(for: "WSServer.limits") == .trace)
        #expect(levels.level(for: "WSServer.limits.tokens") == .trace)
        #expect(levels.level(for: "WSServer.shutdown") == .debug)
        #expect(levels.level(for: "WSServerX") == .info)
        #expect(levels.level(for: "WSHTTP") == .info)
    }

    @Test("bootstrap's configuration takes the variable's levels, and ignores a bad value with a message")
    func fromEnvironment() {
        let stream = MemoryStream()
        let base = WebSocketLogger.Configuration(output: .stream(stream))
        #expect(WebSocketLogger.configuration(base, levelsFrom: "debug,WSHTTP=trace", variable: "WS_LOG_LEVEL").levels
            == LogLevels(default: .debug, overrides: ["WSHTTP": .trace]))
        #expect(WebSocketLogger.configuration(base, levelsFrom: nil, variable: "WS_LOG_LEVEL").levels == LogLevels())
        #expect(WebSocketLogger.configuration(base, levelsFrom: "shouty", variable: "WS_LOG_LEVEL").levels == LogLevels())
        #expect(stream.text.hasPrefix("WebSocketLogger: ignoring WS_LOG_LEVEL: unknown log level 'shouty'"))
    }
}
