import BenchmarkSupport
import Logging
import MallocCounter
import WSLogging

/// What logging costs: a call that its level filters out (nothing is formatted), and a
/// formatted line written to a stream that discards it.
///
///     swift run -c release --package-path Benchmarks LoggingBenchmarks
///
/// A filtered-out call's cost is almost all swift-log's `Logger` (its handler sits in a
/// class behind an existential, read with a dynamic exclusivity check), so it is measured
/// side by side with the same call on swift-log's own `StreamLogHandler`.
@main
enum LoggingBenchmarks {
    static let callsPerBatch = 10_000

    static func main() {
        let machine = Machine.current()
        print("WSLogging benchmarks, \(machine.date)")
        print("machine: \(machine.model), \(machine.cores) cores online\n")
        var harness = Harness()
        let report = Report()
        report.printHeader()

        let discard = DiscardStream()
        let configuration = WebSocketLogger.Configuration(levels: LogLevels(default: .info), color: .never, output: .stream(discard))
        let logger = Logger(label: "WSServer") { WebSocketLogger(label: $0, configuration: configuration) }
        var reference = Logger(label: "WSServer") { StreamLogHandler.standardError(label: $0) }
        reference.logLevel = .info
        let connection = 17

        let harnessOnly = harness.rate(batch { blackHole($0) })
        report.printRow("the harness alone (an empty call)", nanoseconds(harnessOnly))

        let ours = batch { i in logger.debug("frame received", metadata: [WSLogKey.connection: "\(connection)", WSLogKey.length: "\(i)"]) }
        let theirs = batch { i in reference.debug("frame received", metadata: [WSLogKey.connection: "\(connection)", WSLogKey.length: "\(i)"]) }
        harness.warmUp(seconds: 0.5, ours)
        let filtered = harness.rates(ours, theirs)
        report.printRow("filtered-out debug call, swift-log's handler", nanoseconds(filtered.second))
        report.printRow("filtered-out debug call, WebSocketLogger", nanoseconds(filtered.first),
                        goal: Report.Goal(text: "≤ 1.2× swift-log's", passed: filtered.second / filtered.first <= 1.2))

        let before = malloc_counter_count()
        for i in 0..<callsPerBatch { logger.debug("frame", metadata: [WSLogKey.length: "\(i)"]) }
        let allocations = Double(malloc_counter_count() - before) / Double(callsPerBatch)
        report.printRow("allocations / filtered-out debug call", fixed(allocations, 3),
                        goal: Report.Goal(text: "= 0", passed: allocations == 0))

        let formatted = harness.rate(batch { _ in
            logger.info("upgraded", metadata: [WSLogKey.connection: "\(connection)", WSLogKey.remote: "127.0.0.1:50122", WSLogKey.target: "/chat"])
        })
        report.printRow("formatted info line, 3 metadata, to a stream", nanoseconds(formatted))
        let wslogged = harness.rate(batch { _ in wslog("joined", metadata: ["name": "ada"], logger: logger) })
        report.printRow("wslog line, to a stream", nanoseconds(wslogged))
        print("\nchecksum \(String(harness.checksum ^ discard.bytes, radix: 16)) (keeps the work observable)")
    }

    /// A batch of ``callsPerBatch`` calls of `body`.
    static func batch(_ body: @escaping (Int) -> Void) -> Harness.Batch {
        {
            for i in 0..<callsPerBatch { body(i) }
            return (callsPerBatch, UInt64(callsPerBatch))
        }
    }

    /// A rate in calls per second as nanoseconds per call.
    static func nanoseconds(_ rate: Double) -> String {
        fixed(1e9 / rate, 1e9 / rate < 100 ? 1 : 0) + " ns/call"
    }
}

/// A text stream that counts what it is given and keeps nothing. `@unchecked Sendable`:
/// the logger writes to it under its own lock.
final class DiscardStream: TextOutputStream, @unchecked Sendable {
    private(set) var bytes: UInt64 = 0
    func write(_ string: String) { bytes &+= UInt64(string.utf8.count) }
}
