import Testing
import WSFraming

@Suite("Frame headers (RFC 6455 §5.2)")
struct FrameHeaderTests {
    struct Vector: CustomTestStringConvertible, Sendable {
        let name: String
        let hex: String
        let header: FrameHeader
        var testDescription: String { name }
    }

    static let key = MaskingKey(0x37, 0xFA, 0x21, 0x3D)

    static let vectors: [Vector] = [
        Vector(name: "unmasked text, 7-bit length (RFC 6455 §5.7)", hex: "81 05",
               header: FrameHeader(opcode: .text, payloadLength: 5)),
        Vector(name: "masked text with key (RFC 6455 §5.7)", hex: "81 85 37 fa 21 3d",
               header: FrameHeader(opcode: .text, maskingKey: key, payloadLength: 5)),
        Vector(name: "first fragment, FIN clear (RFC 6455 §5.7)", hex: "01 03",
               header: FrameHeader(isFinal: false, opcode: .text, payloadLength: 3)),
        Vector(name: "continuation, FIN set (RFC 6455 §5.7)", hex: "80 02",
               header: FrameHeader(opcode: .continuation, payloadLength: 2)),
        Vector(name: "ping (RFC 6455 §5.7)", hex: "89 05",
               header: FrameHeader(opcode: .ping, payloadLength: 5)),
        Vector(name: "masked pong (RFC 6455 §5.7)", hex: "8a 85 37 fa 21 3d",
               header: FrameHeader(opcode: .pong, maskingKey: key, payloadLength: 5)),
        Vector(name: "256-byte binary, 16-bit length (RFC 6455 §5.7)", hex: "82 7e 01 00",
               header: FrameHeader(opcode: .binary, payloadLength: 256)),
        Vector(name: "64 KiB binary, 64-bit length (RFC 6455 §5.7)", hex: "82 7f 00 00 00 00 00 01 00 00",
               header: FrameHeader(opcode: .binary, payloadLength: 65536)),
        Vector(name: "125 bytes, the largest 7-bit length (RFC 6455 §5.2)", hex: "82 7d",
               header: FrameHeader(opcode: .binary, payloadLength: 125)),
        Vector(name: "126 bytes, the smallest 16-bit length (RFC 6455 §5.2)", hex: "82 7e 00 7e",
               header: FrameHeader(opcode: .binary, payloadLength: 126)),
        Vector(name: "65535 bytes, the largest 16-bit length (RFC 6455 §5.2)", hex: "82 7e ff ff",
               header: FrameHeader(opcode: .binary, payloadLength: 65535)),
        Vector(name: "largest 64-bit length, top bit clear (RFC 6455 §5.2)", hex: "82 ff 7f ff ff ff ff ff ff ff 37 fa 21 3d",
               header: FrameHeader(opcode: .binary, maskingKey: key, payloadLength: Int(Int64.max))),
        Vector(name: "RSV1-3 each set (RFC 6455 §5.2)", hex: "f2 00",
               header: FrameHeader(reservedBits: [.rsv1, .rsv2, .rsv3], opcode: .binary, payloadLength: 0)),
        Vector(name: "close with no FIN-less quirk (RFC 6455 §5.5.1)", hex: "88 02",
               header: FrameHeader(opcode: .close, payloadLength: 2)),
    ]

    @Test("decodes each vector (RFC 6455 §5.2)", arguments: vectors)
    func decodes(_ vector: Vector) throws {
        let bytes = hex(vector.hex)
        let parsed = try #require(try FrameHeader.parse(bytes))
        #expect(parsed.header == vector.header)
        #expect(parsed.size == bytes.count)
    }

    @Test("encodes each vector with the minimal length encoding (RFC 6455 §5.2)", arguments: vectors)
    func encodes(_ vector: Vector) {
        #expect(vector.header.encoded == hex(vector.hex))
        #expect(vector.header.encodedSize == hex(vector.hex).count)
    }

    @Test("asks for more bytes until the whole header is there", arguments: vectors)
    func incomplete(_ vector: Vector) throws {
        let bytes = hex(vector.hex)
        for count in 0..<bytes.count {
            #expect(try FrameHeader.parse(Array(bytes[..<count])) == nil)
        }
    }

    @Test("accepts a length encoded in more bytes than needed (RFC 6455 §5.2: decided lenient)")
    func nonMinimalLength() throws {
        let parsed = try #require(try FrameHeader.parse(hex("82 7e 00 05")))
        #expect(parsed.header.payloadLength == 5)
    }

    @Test("rejects each reserved opcode with 1002 (RFC 6455 §5.2)", arguments: [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] as [UInt8])
    func reservedOpcode(_ opcode: UInt8) {
        let error = #expect(throws: FramingError.self) { try FrameHeader.parse([0x80 | opcode, 0x00]) }
        #expect(error?.code == .reservedOpcode)
        #expect(error?.closeCode == .protocolError)
        #expect(error?.fault == .remote)
    }

    @Test("rejects a 64-bit length with its top bit set (RFC 6455 §5.2)")
    func topBit() {
        let error = #expect(throws: FramingError.self) { try FrameHeader.parse(hex("82 7f 80 00 00 00 00 00 00 00")) }
        #expect(error?.code == .invalidLength)
        #expect(error?.closeCode == .protocolError)
    }

    @Test("rejects a fragmented control frame (RFC 6455 §5.5)", arguments: [0x08, 0x09, 0x0A] as [UInt8])
    func fragmentedControl(_ opcode: UInt8) {
        let error = #expect(throws: FramingError.self) { try FrameHeader.parse([opcode, 0x00]) }
        #expect(error?.code == .fragmentedControlFrame)
    }

    @Test("rejects a control frame longer than 125 bytes (RFC 6455 §5.5)", arguments: [0x88, 0x89, 0x8A] as [UInt8])
    func oversizedControl(_ byte0: UInt8) throws {
        #expect(try FrameHeader.parse([byte0, 125]) != nil)
        let error = #expect(throws: FramingError.self) { try FrameHeader.parse([byte0, 126, 0, 126]) }
        #expect(error?.code == .oversizedControlFrame)
    }

    @Test("round-trips random headers", arguments: 0..<4)
    func roundTrip(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        for _ in 0..<500 {
            let opcode = Opcode.allCases.randomElement(using: &rng) ?? .text
            let length = opcode.isControl
                ? Int.random(in: 0...125, using: &rng)
                : [Int.random(in: 0...125, using: &rng), Int.random(in: 126...65535, using: &rng),
                   Int.random(in: 65536...Int(Int64.max), using: &rng)].randomElement(using: &rng) ?? 0
            let header = FrameHeader(
                isFinal: opcode.isControl || Bool.random(using: &rng),
                reservedBits: ReservedBits(rawValue: UInt8.random(in: 0...7, using: &rng) << 4),
                opcode: opcode,
                maskingKey: Bool.random(using: &rng) ? MaskingKey(UInt8.random(in: 0...255, using: &rng), 1, 2, UInt8.random(in: 0...255, using: &rng)) : nil,
                payloadLength: length)
            let parsed = try #require(try FrameHeader.parse(header.encoded))
            #expect(parsed.header == header)
            #expect(parsed.size == header.encodedSize)
        }
    }

    @Test("control opcodes are exactly close, ping and pong (RFC 6455 §5.5)")
    func controlOpcodes() {
        #expect(Opcode.allCases.filter(\.isControl) == [.close, .ping, .pong])
    }
}
