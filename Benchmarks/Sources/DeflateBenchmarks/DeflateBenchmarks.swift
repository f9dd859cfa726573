// permessage-deflate on a JSON corpus, per setting: how fast it compresses and decompresses,
// how much smaller the messages get, and how much memory zlib holds per connection. Prints
// the table of Packages/WSFraming/README.md ("Compression"):
//
//     swift run -c release --package-path Benchmarks DeflateBenchmarks
import BenchmarkSupport
import WSDeflate
import WSFraming

/// One row: the parameters a connection negotiated and compresses with.
struct Setting {
    var name: String
    var windowBits: Int
    var memoryLevel: Int
    var contextTakeover: Bool
    var level = 6
}

let settings = [
    Setting(name: "15-bit windows, memory level 8 (zlib's defaults)", windowBits: 15, memoryLevel: 8, contextTakeover: true),
    Setting(name: "12-bit windows, memory level 5 (our default)", windowBits: 12, memoryLevel: 5, contextTakeover: true),
    Setting(name: "12-bit windows, memory level 5, level 1", windowBits: 12, memoryLevel: 5, contextTakeover: true, level: 1),
    Setting(name: "10-bit windows, memory level 4", windowBits: 10, memoryLevel: 4, contextTakeover: true),
    Setting(name: "9-bit windows, memory level 1", windowBits: 9, memoryLevel: 1, contextTakeover: true),
    Setting(name: "no context takeover, 15 bits, memory level 8", windowBits: 15, memoryLevel: 8, contextTakeover: false),
    Setting(name: "no context takeover, 12 bits, memory level 5", windowBits: 12, memoryLevel: 5, contextTakeover: false),
]

/// A deterministic JSON corpus of the kind servers push: chat messages, market ticks and
/// presence updates, 60 to 400 bytes each, from a small vocabulary (as real traffic is).
func corpus(count: Int) -> [[UInt8]] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
    let words = ["the", "order", "shipped", "price", "is", "up", "down", "today", "meeting", "at", "noon", "thanks",
                 "see", "you", "soon", "deploy", "finished", "build", "green", "review", "please", "ok", "great", "now"]
    let symbols = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "META", "ORCL"]
    let rooms = ["general", "random", "ops", "design"]
    var messages: [[UInt8]] = []
    var time = 1_764_000_000_000
    for _ in 0..<count {
        time += next(500)
        let text: String
        switch next(3) {
        case 0:
            let sentence = (0..<(3 + next(30))).map { _ in words[next(words.count)] }.joined(separator: " ")
            text = #"{"type":"message","room":"\#(rooms[next(rooms.count)])","user":"user\#(next(200))","text":"\#(sentence)","ts":\#(time)}"#
        case 1:
            let price = 100 + next(900)
            text = #"{"type":"tick","symbol":"\#(symbols[next(symbols.count)])","bid":\#(price).\#(next(100)),"ask":\#(price).\#(next(100)),"volume":\#(next(10_000)),"ts":\#(time)}"#
        default:
            text = #"{"type":"presence","user":"user\#(next(200))","status":"\#(["online", "away", "offline"][next(3)])","devices":[\#((0..<(1 + next(3))).map { _ in #""device\#(next(9))""# }.joined(separator: ","))],"ts":\#(time)}"#
        }
        messages.append(Array(text.utf8))
    }
    return messages
}

/// What one setting does to the corpus.
struct Result {
    var compressMBps: Double
    var decompressMBps: Double
    var ratio: Double
    var compressorBytes: Int
    var decompressorBytes: Int
}

func measure(_ setting: Setting, _ messages: [[UInt8]], rounds: Int) -> Result {
    let parameters = PerMessageDeflate.Parameters(
        outboundNoContextTakeover: !setting.contextTakeover, inboundNoContextTakeover: !setting.contextTakeover,
        outboundMaxWindowBits: setting.windowBits, inboundMaxWindowBits: setting.windowBits)
    let compression = PerMessageDeflate.Compression(level: setting.level, memoryLevel: setting.memoryLevel, threshold: 0)
    let original = messages.reduce(0) { $0 + $1.count }
    var compressTime = Double.infinity, decompressTime = Double.infinity
    var compressedBytes = 0, compressorBytes = 0, decompressorBytes = 0
    for _ in 0..<rounds {
        // A new pair per round: each round is one connection carrying the whole corpus.
        let sender = PerMessageDeflate(parameters: parameters, compression: compression)
        let receiver = PerMessageDeflate(parameters: parameters, compression: compression)
        var compressed: [[UInt8]] = []
        compressed.reserveCapacity(messages.count)
        var started = monotonicSeconds()
        for message in messages {
            guard let encoded = try? message.withUnsafeBytes({ try sender.encode($0, kind: .text) }) else { bail("compression failed") }
            compressed.append(encoded.bytes)
        }
        compressTime = min(compressTime, monotonicSeconds() - started)
        var decoded = 0
        started = monotonicSeconds()
        for message in compressed {
            do {
                try message.withUnsafeBytes { bytes in
                    try receiver.decode(bytes, isFinal: true) { piece in
                        decoded += piece.count
                        return true
                    }
                }
            } catch { bail("decompression failed: \(error)") }
        }
        decompressTime = min(decompressTime, monotonicSeconds() - started)
        guard decoded == original else { bail("decompressed \(decoded) bytes, not \(original)") }
        compressedBytes = compressed.reduce(0) { $0 + $1.count }
        compressorBytes = sender.memoryInUse
        decompressorBytes = receiver.memoryInUse
    }
    return Result(compressMBps: Double(original) / compressTime / 1e6, decompressMBps: Double(original) / decompressTime / 1e6,
                  ratio: Double(compressedBytes) / Double(original), compressorBytes: compressorBytes, decompressorBytes: decompressorBytes)
}

#if DEBUG
print("warning: a debug build; its numbers mean nothing (use -c release)")
#endif
let machine = Machine.current()
let messages = corpus(count: 20_000)
let total = messages.reduce(0) { $0 + $1.count }
print("permessage-deflate on \(messages.count) JSON messages (\(total / 1000) kB, \(total / messages.count) B on average), zlib level 6 unless said")
print("\(machine.model), \(machine.cores) cores, \(machine.date); best of 3 runs")
print("")
func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
print(pad("setting", 48) + pad("compress", 12) + pad("decompress", 12) + pad("size", 8) + pad("memory per connection", 20))
print(String(repeating: "-", count: 112))
for setting in settings {
    let result = measure(setting, messages, rounds: 3)
    let kib = { (bytes: Int) in "\((bytes + 512) / 1024) KiB" }
    print(pad(setting.name, 48) + pad(fixed(result.compressMBps, 0) + " MB/s", 12)
          + pad(fixed(result.decompressMBps, 0) + " MB/s", 12) + pad(fixed(result.ratio * 100, 1) + "%", 8)
          + "\(kib(result.compressorBytes + result.decompressorBytes)) (compressor \(kib(result.compressorBytes)), decompressor \(kib(result.decompressorBytes)))")
}
