import Testing
import WSFraming

@Suite("UTF-8 validation (RFC 6455 §8.1, Unicode Table 3-7)")
struct UTF8ValidatorTests {
    static let valid: [String] = [
        "", "Hello", "00", "7f", "c2 80", "df bf", "e0 a0 80", "ef bf bf", "ed 9f bf", "ee 80 80",
        "ef bf bd", "ef bf be", "f0 90 80 80", "f4 8f bf bf", "f3 bf bf bf",
        "ce ba e1 bd b9 cf 83 ce bc ce b5", // κόσμε, from the classic stress test
        "e2 82 ac f0 9f 98 80 e4 b8 ad",    // € 😀 中
    ]

    struct Invalid: CustomTestStringConvertible, Sendable {
        let hex: String
        /// The index of the first byte after which no continuation can make the bytes valid.
        let failsAt: Int
        let what: String
        var testDescription: String { "\(what): \(hex)" }
    }

    static let invalid: [Invalid] = [
        Invalid(hex: "80", failsAt: 0, what: "lone continuation byte"),
        Invalid(hex: "41 bf", failsAt: 1, what: "continuation after ASCII"),
        Invalid(hex: "c0 80", failsAt: 0, what: "overlong NUL, 2 bytes"),
        Invalid(hex: "c1 bf", failsAt: 0, what: "overlong 2-byte"),
        Invalid(hex: "e0 80 80", failsAt: 1, what: "overlong NUL, 3 bytes"),
        Invalid(hex: "e0 9f bf", failsAt: 1, what: "overlong U+07FF, 3 bytes"),
        Invalid(hex: "f0 80 80 80", failsAt: 1, what: "overlong NUL, 4 bytes"),
        Invalid(hex: "f0 8f bf bf", failsAt: 1, what: "overlong U+FFFF, 4 bytes"),
        Invalid(hex: "ed a0 80", failsAt: 1, what: "surrogate U+D800"),
        Invalid(hex: "ed bf bf", failsAt: 1, what: "surrogate U+DFFF"),
        Invalid(hex: "ed a0 80 ed b0 80", failsAt: 1, what: "surrogate pair"),
        Invalid(hex: "f4 90 80 80", failsAt: 1, what: "U+110000, past U+10FFFF"),
        Invalid(hex: "f5 80 80 80", failsAt: 0, what: "lead byte F5"),
        Invalid(hex: "f8 88 80 80 80", failsAt: 0, what: "5-byte form"),
        Invalid(hex: "fc 84 80 80 80 80", failsAt: 0, what: "6-byte form"),
        Invalid(hex: "fe", failsAt: 0, what: "byte FE"),
        Invalid(hex: "ff", failsAt: 0, what: "byte FF"),
        Invalid(hex: "c2 41", failsAt: 1, what: "2-byte sequence cut by ASCII"),
        Invalid(hex: "e1 80 41", failsAt: 2, what: "3-byte sequence cut by ASCII"),
        Invalid(hex: "f1 80 80 c2", failsAt: 3, what: "4-byte sequence cut by a lead byte"),
        Invalid(hex: "ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64", failsAt: 12, what: "Autobahn 6.3.1"),
        Invalid(hex: "ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80 65 64 69 74 65 64", failsAt: 12, what: "Autobahn 6.4.1"),
    ]

    static let truncated = ["c2", "e0 a0", "e1 80", "f0 90 80", "f4 8f bf", "41 42 e2 82"]

    @Test("accepts valid sequences, boundaries and noncharacters", arguments: valid)
    func acceptsValid(_ bytes: String) {
        let input = bytes.contains(" ") || bytes.count == 2 ? hex(bytes) : Array(bytes.utf8)
        #expect(UTF8Validator.isValid(input))
    }

    @Test("rejects invalid sequences from the stress test", arguments: invalid)
    func rejectsInvalid(_ vector: Invalid) {
        #expect(!UTF8Validator.isValid(hex(vector.hex)))
    }

    @Test("fails fast: at the first byte that no continuation can make valid (RFC 6455 §8.1)", arguments: invalid)
    func failsFast(_ vector: Invalid) {
        let bytes = hex(vector.hex)
        var validator = UTF8Validator()
        let prefixOK = validator.validate(Array(bytes[..<vector.failsAt]))
        #expect(prefixOK, "the prefix can still become valid")
        let failingByteOK = validator.validate([bytes[vector.failsAt]])
        #expect(!failingByteOK)
        #expect(validator.hasFailed)
        let afterOK = validator.validate(Array("more".utf8))
        #expect(!afterOK, "stays failed")
    }

    @Test("a sequence cut at the end is incomplete, not failed", arguments: truncated)
    func truncatedSequence(_ vector: String) {
        var validator = UTF8Validator()
        let ok = validator.validate(hex(vector))
        #expect(ok)
        #expect(!validator.isComplete)
        #expect(!validator.hasFailed)
    }

    @Test("gives the same verdict fed whole, byte by byte, or split at random", arguments: Split.allCases)
    func splits(_ split: Split) {
        var rng = SeededRandom(seed: 11)
        for round in 0..<300 {
            let bytes = Self.randomBytes(&rng)
            var validator = UTF8Validator()
            var ok = true
            for piece in split.pieces(of: bytes, seed: UInt64(round)) where ok {
                ok = validator.validate(piece)
            }
            #expect((ok && validator.isComplete) == UTF8Validator.isValid(bytes))
        }
    }

    @Test("agrees with the standard library on random byte strings")
    func agreesWithStandardLibrary() {
        var rng = SeededRandom(seed: 12)
        for _ in 0..<5_000 {
            let bytes = Self.randomBytes(&rng)
            #expect(UTF8Validator.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    @Test("accepts long ASCII and mixed text through the fast path, and finds one bad byte anywhere")
    func longRuns() {
        let text = Array(String(repeating: "plain ascii text, then κόσμε and 😀; ", count: 40).utf8)
        #expect(UTF8Validator.isValid(text))
        for position in stride(from: 0, to: text.count, by: 37) {
            var broken = text
            broken[position] = 0xFF
            #expect(!UTF8Validator.isValid(broken), "0xFF at \(position)")
        }
    }

    /// Random bytes, mostly valid UTF-8 with some invalid bytes mixed in.
    static func randomBytes(_ rng: inout SeededRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 0...24, using: &rng) {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: bytes.append(UInt8.random(in: 0x80...0xFF, using: &rng))
            case 1...3: bytes.append(UInt8.random(in: 0...0x7F, using: &rng))
            default:
                let scalar = Unicode.Scalar(UInt32.random(in: 0x80...0x10FFFF, using: &rng)) ?? "?"
                bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
        }
        return bytes
    }
}
