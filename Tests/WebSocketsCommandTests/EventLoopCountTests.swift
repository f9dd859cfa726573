import ArgumentParser
import NIOCore
import Testing
@testable import WebSocketsCommand

@Suite("websockets serve: one event loop per CPU the process may run on")
struct EventLoopCountTests {
    @Test("a CPU list counts every CPU it names", arguments: [
        ("0", 1), ("0-1", 2), ("1", 1), ("0-3,8", 5), ("0-3,8,10-11", 7), (" 2-5\t", 4),
    ])
    func list(text: String, count: Int) {
        #expect(EventLoopCount.count(list: text[...]) == count)
    }

    @Test("what is not a CPU list counts nothing", arguments: ["", "x", "3-1", "1-2-3", "-1", "0,,", ","])
    func notAList(text: String) {
        #expect(EventLoopCount.count(list: text[...]) == nil)
    }

    @Test("the count comes from Cpus_allowed_list in /proc/self/status")
    func status() {
        let status = "Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n"
        #expect(EventLoopCount.allowedCPUs(status: status) == 2)
        #expect(EventLoopCount.allowedCPUs(status: "Name:\tx\n") == nil)
        #expect(EventLoopCount.allowedCPUs(status: nil) == nil)
    }

    @Test("this process: at least one loop, never more than NIO's core count")
    func available() {
        #expect(EventLoopCount.available >= 1)
        #expect(EventLoopCount.available <= max(1, System.coreCount))
        #if os(Linux)
        #expect(EventLoopCount.allowedCPUs() != nil)
        #endif
    }

    @Test("--event-loops takes 1 to 1024")
    func flag() throws {
        #expect(try Serve.parse(["--event-loops", "3"]).eventLoops == 3)
        #expect(try Serve.parse([]).eventLoops == nil)
        for bad in ["0", "1025", "-1"] {
            #expect(throws: (any Error).self) { try Serve.parse(["--event-loops", bad]) }
        }
    }
}
