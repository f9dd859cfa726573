import WSFraming

/// Parses a hex string such as "81 05 48 65" into bytes.
func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0 }
}

/// A deterministic random number generator (SplitMix64), so failures reproduce.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Masking keys from a fixed list, repeated, so that a client's output is known in advance.
struct FixedMaskingKeys: MaskingKeyGenerator {
    var keys: [MaskingKey]
    var index = 0
    init(_ keys: MaskingKey...) { self.keys = keys }
    mutating func next() -> MaskingKey {
        defer { index = (index + 1) % keys.count }
        return keys[index]
    }
}

/// How a test feeds bytes to a parser: every parser must give the same result for each.
enum Split: CustomStringConvertible, CaseIterable {
    case whole, byteByByte, random
    var description: String {
        switch self {
        case .whole: "whole"
        case .byteByByte: "byte by byte"
        case .random: "random splits"
        }
    }

    /// Cuts `bytes` into the pieces this split feeds.
    func pieces(of bytes: [UInt8], seed: UInt64 = 42) -> [[UInt8]] {
        switch self {
        case .whole:
            return [bytes]
        case .byteByByte:
            return bytes.map { [$0] }
        case .random:
            var rng = SeededRandom(seed: seed)
            var pieces: [[UInt8]] = []
            var start = 0
            while start < bytes.count {
                let length = Int.random(in: 1...max(1, min(40, bytes.count - start)), using: &rng)
                pieces.append(Array(bytes[start..<min(start + length, bytes.count)]))
                start += length
            }
            return pieces
        }
    }
}

/// What a connection made of some input: its events, the error that failed it, the bytes it
/// wrote back.
struct Received {
    var events: [WebSocketConnection.Event] = []
    var error: FramingError?
    var replies: [UInt8] = []
}

/// Feeds `bytes` to `connection` in the pieces `split` makes, collecting what happens.
func feed(_ bytes: [UInt8], to connection: inout WebSocketConnection, split: Split = .whole) -> Received {
    var received = Received()
    for piece in split.pieces(of: bytes) {
        piece.withUnsafeBytes { buffer in
            var input = buffer
            do throws(FramingError) {
                while let event = try connection.nextEvent(from: &input, replies: &received.replies) {
                    received.events.append(event)
                }
            } catch {
                received.error = received.error ?? error
            }
        }
    }
    return received
}

/// Feeds `bytes` to a new connection of `role`.
func feed(
    _ bytes: [UInt8], role: WebSocketRole, configuration: WebSocketConnection.Configuration = .default,
    transform: (any MessageTransform)? = nil, split: Split = .whole
) -> Received {
    var connection = WebSocketConnection(role: role, configuration: configuration, transform: transform)
    return feed(bytes, to: &connection, split: split)
}

/// A masked client frame, as a client would send it.
func clientFrame(
    _ opcode: Opcode, _ payload: [UInt8], isFinal: Bool = true, reservedBits: ReservedBits = [],
    key: MaskingKey = MaskingKey(0x37, 0xFA, 0x21, 0x3D)
) -> [UInt8] {
    var out: [UInt8] = []
    let header = FrameHeader(isFinal: isFinal, reservedBits: reservedBits, opcode: opcode, maskingKey: key, payloadLength: payload.count)
    FrameWriter.write(header, payload: payload, into: &out)
    return out
}

/// An unmasked server frame.
func serverFrame(_ opcode: Opcode, _ payload: [UInt8], isFinal: Bool = true, reservedBits: ReservedBits = []) -> [UInt8] {
    var out: [UInt8] = []
    let header = FrameHeader(isFinal: isFinal, reservedBits: reservedBits, opcode: opcode, payloadLength: payload.count)
    FrameWriter.write(header, payload: payload, into: &out)
    return out
}

/// The frames in `bytes` that a server or client wrote, decoded and unmasked.
func frames(in bytes: [UInt8]) -> [(header: FrameHeader, payload: [UInt8])] {
    var result: [(FrameHeader, [UInt8])] = []
    var rest = bytes[...]
    while !rest.isEmpty, let (header, size) = try? FrameHeader.parse(Array(rest)) {
        var payload = Array(rest.dropFirst(size).prefix(header.payloadLength))
        header.maskingKey?.mask(&payload)
        result.append((header, payload))
        rest = rest.dropFirst(size + header.payloadLength)
    }
    return result
}
