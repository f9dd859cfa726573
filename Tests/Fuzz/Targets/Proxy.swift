// Fuzz target `proxy`: WSConnect's reading of an HTTP proxy's answer to CONNECT
// (`ProxyConnectResponse`), on any bytes, whole and in pieces of the size the first byte picks.
// Compiled together with that file of Packages/WSClient. A broken invariant traps:
//   - the verdict is `.incomplete` exactly while no empty line has come within 16 KiB and at
//     most 16 KiB has come;
//   - the tunnel opens only on an `HTTP/1.x` status line with a 2xx code (checked here by a
//     reading of its own);
//   - read in pieces, the verdict is the one read whole, except that a piece that ends right
//     after a 2xx head opens the tunnel before the bytes after it arrive (then they belong to
//     the tunnel, and whole they are refused as bytes after the answer);
//   - what a refusal prints holds no control character and at most 201 characters.

@_cdecl("LLVMFuzzerTestOneInput")
public func proxyFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let piece = Int(data[0]) % 64 + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var whole = ProxyConnectResponse()
    let verdict = whole.read(bytes)

    let prefix = bytes.prefix(ProxyConnectResponse.maxHeadBytes)
    let ended = prefix.indices.contains { $0 + 4 <= prefix.count && prefix[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }
    precondition((verdict == .incomplete) == (!ended && bytes.count <= ProxyConnectResponse.maxHeadBytes), "\(verdict) for \(bytes.count) bytes")

    if verdict == .established {
        // In bytes, as the proxy sent them: as Characters, a space followed by a combining mark
        // is not a space (the first crash of this target was its own reading of
        // "HTTP/1.1 208 \u{65F}…" so; ProxyAnswerTests keeps that input).
        let line = bytes.prefix { $0 != 13 }
        let words = line.split(separator: 0x20, omittingEmptySubsequences: false)
        let code = words.dropFirst().first.flatMap { Int(String(decoding: $0, as: UTF8.self)) }
        precondition(line.starts(with: "HTTP/1.".utf8) && code.map { (200..<300).contains($0) } == true,
                     "a tunnel on \(String(decoding: line, as: UTF8.self).debugDescription)")
    }
    switch verdict {
    case .refused(let line), .malformed(let line):
        precondition(!line.unicodeScalars.contains(where: \.isControl) && line.count <= 300, line.debugDescription)
    default:
        break
    }

    var pieces = ProxyConnectResponse()
    var inPieces = ProxyConnectResponse.Verdict.incomplete
    var start = 0
    while start < bytes.count, inPieces == .incomplete {
        inPieces = pieces.read(bytes[start..<min(start + piece, bytes.count)])
        start += piece
    }
    if inPieces != verdict {
        precondition(inPieces == .established && verdict == .malformed("the proxy sent bytes after its answer to CONNECT"),
                     "whole \(verdict), in pieces of \(piece) \(inPieces)")
    }
    return 0
}
