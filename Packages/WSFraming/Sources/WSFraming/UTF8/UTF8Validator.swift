/// An incremental UTF-8 validator that fails as soon as a sequence can no longer become
/// valid (RFC 6455 §8.1, Unicode 15 Table 3-7).
///
/// Feed it a text message's bytes in any number of pieces: ``validate(_:)-(UnsafeRawBufferPointer)`` returns `false`
/// at the first piece that holds a byte which no valid continuation could follow (overlong
/// forms, surrogates, code points past U+10FFFF, stray continuation bytes), not at the end
/// of the message. At the end, ``isComplete`` says whether the last sequence was finished.
///
/// Runs of ASCII are checked 64 and 8 bytes at a time; other bytes step an automaton whose
/// transitions for one byte are packed in a 64-bit word, so a step is a load and a shift.
public struct UTF8Validator: Sendable, Hashable {
    /// The automaton's state, as the bit offset of its field in a transition word: state
    /// `n` is `6 * n`. Between sequences it is `accept`.
    var state: UInt64 = Self.accept

    /// Creates a validator at the start of a message.
    public init() {}

    /// Whether every byte so far forms complete, valid sequences.
    public var isComplete: Bool { state == Self.accept }

    /// Whether a byte so far can no longer be part of valid UTF-8. Once failed, stays failed.
    public var hasFailed: Bool { state == Self.reject }

    /// Forgets all input, ready for a new message.
    public mutating func reset() { state = Self.accept }

    /// Validates the next piece of a message.
    ///
    /// - Returns: `false` if the bytes so far can no longer be valid UTF-8, whatever follows.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return state != Self.reject }
        // All-ASCII input (the common case) never needs the transition table.
        if state == Self.accept, Self.asciiPrefix(base, bytes.count) == bytes.count { return true }
        state = Self.rows.withUnsafeBufferPointer { Self.run(state, base, bytes.count, $0) }
        return state != Self.reject
    }

    /// Validates the next piece of a message.
    public mutating func validate(_ bytes: some Sequence<UInt8>) -> Bool {
        if let result = bytes.withContiguousStorageIfAvailable({ validate(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        let array = Array(bytes)
        return array.withUnsafeBytes { validate($0) }
    }

    /// Whether `bytes` is, as a whole, valid UTF-8.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }

    /// Whether `bytes` is, as a whole, valid UTF-8.
    public static func isValid(_ bytes: some Sequence<UInt8>) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }

    @inline(__always)
    private static func run(_ start: UInt64, _ base: UnsafeRawPointer, _ count: Int, _ rows: UnsafeBufferPointer<UInt64>) -> UInt64 {
        var state = start
        var i = 0
        while i < count {
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            if byte < 0x80, state == accept {
                // ASCII between sequences: skip ahead while no byte has its high bit set.
                let start = i
                i = asciiPrefix(base, count, from: i)
                if i != start { continue }
            }
            state = (rows[Int(byte)] &>> state) & 63
            if state == reject { return reject }
            i &+= 1
        }
        return state
    }

    /// The index of the first byte at or after `start` that is not ASCII, or `count`: checked
    /// 64, then 8 bytes at a time, then byte by byte.
    @inline(__always)
    private static func asciiPrefix(_ base: UnsafeRawPointer, _ count: Int, from start: Int = 0) -> Int {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var i = start
        while i &+ 64 <= count {
            var word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            word |= base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)
            word |= base.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self)
            word |= base.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self)
            word |= base.loadUnaligned(fromByteOffset: i &+ 32, as: UInt64.self)
            word |= base.loadUnaligned(fromByteOffset: i &+ 40, as: UInt64.self)
            word |= base.loadUnaligned(fromByteOffset: i &+ 48, as: UInt64.self)
            word |= base.loadUnaligned(fromByteOffset: i &+ 56, as: UInt64.self)
            if word & highBits != 0 { break }
            i &+= 64
        }
        while i &+ 8 <= count {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & highBits != 0 { break }
            i &+= 8
        }
        while i < count, base.load(fromByteOffset: i, as: UInt8.self) < 0x80 {
            i &+= 1
        }
        return i
    }

    // The automaton, written as a table of states and byte classes; `rows` is derived from it.
    //
    // Byte classes: 0: 00-7F, 1: 80-8F, 2: 90-9F, 3: A0-BF, 4: C0-C1 and F5-FF (never valid),
    // 5: C2-DF, 6: E0, 7: E1-EC and EE-EF, 8: ED, 9: F0, 10: F1-F3, 11: F4.
    //
    // States: 0 accept, 1 reject, 2 need1 (one more 80-BF), 3 need2 (two more 80-BF),
    // 4 afterE0 (A0-BF, then one more: no overlongs), 5 afterED (80-9F, then one more: no
    // surrogates), 6 need3 (three more 80-BF), 7 afterF0 (90-BF, then two more: no overlongs),
    // 8 afterF4 (80-8F, then two more: nothing past U+10FFFF).
    private static let accept: UInt64 = 0
    private static let reject: UInt64 = 6

    private static func byteClass(_ byte: Int) -> Int {
        switch byte {
        case 0x00...0x7F: 0
        case 0x80...0x8F: 1
        case 0x90...0x9F: 2
        case 0xA0...0xBF: 3
        case 0xC2...0xDF: 5
        case 0xE0: 6
        case 0xE1...0xEC, 0xEE...0xEF: 7
        case 0xED: 8
        case 0xF0: 9
        case 0xF1...0xF3: 10
        case 0xF4: 11
        default: 4
        }
    }

    private static let transitions: [[Int]] = {
        let r = 1
        return [
            //  00  80  90  A0  C0  C2  E0  E1  ED  F0  F1  F4
            [    0,  r,  r,  r,  r,  2,  4,  3,  5,  7,  6,  8], // accept
            [    r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r], // reject
            [    r,  0,  0,  0,  r,  r,  r,  r,  r,  r,  r,  r], // need1
            [    r,  2,  2,  2,  r,  r,  r,  r,  r,  r,  r,  r], // need2
            [    r,  r,  r,  2,  r,  r,  r,  r,  r,  r,  r,  r], // afterE0
            [    r,  2,  2,  r,  r,  r,  r,  r,  r,  r,  r,  r], // afterED
            [    r,  3,  3,  3,  r,  r,  r,  r,  r,  r,  r,  r], // need3
            [    r,  r,  3,  3,  r,  r,  r,  r,  r,  r,  r,  r], // afterF0
            [    r,  3,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r], // afterF4
        ]
    }()

    /// For each byte, the next state of every state: field `n` (bits 6n..<6n+6) holds the
    /// next state's offset when the current state is `n`.
    private static let rows: [UInt64] = (0...255).map { byte in
        let byteClass = byteClass(byte)
        var row: UInt64 = 0
        for (state, next) in transitions.enumerated() {
            row |= UInt64(next[byteClass] * 6) << UInt64(state * 6)
        }
        return row
    }
}
