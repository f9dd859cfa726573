import BenchmarkSupport
import WSFraming

/// The inputs the benchmarks work on, generated deterministically.
enum Workloads {
    /// The size of the byte-level payloads (memcpy, masking, UTF-8): 16 KiB, which stays in
    /// the L1 or L2 cache so the loop, not memory bandwidth, is measured.
    static let payloadSize = 16 * 1024

    /// `count` bytes of English ASCII text.
    static func asciiText(count: Int) -> [UInt8] {
        let sentence = Array("The quick brown fox jumps over the lazy dog, 0123456789 times. ".utf8)
        return (0..<count).map { sentence[$0 % sentence.count] }
    }

    /// `count` bytes of valid UTF-8: words of Latin with accents, Greek, Cyrillic, CJK,
    /// Korean, Arabic and emoji, picked by a seeded generator, padded with spaces.
    static func mixedScriptText(count: Int) -> [UInt8] {
        let words = [
            "hello", "world", "Grüße", "naïve", "café", "Καλημέρα", "κόσμε", "Привет", "мир",
            "日本語", "你好世界", "한국어", "العربية", "🚀", "🎉", "👩‍💻",
        ].map { Array($0.utf8) + [0x20] }
        var random = SplitMix64(seed: 0x5EED)
        var text: [UInt8] = []
        text.reserveCapacity(count)
        while true {
            let word = words[Int(random.next() % UInt64(words.count))]
            guard text.count + word.count <= count else { break }
            text += word
        }
        text += repeatElement(0x20, count: count - text.count)
        return text
    }

    /// `count` frames that a client sends, end to end: each a whole masked message of
    /// `payload` (text or binary), each with a fresh masking key.
    static func clientFrames(count: Int, kind: MessageKind, payload: [UInt8]) -> [UInt8] {
        var client = WebSocketConnection(role: .client)
        var wire: [UInt8] = []
        wire.reserveCapacity(count * (payload.count + FrameHeader.maxEncodedSize))
        let text = String(decoding: payload, as: UTF8.self)
        do {
            for _ in 0..<count {
                switch kind {
                case .text: try client.sendText(text, into: &wire)
                case .binary: try client.sendBinary(payload, into: &wire)
                }
            }
        } catch {
            bail("cannot encode the client frames: \(error)")
        }
        return wire
    }
}

/// A small seeded random number generator (SplitMix64), so inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator whose sequence `seed` determines.
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
