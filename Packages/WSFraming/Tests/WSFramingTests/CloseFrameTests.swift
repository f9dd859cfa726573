import Testing
import WSFraming

@Suite("Close frames and codes (RFC 6455 §5.5.1, §7.4)")
struct CloseFrameTests {
    static let validCodes: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
    static let invalidCodes: [UInt16] = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]

    @Test("accepts the codes RFC 6455 §7.4 and the IANA registry allow on the wire", arguments: validCodes)
    func validCode(_ code: UInt16) throws {
        #expect(CloseCode(code).isValidOnWire)
        let frame = try CloseFrame(decoding: [UInt8(code >> 8), UInt8(code & 0xFF)])
        #expect(frame.code == CloseCode(code))
    }

    @Test("rejects reserved, unassigned and never-sent codes with 1002 (RFC 6455 §7.4.1)", arguments: invalidCodes)
    func invalidCode(_ code: UInt16) {
        #expect(!CloseCode(code).isValidOnWire)
        let error = #expect(throws: FramingError.self) { try CloseFrame(decoding: [UInt8(code >> 8), UInt8(code & 0xFF)]) }
        #expect(error?.code == .invalidCloseCode)
        #expect(error?.closeCode == .protocolError)
    }

    @Test("an empty payload means no code (RFC 6455 §5.5.1)")
    func empty() throws {
        #expect(try CloseFrame(decoding: []) == CloseFrame(code: nil))
        #expect(CloseFrame(code: nil).encoded == [])
    }

    @Test("a 1-byte payload is a protocol error (RFC 6455 §5.5.1)")
    func oneByte() {
        let error = #expect(throws: FramingError.self) { try CloseFrame(decoding: [0x03]) }
        #expect(error?.code == .invalidClosePayload)
        #expect(error?.closeCode == .protocolError)
    }

    @Test("the reason must be UTF-8, else 1007 (RFC 6455 §5.5.1, §8.1)")
    func reasonUTF8() throws {
        #expect(try CloseFrame(decoding: hex("03 e8") + Array("bye κόσμε".utf8)).reason == "bye κόσμε")
        let error = #expect(throws: FramingError.self) { try CloseFrame(decoding: hex("03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80")) }
        #expect(error?.code == .invalidUTF8)
        #expect(error?.closeCode == .invalidPayloadData)
    }

    @Test("encodes the code in network byte order, then the reason")
    func encodes() {
        #expect(CloseFrame(code: .normalClosure, reason: "done").encoded == hex("03 e8 64 6f 6e 65"))
        #expect(CloseFrame(code: CloseCode(4999)).encoded == hex("13 87"))
    }
}
