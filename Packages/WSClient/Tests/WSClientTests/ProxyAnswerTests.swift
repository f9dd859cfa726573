import Testing
@testable import WSConnect

@Suite("A proxy's answer to CONNECT, read as its bytes arrive (what the fuzz target `proxy` holds)")
struct ProxyAnswerTests {
    /// Reads `answer` in pieces of `piece` bytes, until a verdict.
    func read(_ answer: String, piece: Int = .max) -> ProxyConnectResponse.Verdict {
        var response = ProxyConnectResponse()
        let bytes = Array(answer.utf8)
        var start = 0
        var verdict = ProxyConnectResponse.Verdict.incomplete
        while start < bytes.count, verdict == .incomplete {
            verdict = response.read(bytes[start..<min(start + piece, bytes.count)])
            start += piece
        }
        return verdict
    }

    @Test("a 2xx opens the tunnel, whole or a byte at a time; another status is a refusal with its status line")
    func verdicts() {
        for piece in [1, 3, Int.max] {
            #expect(read("HTTP/1.1 200 Connection established\r\n\r\n", piece: piece) == .established)
            #expect(read("HTTP/1.0 200 OK\r\nProxy-Agent: tinyproxy\r\n\r\n", piece: piece) == .established)
            #expect(read("HTTP/1.1 200\r\n\r\n", piece: piece) == .established)
            #expect(read("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n", piece: piece)
                    == .refused(statusLine: "HTTP/1.1 407 Proxy Authentication Required"))
            #expect(read("HTTP/1.1 200 OK\r\n", piece: piece) == .incomplete)
            // The fuzz target `proxy`'s first crash (its own reading, by Characters, took the
            // space before a combining mark for part of it): the reader reads bytes.
            #expect(read("HTTP/1.1 208 \u{65F}\u{0}  20  s2 \u{0}\u{0} d0 \r\n\r\n", piece: piece) == .established)
        }
    }

    // Before: any line whose second word was 2xx opened the tunnel ("SSH-2.0 200 x"), a status
    // line was printed with the control characters the proxy put in it, and an answer that came
    // a byte at a time was searched from its start on every byte.
    @Test("what is not an HTTP/1.x answer is refused, and nothing a proxy sends is printed raw", arguments: [
        "SSH-2.0 200 x\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n", "\r\n\r\n", "http/1.1 200 OK\r\n\r\n",
    ])
    func malformed(answer: String) {
        guard case .malformed(let why) = read(answer) else { Issue.record("\(answer.debugDescription): \(read(answer))"); return }
        #expect(why.contains("HTTP/1.x status line"))
    }

    @Test("control characters in a refusal are replaced; a long one is cut; bytes after a 2xx are refused; the head ends within 16 KiB")
    func bounds() {
        #expect(read("HTTP/1.1 403 \u{1B}[31mred\u{7}\r\n\r\n") == .refused(statusLine: "HTTP/1.1 403 \u{FFFD}[31mred\u{FFFD}"))
        guard case .refused(let long) = read("HTTP/1.1 403 " + String(repeating: "x", count: 1_000) + "\r\n\r\n") else {
            Issue.record("a long refusal is still a refusal"); return
        }
        #expect(long.count == 201 && long.hasSuffix("…"))
        #expect(read("HTTP/1.1 200 OK\r\n\r\n\u{16}\u{3}") == .malformed("the proxy sent bytes after its answer to CONNECT"))
        let endless = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Pad: 1\r\n", count: 2_000)
        for piece in [1_000, Int.max] {
            #expect(read(endless, piece: piece) == .malformed("the proxy's answer has no end within 16 KiB"))
        }
        // The empty line past 16 KiB does not count: the head must end within it.
        #expect(read(endless + "\r\n") == .malformed("the proxy's answer has no end within 16 KiB"))
    }
}
