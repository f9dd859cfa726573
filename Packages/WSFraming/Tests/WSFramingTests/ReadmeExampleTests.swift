import Testing
import WSFraming

/// Keeps the examples of Packages/WSFraming/README.md compiling and true. When you change
/// one, change the other.
@Suite("README examples")
struct ReadmeExampleTests {
    @Test("the echo example echoes a masked \"Hello\"")
    func echo() throws {
        // --- README: echo ---
        var server = WebSocketConnection(role: .server)
        var replies: [UInt8] = []   // bytes to write back: pongs, Close replies, our messages

        // Bytes read from the socket: a client's masked "Hello" (RFC 6455 §5.7).
        let received: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        for event in try server.receive(received, replies: &replies) {
            if case .text(let text) = event {
                try server.sendText("echo: \(text)", into: &replies)
            }
        }
        // Now write `replies` to the socket.
        // --- end ---
        #expect(replies == [0x81, 0x0B] + Array("echo: Hello".utf8))
    }

    @Test("the I/O loop example reads every frame of a read, then flushes once")
    func ioLoop() throws {
        var connection = WebSocketConnection(role: .server)
        var outbound: [UInt8] = []
        var closed = false
        let readBuffer: [UInt8] = [0x89, 0x80, 1, 2, 3, 4] + [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8]
        func write(_ bytes: [UInt8]) { #expect(bytes == [0x8A, 0x00, 0x88, 0x02, 0x03, 0xE8]) }
        func closeSocket() { closed = true }
        func handle(_ event: WebSocketConnection.Event) {}

        // --- README: I/O loop ---
        readBuffer.withUnsafeBytes { bytes in
            var input = bytes
            do {
                while let event = try connection.nextEvent(from: &input, replies: &outbound) {
                    handle(event)
                }
            } catch {
                // A protocol violation: the failing Close frame is in `outbound`.
                print("closing: \(error)")
            }
        }
        write(outbound)   // one write per read
        outbound.removeAll(keepingCapacity: true)
        if connection.state == .closed { closeSocket() }
        // --- end ---
        #expect(closed)
    }
}
