import WSHTTP

/// A run's figures and how they are printed: the `RESULT` line and the JSON line, in
/// loadgen's shape (the same keys where they mean the same).
struct LoadResult {
    /// What the event loop counted.
    struct Measurement: Sendable {
        /// The measured time, after the warm-up.
        var seconds: Double
        /// Echoes received in that time.
        var messages: UInt64
        /// CPU times at its start and its end.
        var start: CPUTimes
        var end: CPUTimes
        /// Totals of the whole run, warm-up included.
        var sent: UInt64
        var echoed: UInt64
        var mismatches: UInt64
        var closes: UInt64
    }

    let options: LoadOptions
    let measurement: Measurement
    let opened: Int
    let connectFailures: Int
    let tls: TLSConnectionInfo?

    /// Failed connections, connections that closed, and echoes that did not match.
    var errors: UInt64 { UInt64(connectFailures) + measurement.mismatches + measurement.closes }

    var messagesPerSecond: Double { measurement.seconds > 0 ? Double(measurement.messages) / measurement.seconds : 0 }
    var megabytesPerSecond: Double { messagesPerSecond * Double(options.size) / 1e6 }

    /// A CPU share in % of one core over the measured time, or -1 when it was not read.
    private func percent(_ start: Double?, _ end: Double?) -> Double {
        guard let start, let end, measurement.seconds > 0 else { return -1 }
        return 100 * (end - start) / measurement.seconds
    }

    var clientCPU: Double { percent(measurement.start.client, measurement.end.client) }
    var serverCPU: Double { percent(measurement.start.server, measurement.end.server) }
    var machineBusy: Double { percent(measurement.start.machineBusy, measurement.end.machineBusy) }
    /// What everything but the server and this client used (other processes, interrupts).
    var otherCPU: Double { machineBusy >= 0 && serverCPU >= 0 ? machineBusy - serverCPU - clientCPU : -1 }

    /// `TLSv1.3/TLS_AES_256_GCM_SHA384`, or `none` for `ws`.
    var tlsDescription: String { tls.map { "\($0.version.map(\.description) ?? "?")/\($0.cipher ?? "?")" } ?? "none" }

    var summaryLine: String {
        "RESULT \(options.label) mode=throughput tls=\(tlsDescription) conns=\(opened) depth=\(options.depth) "
            + "size=\(options.size) msgs=\(measurement.messages) rate=\(fixed(messagesPerSecond, 0)) msg/s "
            + "\(fixed(megabytesPerSecond, 2)) MB/s server_cpu=\(fixed(serverCPU, 0))% client_cpu=\(fixed(clientCPU, 0))% "
            + "other_cpu=\(fixed(otherCPU, 0))% errors=\(errors)"
    }

    var json: String {
        let fields: [(String, String)] = [
            ("label", quoted(options.label)), ("client", quoted("WebSocketsLoad")), ("mode", quoted("throughput")),
            ("tls", tls == nil ? "false" : "true"), ("tls_version", quoted(tls?.version?.description ?? "")),
            ("tls_cipher", quoted(tls?.cipher ?? "")),
            ("conns", "\(options.connections)"), ("depth", "\(options.depth)"), ("size", "\(options.size)"),
            ("secs", fixed(measurement.seconds, 3)), ("msgs", "\(measurement.messages)"),
            ("msgs_per_s", fixed(messagesPerSecond, 1)), ("mb_per_s", fixed(megabytesPerSecond, 3)),
            ("opened", "\(opened)"), ("errors", "\(errors)"), ("mismatches", "\(measurement.mismatches)"),
            ("server_closes", "\(measurement.closes)"), ("conn_failures", "\(connectFailures)"),
            ("server_pid", "\(options.serverPID ?? 0)"), ("server_cpu_pct", fixed(serverCPU, 1)),
            ("client_cpu_pct", fixed(clientCPU, 1)), ("system_busy_pct", fixed(machineBusy, 1)),
            ("other_cpu_pct", fixed(otherCPU, 1)), ("sent", "\(measurement.sent)"), ("echoed", "\(measurement.echoed)"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// `value` with `digits` decimals (no Foundation).
    private func fixed(_ value: Double, _ digits: Int) -> String {
        let scale = (0..<digits).reduce(1.0) { value, _ in value * 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled) - whole * Int(scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        let fractionText = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }

    /// A JSON string.
    private func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
