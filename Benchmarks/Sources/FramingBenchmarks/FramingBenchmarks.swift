import MallocCounter
import BenchmarkSupport
import WSFraming

/// Measures WSFraming's hot paths and prints one table with a pass/FAIL per goal.
///
/// Run from the repository root: `swift run -c release --package-path Benchmarks FramingBenchmarks`.
/// Each rate is the best of five runs of 0.3 s; the whole run takes about 20 s.
@main
enum FramingBenchmarks {
    static func main() {
        let started = monotonicSeconds()
        let machine = Machine.current()
        print("WSFraming benchmarks, \(machine.date)")
        print("machine: \(machine.model), \(machine.cores) cores online")
        #if DEBUG
        print("warning: a debug build; run with -c release for meaningful numbers")
        #endif
        let counterWorks = checkMallocCounter()
        print()

        var harness = Harness()
        let report = Report()
        report.printHeader()
        byteRows(&harness, report)
        frameRows(&harness, report)
        allocationRows(report, counterWorks: counterWorks)

        print()
        print("checksum \(String(harness.checksum, radix: 16)) (keeps the work observable), "
            + "\(fixed(monotonicSeconds() - started, 1)) s in all")
    }

    /// Rows 1-3: memcpy, unmasking and UTF-8 validation of 16 KiB, in GB/s. Each ratio is to
    /// memcpy measured in batches alternating with that row's, so both saw the same machine.
    private static func byteRows(_ harness: inout Harness, _ report: Report) {
        let size = Workloads.payloadSize
        let ascii = ByteBenchmarks(payload: Workloads.asciiText(count: size))
        let memcpy = ascii.copy(&harness)
        report.printRow("memcpy 16 KiB (the yardstick)", gigabytes(memcpy), rate: memcpy, memcpy: memcpy)

        // Each goal: at least half of memcpy's speed.
        let rows = [
            ("unmask 16 KiB, copy-out: mask(from:to:)", ascii.unmaskCopying(&harness)),
            ("unmask 16 KiB, in place: mask(_:)", ascii.unmaskInPlace(&harness)),
            ("UTF-8 validate 16 KiB ASCII", ascii.validateUTF8(&harness)),
        ]
        for (name, result) in rows {
            let goal = Report.Goal(text: "≥ 0.50× memcpy", passed: result.rate >= 0.5 * result.memcpy)
            report.printRow(name, gigabytes(result.rate), rate: result.rate, memcpy: result.memcpy, goal: goal)
        }

        let text = Workloads.mixedScriptText(count: size)
        let nonASCII = text.count(where: { $0 >= 0x80 }) * 100 / text.count
        let mixed = ByteBenchmarks(payload: text).validateUTF8(&harness)
        report.printRow("UTF-8 validate 16 KiB mixed (\(nonASCII)% non-ASCII)", gigabytes(mixed.rate),
                        rate: mixed.rate, memcpy: mixed.memcpy)
    }

    /// Rows 4-5: decoding and encoding 64-byte frames, in frames per second.
    private static func frameRows(_ harness: inout Harness, _ report: Report) {
        let count = FrameBenchmarks.framesPerBatch
        let payload = Workloads.asciiText(count: 64)
        let text = String(decoding: payload, as: UTF8.self)

        let textFrames = Workloads.clientFrames(count: count, kind: .text, payload: payload)
        let decodeText = FrameBenchmarks.decodeRate(textFrames, &harness)
        report.printRow("decode 64 B masked text frames (validated)", millions(decodeText),
                        goal: .init(text: "≥ 10 M/s", passed: decodeText >= 10e6))
        let binaryFrames = Workloads.clientFrames(count: count, kind: .binary, payload: payload)
        let decodeBinary = FrameBenchmarks.decodeRate(binaryFrames, &harness)
        report.printRow("decode 64 B masked binary frames", millions(decodeBinary))

        let server = FrameBenchmarks.encodeRate(.server, text, &harness)
        report.printRow("encode 64 B text frames, server (unmasked)", millions(server))
        let client = FrameBenchmarks.encodeRate(.client, text, &harness)
        report.printRow("encode 64 B text frames, client (masked)", millions(client))
    }

    /// Row 6: heap allocations per small frame, decoded and encoded.
    private static func allocationRows(_ report: Report, counterWorks: Bool) {
        let count = FrameBenchmarks.framesPerBatch
        let payload64 = Workloads.asciiText(count: 64)
        let payload10 = Workloads.asciiText(count: 10)
        let text64 = String(decoding: payload64, as: UTF8.self)
        let rows: [(String, Double, Double?)] = [
            ("allocations / decoded 64 B binary frame",
             FrameBenchmarks.allocationsPerDecodedFrame(Workloads.clientFrames(count: count, kind: .binary, payload: payload64)), 1),
            ("allocations / decoded 64 B text frame",
             FrameBenchmarks.allocationsPerDecodedFrame(Workloads.clientFrames(count: count, kind: .text, payload: payload64)), 1),
            ("allocations / decoded 10 B text frame",
             FrameBenchmarks.allocationsPerDecodedFrame(Workloads.clientFrames(count: count, kind: .text, payload: payload10)), 0),
            ("allocations / encoded 64 B text frame, server",
             FrameBenchmarks.allocationsPerEncodedFrame(.server, text64), nil),
            ("allocations / encoded 64 B text frame, client",
             FrameBenchmarks.allocationsPerEncodedFrame(.client, text64), nil),
        ]
        for (name, allocations, limit) in rows {
            let goal = limit.map { Report.Goal(text: $0 == 0 ? "= 0" : "≤ \(Int($0))", passed: counterWorks && allocations <= $0) }
            report.printRow(name, counterWorks ? fixed(allocations, 3) : "n/a (no counter)", goal: goal)
        }
    }

    /// Checks that the allocation counter sees a 1000-byte array being allocated, and says so.
    private static func checkMallocCounter() -> Bool {
        let before = malloc_counter_count()
        let array = makeArray(count: 1000)
        let allocations = malloc_counter_count() &- before
        blackHole(array)
        let works = allocations >= 1
        print("malloc counter: a 1000-byte [UInt8] counted \(allocations) allocation(s)"
            + (works ? " (works)" : "; NOT WORKING, allocation rows are n/a"))
        return works
    }

    /// A heap-allocated array, made where the optimizer cannot move it to the stack.
    @inline(never)
    private static func makeArray(count: Int) -> [UInt8] {
        [UInt8](repeating: 7, count: count)
    }

    /// Bytes per second as "12.34 GB/s" (10⁹ bytes).
    private static func gigabytes(_ rate: Double) -> String { fixed(rate / 1e9, 2) + " GB/s" }

    /// Frames per second as "12.34 M frames/s".
    private static func millions(_ rate: Double) -> String { fixed(rate / 1e6, 2) + " M frames/s" }
}
