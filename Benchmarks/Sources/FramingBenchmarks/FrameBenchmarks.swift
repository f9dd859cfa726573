import MallocCounter
import BenchmarkSupport
import WSFraming

/// Decoding and encoding of small frames through ``WebSocketConnection``, in frames per
/// second, and the heap allocations each frame costs.
enum FrameBenchmarks {
    /// Frames per batch: a decoding pass over this many frames, or this many encodings.
    static let framesPerBatch = 4096

    /// How fast a server connection turns `wire` (client frames, each a whole message) into
    /// events: one connection, fed the whole buffer per batch; it stays open throughout.
    static func decodeRate(_ wire: [UInt8], _ harness: inout Harness) -> Double {
        var server = WebSocketConnection(role: .server)
        var replies: [UInt8] = []
        return wire.withUnsafeBytes { wire in
            harness.rate { decodePass(wire, &server, &replies) }
        }
    }

    /// How fast a connection of `role` writes the text message `text` as a frame into a
    /// reused sink, emptied (keeping its capacity) before each frame.
    static func encodeRate(_ role: WebSocketRole, _ text: String, _ harness: inout Harness) -> Double {
        var connection = WebSocketConnection(role: role)
        var sink: [UInt8] = []
        sink.reserveCapacity(text.utf8.count + FrameHeader.maxEncodedSize)
        return harness.rate { encodeBatch(text, &connection, &sink) }
    }

    /// Heap allocations per event while a server connection decodes `wire`, measured on a
    /// second pass so that one-time setup (tables, buffers) does not count.
    static func allocationsPerDecodedFrame(_ wire: [UInt8]) -> Double {
        var server = WebSocketConnection(role: .server)
        var replies: [UInt8] = []
        return wire.withUnsafeBytes { wire in
            _ = decodePass(wire, &server, &replies)
            let before = malloc_counter_count()
            let (events, checksum) = decodePass(wire, &server, &replies)
            let allocations = malloc_counter_count() &- before
            blackHole(checksum)
            return Double(allocations) / Double(max(events, 1))
        }
    }

    /// Heap allocations per frame while a connection of `role` encodes `text`, after a
    /// warm-up batch.
    static func allocationsPerEncodedFrame(_ role: WebSocketRole, _ text: String) -> Double {
        var connection = WebSocketConnection(role: role)
        var sink: [UInt8] = []
        _ = encodeBatch(text, &connection, &sink)
        let before = malloc_counter_count()
        let (frames, checksum) = encodeBatch(text, &connection, &sink)
        let allocations = malloc_counter_count() &- before
        blackHole(checksum)
        return Double(allocations) / Double(frames)
    }

    /// Feeds all of `wire` to `server`; returns the number of events and a checksum of the
    /// messages' lengths. Exits on anything but text and binary messages.
    private static func decodePass(
        _ wire: UnsafeRawBufferPointer, _ server: inout WebSocketConnection, _ replies: inout [UInt8]
    ) -> (units: Int, checksum: UInt64) {
        var input = wire
        var events = 0
        var checksum: UInt64 = 0
        do {
            while let event = try server.nextEvent(from: &input, replies: &replies) {
                events &+= 1
                switch event {
                case .text(let text): checksum &+= UInt64(text.utf8.count)
                case .binary(let bytes): checksum &+= UInt64(bytes.count)
                case .fragment, .ping, .pong, .close: bail("unexpected event while decoding: \(event)")
                }
            }
        } catch {
            bail("decoding failed: \(error)")
        }
        return (events, checksum)
    }

    /// Encodes ``framesPerBatch`` frames of `text`, each into the emptied `sink`.
    private static func encodeBatch(
        _ text: String, _ connection: inout WebSocketConnection, _ sink: inout [UInt8]
    ) -> (units: Int, checksum: UInt64) {
        var checksum: UInt64 = 0
        do {
            for _ in 0..<framesPerBatch {
                sink.removeAll(keepingCapacity: true)
                try connection.sendText(text, into: &sink)
                checksum &+= UInt64(sink.count)
            }
        } catch {
            bail("encoding failed: \(error)")
        }
        return (framesPerBatch, checksum)
    }
}
