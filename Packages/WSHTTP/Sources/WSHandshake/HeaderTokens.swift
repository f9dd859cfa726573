/// Comma-separated lists in header fields (RFC 7230 §7, the `#rule`): elements separated by
/// commas with optional whitespace; empty elements ignored; a field may appear several times.
enum HeaderTokens {
    // Every step reads UTF-8 bytes: the separators are ASCII, so each cut is on a scalar
    // boundary, and no Character (grapheme) is ever formed (String.split and firstIndex(where:)
    // on Characters made a handshake's checks cost 40,000 instructions).

    /// The list's elements across all the given field values, trimmed.
    static func elements(_ values: [String]) -> [Substring] {
        var out: [Substring] = []
        for value in values {
            _ = first(in: value) { element in
                out.append(element)
                return false
            }
        }
        return out
    }

    /// Whether the lists hold `token`, compared case-insensitively (ASCII).
    static func contains(_ values: [String], _ token: String) -> Bool {
        values.contains { value in first(in: value) { equalIgnoringCase($0, token) } }
    }

    /// Calls `body` with each non-empty, trimmed element of one field value until it returns
    /// true; returns whether it did.
    private static func first(in value: String, where body: (Substring) -> Bool) -> Bool {
        let utf8 = value.utf8
        var start = utf8.startIndex
        while true {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: ",")) ?? utf8.endIndex
            let element = trimmed(value[start..<end])
            if !element.isEmpty, body(element) { return true }
            guard end < utf8.endIndex else { return false }
            start = utf8.index(after: end)
        }
    }

    /// `text` without leading and trailing spaces and tabs (RFC 7230 OWS).
    static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        var start = utf8.startIndex, end = utf8.endIndex
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while start < end {
            let last = utf8.index(before: end)
            guard isSpace(utf8[last]) else { break }
            end = last
        }
        return text[start..<end]
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// ASCII case-insensitive equality.
    static func equalIgnoringCase(_ a: Substring, _ b: String) -> Bool {
        var left = a.utf8.makeIterator(), right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case let (x?, y?) where lower(x) == lower(y): continue
            default: return false
            }
        }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Whether `byte` may appear in an RFC 7230 `token` (§3.2.6 `tchar`).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// Whether `text` is a non-empty RFC 7230 token.
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }
}
