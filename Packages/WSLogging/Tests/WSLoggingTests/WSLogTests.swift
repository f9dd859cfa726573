import Logging
import Testing
@testable import WSLogging

@Suite("wslog and the connection's task-local context")
struct WSLogTests {
    @Test("wslog writes at its own level with the caller's location")
    func ownLevel() {
        let stream = MemoryStream()
        let logger = makeLogger("Chat", stream: stream, timestamp: .none, sourceLocation: .always)
        wslog("joined", metadata: ["name": "ada"], logger: logger, file: "Chat/Room.swift", line: 42)
        #expect(stream.lines == ["wslog    Chat: joined name=ada (Chat/Room.swift:42)"])
    }

    @Test("wslog is coloured magenta on a terminal")
    func colour() {
        let stream = MemoryStream()
        wslog("x", logger: makeLogger("Chat", stream: stream, color: .always, timestamp: .none))
        #expect(stream.lines == ["\u{1B}[1;35mwslog\u{1B}[0m    Chat: x"])
    }

    @Test("wslog carries the connection's metadata from the task-local context across an await")
    func taskLocal() async {
        let stream = MemoryStream()
        let logger = makeLogger("Chat", stream: stream, timestamp: .none)
        await WebSocketLogContext.with([WSLogKey.connection: "7", WSLogKey.remote: "127.0.0.1:50122"]) {
            await Task.yield()
            try? await Task.sleep(for: .milliseconds(1))
            wslog("after an await", logger: logger)
            await WebSocketLogContext.with([WSLogKey.target: "/chat"]) {
                wslog("nested", logger: logger)
            }
        }
        wslog("outside", logger: logger)
        #expect(stream.lines == [
            "wslog    Chat: after an await ws.connection=7 ws.remote=127.0.0.1:50122",
            "wslog    Chat: nested ws.connection=7 ws.remote=127.0.0.1:50122 ws.target=/chat",
            "wslog    Chat: outside",
        ])
    }

    @Test("the context's metadata provider adds the connection to every record, in child tasks too")
    func provider() async {
        let stream = MemoryStream()
        let logger = makeLogger("WSHTTP", stream: stream, timestamp: .none, metadataProvider: WebSocketLogContext.metadataProvider)
        await WebSocketLogContext.with([WSLogKey.connection: "3"]) {
            await Task { logger.info("in a child task") }.value
        }
        #expect(stream.lines == ["info     WSHTTP: in a child task ws.connection=3"])
    }

    @Test("wslog is silent when its logger's level is above notice")
    func silent() {
        let stream = MemoryStream()
        wslog("x", logger: makeLogger(stream: stream, levels: LogLevels(default: .error)))
        #expect(stream.text.isEmpty)
    }
}
