/// A proxy's answer to `CONNECT`, read as its bytes arrive: no I/O, so that the rules live in
/// one place that tests and the fuzz target reach (Tests/Fuzz/Targets/Client.swift).
///
/// The answer is an HTTP/1.x response head (RFC 9112 §4): a status line
/// `HTTP/1.x NNN reason`, header fields, an empty line. A 2xx opens the tunnel; any other
/// status is a refusal, reported with its status line. The head must end within
/// ``maxHeadBytes``, and nothing may follow it: neither `ws` nor TLS lets a server speak
/// first, so a byte after the head is a proxy that does not tunnel.
struct ProxyConnectResponse {
    /// What the bytes so far say.
    enum Verdict: Equatable {
        /// The head has not ended yet: read more.
        case incomplete
        /// A 2xx and nothing after it: the tunnel is open.
        case established
        /// A well-formed answer with another status: `statusLine` is as `printable` shows it.
        case refused(statusLine: String)
        /// Not an answer this client accepts: why, in words.
        case malformed(String)
    }

    /// The most bytes a proxy's answer head may take, its empty line included.
    static let maxHeadBytes = 16_384

    private var bytes: [UInt8] = []
    /// Where the search for the empty line resumes: an answer that arrives a byte at a time
    /// costs linear time, not quadratic.
    private var scanned = 0
    /// The verdict, once it is not `.incomplete`: later bytes change nothing.
    private(set) var verdict = Verdict.incomplete

    /// Adds `received` and says what the answer is so far.
    mutating func read(_ received: some Collection<UInt8>) -> Verdict {
        guard verdict == .incomplete else { return verdict }
        bytes.append(contentsOf: received)
        guard let end = headEnd() else {
            if bytes.count > Self.maxHeadBytes { verdict = .malformed("the proxy's answer has no end within 16 KiB") }
            return verdict
        }
        verdict = Self.judge(head: bytes[..<end], trailing: bytes.count - end)
        return verdict
    }

    /// The index just past `\r\n\r\n`, searching only what earlier calls did not.
    private mutating func headEnd() -> Int? {
        let limit = min(bytes.count, Self.maxHeadBytes)
        var index = max(scanned - 3, 0)
        while index + 4 <= limit {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                return index + 4
            }
            index += 1
        }
        scanned = limit
        return nil
    }

    private static func judge(head: ArraySlice<UInt8>, trailing: Int) -> Verdict {
        let lineEnd = head.firstIndex(of: 13) ?? head.endIndex
        let line = Array(head[..<lineEnd])
        func digit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }
        // HTTP-version SP 3DIGIT SP [reason]; a line that ends after the code is taken too.
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8), digit(line[7]), line[8] == 32,
              line[9...11].allSatisfy(digit), line.count == 12 || line[12] == 32 else {
            return .malformed("the proxy's answer does not start with an HTTP/1.x status line: \(printable(String(decoding: line, as: UTF8.self)))")
        }
        let status = line[9...11].reduce(0) { $0 * 10 + Int($1 - 48) }
        guard (200..<300).contains(status) else { return .refused(statusLine: printable(String(decoding: line, as: UTF8.self))) }
        guard trailing == 0 else { return .malformed("the proxy sent bytes after its answer to CONNECT") }
        return .established
    }
}
