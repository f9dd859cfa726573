// Encodes a message as a client would send it, decodes it as a server, and prints the bytes.
// Run with `swift run framing-demo [message]`.
import WSFraming

let text = CommandLine.arguments.dropFirst().joined(separator: " ")
let message = text.isEmpty ? "Hello, WebSocket!" : text

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

var client = WebSocketConnection(role: .client)
var server = WebSocketConnection(role: .server)
var wire: [UInt8] = []
var replies: [UInt8] = []

do {
    try client.sendText(message, into: &wire)
    print("client sends \(wire.count) bytes: \(hex(wire))")
    if let header = try FrameHeader.parse(wire)?.header {
        print("  header: FIN=\(header.isFinal) opcode=\(header.opcode) masked=\(header.maskingKey != nil) key=\(header.maskingKey?.description ?? "-") length=\(header.payloadLength)")
    }
    for event in try server.receive(wire, replies: &replies) {
        print("server receives: \(event)")
    }

    wire = []
    try client.sendClose(code: .normalClosure, reason: "done", into: &wire)
    print("client sends Close: \(hex(wire))")
    for event in try server.receive(wire, replies: &replies) {
        print("server receives: \(event)")
    }
    print("server replies: \(hex(replies))")
    for event in try client.receive(replies, replies: &wire) {
        print("client receives: \(event)")
    }
    print("closed: server \(server.outcome.map { "\($0)" } ?? "-"), client \(client.outcome.map { "\($0)" } ?? "-")")
} catch {
    print("error: \(error)")
}
