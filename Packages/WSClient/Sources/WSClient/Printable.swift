extension Unicode.Scalar {
    /// A control character (C0, DEL or C1): what a URL may not hold, and what an error message
    /// must not print as it is (a line break or a terminal's escape sequence).
    var isControl: Bool { properties.generalCategory == .control }
}

/// `text` fit for an error message: each control character replaced by U+FFFD, and at most
/// `limit` characters (then `…`), so that what a peer or a caller sent cannot write into a log
/// or a terminal.
func printable(_ text: some StringProtocol, limit: Int = 200) -> String {
    let shown = String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit).map { $0.isControl ? "\u{FFFD}" : $0 }))
    return text.unicodeScalars.count > limit ? shown + "…" : shown
}
