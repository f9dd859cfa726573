import Logging
import Testing
@testable import WSLogging

@Suite("WebSocketLogger: one line per record")
struct WebSocketLoggerTests {
    @Test("formats time, level, label, message, sorted metadata")
    func basicLine() {
        let stream = MemoryStream()
        let logger = makeLogger(stream: stream)
        logger.info("listening", metadata: ["port": "8080", "host": "::1"])
        #expect(stream.lines == ["2026-11-25T10:49:54.123456Z info     WSServer: listening host=::1 port=8080"])
    }

    @Test("warnings and above end with the caller's file and line")
    func sourceLocation() {
        let stream = MemoryStream()
        let logger = makeLogger(stream: stream)
        logger.warning("slow client", file: "WSServer/Limits.swift", line: 88)
        logger.notice("no location", file: "WSServer/Limits.swift", line: 89)
        #expect(stream.lines == [
            "2026-11-25T10:49:54.123456Z warning  WSServer: slow client (WSServer/Limits.swift:88)",
            "2026-11-25T10:49:54.123456Z notice   WSServer: no location",
        ])
    }

    @Test("source location always or never, when asked")
    func sourceLocationPolicies() {
        let always = MemoryStream(), never = MemoryStream()
        makeLogger(stream: always, sourceLocation: .always).info("x", file: "A/B.swift", line: 1)
        makeLogger(stream: never, sourceLocation: .never).error("y", file: "A/B.swift", line: 2)
        #expect(always.lines == ["2026-11-25T10:49:54.123456Z info     WSServer: x (A/B.swift:1)"])
        #expect(never.lines == ["2026-11-25T10:49:54.123456Z error    WSServer: y"])
    }

    @Test("the monotonic time since start, when asked; or no time at all")
    func timestamps() {
        let uptime = MemoryStream(), none = MemoryStream()
        makeLogger(stream: uptime, timestamp: .wallClockAndUptime).info("x")
        makeLogger(stream: none, timestamp: .none).info("x")
        #expect(uptime.lines == ["2026-11-25T10:49:54.123456Z +12.500000 info     WSServer: x"])
        #expect(none.lines == ["info     WSServer: x"])
    }

    @Test("multi-line messages: later lines indented, metadata on the first")
    func multiLine() {
        let stream = MemoryStream()
        makeLogger(stream: stream, timestamp: .none).info("first\nsecond\nthird", metadata: ["k": "v"])
        #expect(stream.lines == ["info     WSServer: first k=v", "    second", "    third"])
    }

    @Test("values with spaces, quotes, = or control characters are quoted and escaped")
    func quoting() {
        let stream = MemoryStream()
        makeLogger(stream: stream, timestamp: .none).info("m", metadata: [
            "a": "plain", "b": "two words", "c": "say \"hi\"", "d": "x=y", "e": "", "f": "line\nbreak",
        ])
        #expect(stream.lines == [#"info     WSServer: m a=plain b="two words" c="say \"hi\"" d="x=y" e="" f="line\nbreak""#])
    }

    @Test("metadata merges handler, provider and call site, the later winning")
    func metadataMerge() {
        let stream = MemoryStream()
        let provider = Logger.MetadataProvider { ["from": "provider", "p": "1"] }
        var logger = makeLogger(stream: stream, timestamp: .none, metadataProvider: provider)
        logger[metadataKey: "from"] = "handler"
        logger[metadataKey: "h"] = "1"
        logger.info("a")
        logger.info("b", metadata: ["from": "call", "c": "1"])
        #expect(stream.lines == [
            "info     WSServer: a from=provider h=1 p=1",
            "info     WSServer: b c=1 from=call h=1 p=1",
        ])
    }

    @Test("the level is coloured when asked, plain when not")
    func colour() {
        let colored = MemoryStream(), plain = MemoryStream()
        makeLogger(stream: colored, color: .always, timestamp: .none, sourceLocation: .never).error("boom")
        makeLogger(stream: plain, color: .never, timestamp: .none, sourceLocation: .never).error("boom")
        #expect(colored.lines == ["\u{1B}[31merror\u{1B}[0m    WSServer: boom"])
        #expect(plain.lines == ["error    WSServer: boom"])
    }

    @Test("automatic colour is off for a stream that is not a terminal")
    func automaticColourOffForStreams() {
        let stream = MemoryStream()
        makeLogger(stream: stream, color: .automatic, timestamp: .none).info("x")
        #expect(stream.lines == ["info     WSServer: x"])
    }

    @Test("records below the handler's level are not written")
    func levels() {
        let stream = MemoryStream()
        var logger = makeLogger(stream: stream, timestamp: .none)
        logger.debug("hidden")
        logger.info("shown")
        logger.logLevel = .trace
        logger.trace("now shown")
        #expect(stream.lines == ["info     WSServer: shown", "trace    WSServer: now shown"])
    }

    @Test("a filtered-out record's message is never built")
    func lazyMessage() {
        let stream = MemoryStream()
        let logger = makeLogger(stream: stream)
        var built = false
        logger.debug("\({ built = true; return "x" }())")
        #expect(!built)
    }

    @Test("per-label levels: one layer at debug, the rest at info")
    func perLabel() {
        let stream = MemoryStream()
        let levels = LogLevels(default: .info, overrides: ["WSHTTP": .debug])
        makeLogger("WSHTTP", stream: stream, levels: levels, timestamp: .none).debug("upgrade")
        makeLogger("WSHTTP.tls", stream: stream, levels: levels, timestamp: .none).debug("handshake")
        makeLogger("WSServer", stream: stream, levels: levels, timestamp: .none).debug("hidden")
        #expect(stream.lines == ["debug    WSHTTP: upgrade", "debug    WSHTTP.tls: handshake"])
    }

    @Test("lines from many threads never interleave")
    func concurrentLines() async {
        let stream = MemoryStream()
        let logger = makeLogger(stream: stream, timestamp: .none)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask { for i in 0..<100 { logger.info("task \(task) line \(i)") } }
            }
        }
        #expect(stream.lines.count == 800)
        #expect(stream.lines.allSatisfy { $0.hasPrefix("info     WSServer: task ") })
    }
}
