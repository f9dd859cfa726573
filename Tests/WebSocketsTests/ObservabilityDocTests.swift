import Testing
import WebSockets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Docs/Observability.md's metric table is the code's: `WebSocketMetrics.instruments`.
@Suite("Docs/Observability.md lists every instrument as the code names it")
struct ObservabilityDocTests {
    @Test("a row per instrument: its name, its Prometheus name, its kind, its unit and its labels; and no row more")
    func table() throws {
        let path = String(#filePath.dropLast("Tests/WebSocketsTests/ObservabilityDocTests.swift".count)) + "Docs/Observability.md"
        let rows = try Self.read(path).split(separator: "\n").filter { $0.hasPrefix("| `") }.map(String.init)
        for instrument in WebSocketMetrics.instruments {
            let labels = instrument.labels.map { "`\($0)`" }.joined(separator: ", ")
            let row = "| `\(instrument.name)` | `\(WebSocketMetrics.prometheusName(instrument.name))` | \(instrument.kind.rawValue) | "
                + "\(instrument.unit) |" + (labels.isEmpty ? " |" : " \(labels) |")
            #expect(rows.contains { $0.hasPrefix(row) }, "no row begins \(row)")
        }
        #expect(rows.count == WebSocketMetrics.instruments.count)
    }

    private static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw ReadError(path: path) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let count = fread(&chunk, 1, chunk.count, file), count > 0 { bytes += chunk[..<count] }
        return String(decoding: bytes, as: UTF8.self)
    }

    struct ReadError: Error { let path: String }
}
