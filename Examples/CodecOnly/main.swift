// WSFraming alone, on bytes from a file: no socket, no NIO. With `write FILE TEXT…` it writes
// what a client would send (masked text frames, then a Close); with `read FILE` it decodes
// the file as a server and prints each event and the bytes the server would answer with.
//
//     swift run --package-path Examples CodecOnly write frames.bin "Hello" "again"
//     swift run --package-path Examples CodecOnly read frames.bin
import WSFraming

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ") }

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        bytes += chunk[..<count]
        if count < chunk.count { return bytes }
    }
}

func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    guard let file = fopen(path, "wb") else { return false }
    defer { fclose(file) }
    return fwrite(bytes, 1, bytes.count, file) == bytes.count
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch (arguments.first, arguments.dropFirst().first) {
case ("write", let path?):
    var client = WebSocketConnection(role: .client)
    var wire: [UInt8] = []
    do {
        for text in arguments.dropFirst(2) { try client.sendText(text, into: &wire) }
        try client.sendClose(code: .normalClosure, reason: "done", into: &wire)
    } catch {
        print("cannot encode: \(error)")
        exit(1)
    }
    guard writeFile(path, wire) else { print("cannot write \(path)"); exit(1) }
    print("wrote \(wire.count) bytes of masked client frames to \(path)")
case ("read", let path?):
    guard let bytes = readFile(path) else { print("cannot read \(path)"); exit(1) }
    var server = WebSocketConnection(role: .server)
    var replies: [UInt8] = []
    do {
        for event in try server.receive(bytes, replies: &replies) { print("event: \(event)") }
        print("the server would answer \(replies.count) bytes: \(hex(replies))")
        print("state: \(server.state), outcome: \(server.outcome.map { "\($0)" } ?? "-")")
    } catch {
        print("the bytes break the protocol: \(error)")
        print("the server would answer \(replies.count) bytes: \(hex(replies))")
        exit(2)
    }
default:
    print("usage: CodecOnly write FILE TEXT… | CodecOnly read FILE")
    exit(64)
}
