/// The table the benchmarks print, one row at a time as each measurement finishes.
public struct Report {
    /// A target a result must meet, and whether it did.
    public struct Goal {
        /// The target as printed, such as "≥ 0.50× memcpy".
        public var text: String
        /// Whether the result met it.
        public var passed: Bool

        /// Creates a goal.
        public init(text: String, passed: Bool) {
            self.text = text
            self.passed = passed
        }
    }

    /// Creates a report.
    public init() {}

    /// Column widths: benchmark, result, ratio to memcpy, goal; then the status.
    private static let widths = [48, 18, 20, 18]

    /// Prints the column titles.
    public func printHeader() {
        printRow(["benchmark", "result", "vs memcpy (GB/s)", "goal", "status"])
        print(String(repeating: "-", count: Self.widths.reduce(0, +) + 6))
    }

    /// Prints a row: `result` already formatted with its unit and, for a byte rate, its
    /// ratio to memcpy's rate measured alongside it (`rate / memcpy`).
    public func printRow(_ name: String, _ result: String, rate: Double? = nil, memcpy: Double? = nil, goal: Goal? = nil) {
        var versus = ""
        if let rate, let memcpy {
            let ratio = rate / memcpy
            versus = fixed(ratio, ratio < 0.1 ? 3 : 2) + "× of " + fixed(memcpy / 1e9, 1)
        }
        printRow([
            name, result, versus, goal?.text ?? "-",
            goal.map { $0.passed ? "pass" : "FAIL" } ?? "",
        ])
    }

    private func printRow(_ cells: [String]) {
        var line = ""
        for (cell, width) in zip(cells, Self.widths) {
            line += cell + String(repeating: " ", count: max(1, width - cell.count))
        }
        print(line + (cells.last ?? ""))
    }
}

/// `value` with `digits` digits after the point (no Foundation, so no `String(format:)`).
public func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((abs(value) * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(scaled % Int(scale))
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard digits > 0 else { return sign + String(whole) }
    return sign + String(whole) + "." + String(repeating: "0", count: digits - fraction.count) + fraction
}
