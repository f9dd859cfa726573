// framing-echo server|client [HEX]: echoes every WebSocket message that arrives on standard input
// (a socket whose handshake is already done, handed over by Tests/Interop/framing-autobahn.py) back
// to standard output, using nothing but WSFraming. It lets the Autobahn testsuite check the
// protocol core before the network layers exist. HEX: bytes that arrived right behind the
// handshake, handled before standard input is read.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WSFraming

let role: WebSocketRole = CommandLine.arguments.dropFirst().first == "client" ? .client : .server
let configuration = WebSocketConnection.Configuration(maxFrameSize: 64 << 20, maxMessageSize: 64 << 20)
var connection = WebSocketConnection(role: role, configuration: configuration)
var readBuffer = [UInt8](repeating: 0, count: 1 << 16)
var outbound: [UInt8] = []

/// Writes all of `bytes` to standard output.
func writeAll(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(1, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// Waits up to `milliseconds` for standard input to become readable.
func readable(within milliseconds: Int32) -> Bool {
    var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, milliseconds) > 0
}

/// Feeds `bytes` to the connection, echoing data messages; returns when all are consumed.
@MainActor func receive(_ bytes: UnsafeRawBufferPointer) {
    var input = bytes
    do {
        while let event = try connection.nextEvent(from: &input, replies: &outbound) {
            switch event {
            case .text(let text): try connection.sendText(text, into: &outbound)
            case .binary(let bytes): try connection.sendBinary(bytes, into: &outbound)
            case .fragment, .ping, .pong, .close: break
            }
        }
    } catch {
        // The failing Close frame is in `outbound`.
    }
    writeAll(outbound)
    outbound.removeAll(keepingCapacity: true)
}

if CommandLine.arguments.count > 2 {
    let digits = Array(CommandLine.arguments[2].utf8)
    let initial = stride(from: 0, to: digits.count - 1, by: 2).map {
        UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16) ?? 0
    }
    initial.withUnsafeBytes { receive($0) }
}

while connection.state != .closed || role == .client {
    // Once closed, a client waits a moment for the server to close the TCP connection first.
    if connection.state == .closed, role == .client, !readable(within: 2000) { break }
    let count = read(0, &readBuffer, readBuffer.count)
    if count < 0, errno == EINTR { continue }
    if count <= 0 {
        _ = connection.receiveEndOfInput()
        break
    }
    readBuffer.withUnsafeBytes { receive(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
}
