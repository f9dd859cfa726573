import Logging
import Testing
@testable import WSLogging

/// Keeps Packages/WSLogging/README.md true: its setup example compiles, and the server log
/// it shows before and after enabling debug for one label is exactly what the handler writes.
@Suite("README examples")
struct ReadmeExampleTests {
    /// What a server logs while one client connects, sends a message and leaves.
    func serverSession(levels: String) throws -> [String] {
        var error = ""
        let levels = try #require(LogLevels(parsing: levels, error: &error))
        let stream = MemoryStream()
        func logger(_ label: String) -> Logger {
            let configuration = WebSocketLogger.Configuration(levels: levels, color: .never, output: .stream(stream), clock: fixedClock)
            return Logger(label: label) { WebSocketLogger(label: $0, configuration: configuration, metadataProvider: WebSocketLogContext.metadataProvider) }
        }
        let server = logger("WSServer"), http = logger("WSHTTP")
        server.info("listening", metadata: ["host": "::1", "port": "8080"])
        WebSocketLogContext.$metadata.withValue([WSLogKey.connection: "1", WSLogKey.remote: "[::1]:50122"]) {
            http.debug("upgrade accepted", metadata: [WSLogKey.target: "/chat", WSLogKey.subprotocol: "chat.v1"])
            http.trace("frame received", metadata: [WSLogKey.opcode: "text", WSLogKey.length: "5"])
            http.debug("closed", metadata: [WSLogKey.closeCode: "1000", WSLogKey.closeClean: "true"])
        }
        server.notice("upgrade refused", metadata: [WSLogKey.remote: "[::1]:50130", WSLogKey.status: "403", WSLogKey.reason: "origin not allowed"])
        return stream.lines
    }

    @Test("the server log at info")
    func atInfo() throws {
        #expect(try serverSession(levels: "info") == [
            "2026-11-25T10:49:54.123456Z info     WSServer: listening host=::1 port=8080",
            #"2026-11-25T10:49:54.123456Z notice   WSServer: upgrade refused ws.reason="origin not allowed" ws.remote=[::1]:50130 ws.status=403"#,
        ])
    }

    @Test("the server log with WSHTTP at debug")
    func withDebug() throws {
        #expect(try serverSession(levels: "info,WSHTTP=debug") == [
            "2026-11-25T10:49:54.123456Z info     WSServer: listening host=::1 port=8080",
            "2026-11-25T10:49:54.123456Z debug    WSHTTP: upgrade accepted ws.connection=1 ws.remote=[::1]:50122 ws.subprotocol=chat.v1 ws.target=/chat",
            "2026-11-25T10:49:54.123456Z debug    WSHTTP: closed ws.close.clean=true ws.close.code=1000 ws.connection=1 ws.remote=[::1]:50122",
            #"2026-11-25T10:49:54.123456Z notice   WSServer: upgrade refused ws.reason="origin not allowed" ws.remote=[::1]:50130 ws.status=403"#,
        ])
    }

    @Test("the setup example compiles")
    func setup() {
        func example() {
            // --- README: setup ---
            WebSocketLogger.bootstrap()   // reads WS_LOG_LEVEL, e.g. "info,WSHTTP=debug"
            let logger = Logger(label: "Chat")
            logger.info("started", metadata: ["rooms": "3"])
            wslog("a quick look at something", metadata: ["count": "7"])
            // --- end ---
        }
        _ = example  // not run: swift-log allows one bootstrap per process
    }
}
