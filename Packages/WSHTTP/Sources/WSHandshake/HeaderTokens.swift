/// Comma-separated lists in header fields (RFC 7230 §7, the `#rule`): elements separated by
/// commas with optional whitespace; empty elements ignored; a field may appear several times.
enum HeaderTokens {
    /// The list's elements across all the given field values, trimmed.
    static func elements(_ values: [String]) -> [Substring] {
        values.flatMap { $0.split(separator: ",") }.map(trimmed).filter { !$0.isEmpty }
    }

    /// Whether the lists hold `token`, compared case-insensitively (ASCII).
    static func contains(_ values: [String], _ token: String) -> Bool {
        elements(values).contains { equalIgnoringCase($0, token) }
    }

    /// `text` without leading and trailing spaces and tabs (RFC 7230 OWS).
    static func trimmed(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = text.firstIndex(where: { !isSpace($0) }), let end = text.lastIndex(where: { !isSpace($0) }) else {
            return text[text.endIndex...]
        }
        return text[start...end]
    }

    /// ASCII case-insensitive equality.
    static func equalIgnoringCase(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// Whether `byte` may appear in an RFC 7230 `token` (§3.2.6 `tchar`).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Whether `text` is a non-empty RFC 7230 token.
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }
}
