/// An incremental UTF-8 validator that fails as soon as a sequence can no longer become
/// valid (RFC 6455 §8.1, Unicode 15 Table 3-7).
///
/// Feed it a text message's bytes in any number of pieces: ``validate(_:)`` returns `false`
/// at the first piece that holds a byte which no valid continuation could follow (overlong
/// forms, surrogates, code points past U+10FFFF, stray continuation bytes), not at the end
/// of the message. At the end, ``isComplete`` says whether the last sequence was finished.
///
/// Runs of ASCII are checked 32 bytes at a time.
public struct UTF8Validator: Sendable, Hashable {
    // States of the automaton. `accept` is between sequences; the others say what the next
    // byte must be.
    static let accept: UInt8 = 0
    static let reject: UInt8 = 1
    // need1: one more byte 80-BF. need2: two more 80-BF. need3: three more 80-BF.
    // afterE0: A0-BF then one more. afterED: 80-9F then one more (no surrogates).
    // afterF0: 90-BF then two more. afterF4: 80-8F then two more (nothing past U+10FFFF).

    var state: UInt8 = 0

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
        state = Self.run(state, base, bytes.count)
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
    public static func isValid(_ bytes: some Sequence<UInt8>) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }

    static func run(_ start: UInt8, _ base: UnsafeRawPointer, _ count: Int) -> UInt8 {
        byteClasses.withUnsafeBufferPointer { classes in
            transitions.withUnsafeBufferPointer { table in
                run(start, base, count, classes, table)
            }
        }
    }

    @inline(__always)
    static func run(
        _ start: UInt8, _ base: UnsafeRawPointer, _ count: Int,
        _ byteClasses: UnsafeBufferPointer<UInt8>, _ transitions: UnsafeBufferPointer<UInt8>
    ) -> UInt8 {
        var state = start
        var i = 0
        let highBits: UInt64 = 0x8080_8080_8080_8080
        while i < count {
            if state == accept {
                // ASCII fast path: 32, then 8 bytes at a time while no high bit is set.
                while i &+ 32 <= count {
                    let a = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let b = base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self)
                    let c = base.loadUnaligned(fromByteOffset: i &+ 16, as: UInt64.self)
                    let d = base.loadUnaligned(fromByteOffset: i &+ 24, as: UInt64.self)
                    if (a | b | c | d) & highBits != 0 { break }
                    i &+= 32
                }
                while i &+ 8 <= count {
                    if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & highBits != 0 { break }
                    i &+= 8
                }
                if i == count { break }
            }
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            state = transitions[Int(state) &* classCount &+ Int(byteClasses[Int(byte)])]
            if state == reject { return reject }
            i &+= 1
        }
        return state
    }

    // Byte classes: 0: 00-7F, 1: 80-8F, 2: 90-9F, 3: A0-BF, 4: C0-C1 and F5-FF (never valid),
    // 5: C2-DF, 6: E0, 7: E1-EC and EE-EF, 8: ED, 9: F0, 10: F1-F3, 11: F4.
    static let classCount = 12

    static let byteClasses: [UInt8] = (0...255).map { (b: Int) -> UInt8 in
        switch b {
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

    // transitions[state * classCount + class]. States: 0 accept, 1 reject, 2 need1,
    // 3 need2, 4 afterE0, 5 afterED, 6 need3, 7 afterF0, 8 afterF4.
    static let transitions: [UInt8] = {
        let r: UInt8 = 1
        //        00  80  90  A0  C0  C2  E0  E1  ED  F0  F1  F4
        return [
                  0,  r,  r,  r,  r,  2,  4,  3,  5,  7,  6,  8, // accept
                  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r, // reject
                  r,  0,  0,  0,  r,  r,  r,  r,  r,  r,  r,  r, // need1
                  r,  2,  2,  2,  r,  r,  r,  r,  r,  r,  r,  r, // need2
                  r,  r,  r,  2,  r,  r,  r,  r,  r,  r,  r,  r, // afterE0
                  r,  2,  2,  r,  r,  r,  r,  r,  r,  r,  r,  r, // afterED
                  r,  3,  3,  3,  r,  r,  r,  r,  r,  r,  r,  r, // need3
                  r,  r,  3,  3,  r,  r,  r,  r,  r,  r,  r,  r, // afterF0
                  r,  3,  r,  r,  r,  r,  r,  r,  r,  r,  r,  r, // afterF4
        ]
    }()
}
