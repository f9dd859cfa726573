import ArgumentParser

/// A duration on the command line, in seconds: `10`, `0.5`. Parsing takes any finite number;
/// the command that uses it says which range it allows (``check(_:allowsZero:)``), so that a
/// value out of range gets a message that names the flag.
struct Seconds: ExpressibleByArgument, CustomStringConvertible, Sendable {
    /// The longest accepted: about 31 years, far inside `Duration` and NIO's `TimeAmount`.
    static let maximum = 1e9

    /// The number of seconds.
    let value: Double

    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        value = Double(seconds) + Double(attoseconds) / 1e18
    }

    init?(argument: String) {
        guard let value = Double(argument), value.isFinite else { return nil }
        self.value = value
    }

    /// The duration; call it only after ``check(_:allowsZero:)`` passed.
    var duration: Duration { .seconds(value) }

    /// `10` rather than `10.0`: how `--help` shows a default.
    var description: String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Throws a `ValidationError` naming `flag` unless the value is more than 0 (or 0 itself,
    /// when `allowsZero`) and at most ``maximum``; `hint` ends the message.
    func check(_ flag: String, allowsZero: Bool = false, hint: String = "") throws {
        let low = allowsZero ? "0 or more" : "more than 0"
        guard allowsZero ? value >= 0 : value > 0, value <= Self.maximum else {
            throw ValidationError("\(flag) must be \(low) seconds and at most \(Int(Self.maximum)), not \(self)\(hint)")
        }
    }
}
