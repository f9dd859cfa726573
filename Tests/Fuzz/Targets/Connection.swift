// Fuzz target `connection`: WSFraming's connection state machine fed arbitrary bytes, as a
// peer sends them (Scripts/fuzz.sh builds it with libFuzzer and AddressSanitizer).
//
// The first byte chooses the set-up, the rest is the peer's bytes:
//   bit 0     role: server (0) or client (1)
//   bit 1     permessage-deflate negotiated (RFC 7692), no context takeover on odd seeds
//   bit 2     delivery: whole messages (0) or streamed fragments (1)
//   bit 3     small limits (frames of 1,000 bytes, messages of 4,000, 16 frames a message)
//   bits 4-6  how the bytes are cut before they are fed: whole, or pieces of 1, 2, 3, 7, 64, 1000, 13
// A broken invariant traps (precondition), which libFuzzer reports as a crash:
//   - a failure of the peer's always carries a close code, and only 1002, 1007 or 1009;
//   - nothing comes after the peer's Close or a failure: no event, no error but "closed";
//   - a message is never larger than its limit, whole or in fragments, compressed or not;
//   - text is valid UTF-8 by the standard library's own decoding;
//   - control payloads are at most 125 bytes, and the replies written stay proportional to the input.
import WSDeflate
import WSFraming

@_cdecl("LLVMFuzzerTestOneInput")
public func connectionFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let setup = data[0]
    let role: WebSocketRole = setup & 1 == 0 ? .server : .client
    var configuration = WebSocketConnection.Configuration()
    if setup & 4 != 0 { configuration.delivery = .streaming }
    if setup & 8 != 0 {
        configuration.maxFrameSize = 1_000
        configuration.maxMessageSize = 4_000
        configuration.maxFramesPerMessage = 16
    }
    var transform: (any MessageTransform)?
    if setup & 2 != 0 {
        let takeover = size % 2 == 0
        transform = PerMessageDeflate(parameters: .init(role: role, serverNoContextTakeover: !takeover, clientNoContextTakeover: !takeover,
                                                        serverMaxWindowBits: 15, clientMaxWindowBits: 15))
    }
    var connection = WebSocketConnection(role: role, configuration: configuration, transform: transform)
    let pieceSizes = [Int.max, 1, 2, 3, 7, 64, 1_000, 13]
    let piece = pieceSizes[Int((setup >> 4) & 7)]
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var replies: [UInt8] = []
    var ended = false
    var streamed = 0
    var offset = 0
    while offset < bytes.count {
        let count = min(piece, bytes.count - offset)
        var input = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        do throws(FramingError) {
            while let event = try connection.nextEvent(from: &input, replies: &replies) {
                precondition(!ended, "an event after the peer's Close or a failure: \(event)")
                switch event {
                case .text(let text):
                    precondition(text.utf8.count <= configuration.maxMessageSize, "a text message over the limit")
                    precondition(String(validating: Array(text.utf8), as: UTF8.self) == text, "text that is not UTF-8")
                case .binary(let message):
                    precondition(message.count <= configuration.maxMessageSize, "a binary message over the limit")
                case .fragment(let fragment):
                    streamed = fragment.isFirst ? fragment.bytes.count : streamed + fragment.bytes.count
                    precondition(streamed <= configuration.maxMessageSize, "a streamed message over the limit")
                case .ping(let payload), .pong(let payload):
                    precondition(payload.count <= 125, "a control payload over 125 bytes")
                case .close:
                    ended = true
                }
            }
        } catch {
            if ended || connection.state == .closed && error.fault == .local {
                precondition(error.fault == .local, "a peer's failure after the end: \(error)")
            } else {
                precondition(error.fault == .remote, "a local error from the peer's bytes: \(error)")
                let code = error.closeCode?.rawValue ?? 0
                precondition([1002, 1007, 1009].contains(code), "failure \(error) with close code \(code)")
            }
            ended = true
        }
    }
    precondition(replies.count <= 3 * bytes.count + 256, "\(replies.count) bytes of replies to \(bytes.count) of input")
    return 0
}
