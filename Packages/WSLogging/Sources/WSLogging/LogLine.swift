import Logging

/// One record, formatted as ``WebSocketLogger`` writes it. Pure: the tests check its text.
///
/// The line is built as UTF-8 bytes in one buffer, with digits written by hand: a formatted
/// line costs about a microsecond, most of it the caller's metadata dictionary.
struct LogLine {
    var time: LogClock.Reading?
    var showUptime: Bool
    var level: Logger.Level
    var label: String
    var message: String
    var metadata: Logger.Metadata
    var file: String
    var line: UInt
    var showLocation: Bool
    var colored: Bool

    /// The indentation of a message's second and later lines.
    static let continuationIndent: [UInt8] = Array("    ".utf8)

    /// The whole line as UTF-8, ending with a newline.
    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        if let time {
            time.appendISO8601(to: &out)
            if showUptime {
                out.append(0x20)
                time.appendUptime(to: &out)
            }
            out.append(0x20)
        }
        let isWSLog = metadata[WSLogKey.wslog] != nil
        let name = isWSLog ? "wslog" : level.rawValue
        if colored { out += Self.color(for: level, isWSLog: isWSLog).utf8 }
        out += name.utf8
        if colored { out += "\u{1B}[0m".utf8 }
        for _ in name.utf8.count..<9 { out.append(0x20) }
        out += label.utf8
        out += ": ".utf8

        var message = message
        message.withUTF8 { text in
            let firstBreak = text.firstIndex(of: 0x0A) ?? text.endIndex
            out += UnsafeBufferPointer(rebasing: text[..<firstBreak])
            appendMetadataAndLocation(to: &out)
            // Later lines, indented; a final newline adds no empty line.
            var start = firstBreak
            while start < text.endIndex {
                let next = text[(start + 1)...].firstIndex(of: 0x0A) ?? text.endIndex
                if start + 1 == text.endIndex { break }
                out.append(0x0A)
                out += Self.continuationIndent
                out += UnsafeBufferPointer(rebasing: text[(start + 1)..<next])
                start = next
            }
        }
        out.append(0x0A)
        return out
    }

    /// The whole line as a string, ending with a newline.
    func formatted() -> String { String(decoding: bytes(), as: UTF8.self) }

    private func appendMetadataAndLocation(to out: inout [UInt8]) {
        if !metadata.isEmpty {
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != WSLogKey.wslog {
                out.append(0x20)
                out += key.utf8
                out.append(0x3D)  // =
                Self.appendQuoted(value.description, to: &out)
            }
        }
        if showLocation {
            out += " (".utf8
            out += file.utf8
            out.append(0x3A)  // :
            appendDecimal(line, to: &out)
            out.append(0x29)  // )
        }
    }

    /// Appends `value`, in double quotes with `"`, `\` and control characters escaped when
    /// it is empty or holds a space, a quote, an `=`, a backslash or a control character.
    static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        var value = value
        let plain = value.withUTF8 { bytes in
            guard !bytes.isEmpty, !bytes.contains(where: { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C || $0 == 0x7F }) else {
                return false
            }
            out += bytes
            return true
        }
        guard !plain else { return }
        out.append(0x22)
        for byte in value.utf8 {
            switch byte {
            case 0x22: out += #"\""#.utf8
            case 0x5C: out += #"\\"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0..<0x20, 0x7F:
                out += #"\u{"#.utf8
                appendHex(byte, to: &out)
                out.append(0x7D)  // }
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    private static func appendHex(_ byte: UInt8, to out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        if byte >= 16 { out.append(digits[Int(byte >> 4)]) }
        out.append(digits[Int(byte & 0xF)])
    }

    /// The ANSI colour of a level.
    static func color(for level: Logger.Level, isWSLog: Bool) -> String {
        if isWSLog { return "\u{1B}[1;35m" }  // bold magenta
        switch level {
        case .trace: return "\u{1B}[90m"      // grey
        case .debug: return "\u{1B}[36m"      // cyan
        case .info: return "\u{1B}[32m"       // green
        case .notice: return "\u{1B}[34m"     // blue
        case .warning: return "\u{1B}[33m"    // yellow
        case .error: return "\u{1B}[31m"      // red
        case .critical: return "\u{1B}[1;31m" // bold red
        }
    }
}

/// Appends `value` in decimal, at least `width` digits (zero-padded).
func appendDecimal(_ value: some BinaryInteger, width: Int = 1, to out: inout [UInt8]) {
    let start = out.count
    var rest = UInt64(value)
    repeat {
        out.append(0x30 &+ UInt8(truncatingIfNeeded: rest % 10))
        rest /= 10
    } while rest > 0
    while out.count - start < width { out.append(0x30) }
    var (low, high) = (start, out.count - 1)
    while low < high {
        out.swapAt(low, high)
        low += 1
        high -= 1
    }
}
