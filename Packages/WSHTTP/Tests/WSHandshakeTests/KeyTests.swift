import Testing
@_spi(WSInternal) @testable import WSHandshake

@Suite("The key and its answer: SHA-1, base64 (RFC 6455 §4.2.2, RFC 3174, RFC 4648)")
struct KeyTests {
    @Test("Sec-WebSocket-Accept of RFC 6455 §1.3's example key")
    func rfcExample() {
        #expect(WebSocketKey.accept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("SHA-1 of the FIPS 180 test messages", arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        (String(repeating: "a", count: 64), "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
    ])
    func sha1(_ message: String, _ digest: String) {
        let hex = SHA1.hash(Array(message.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == digest)
    }

    @Test("base64 of RFC 4648 §10's vectors, both ways", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func base64(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("base64 decoding is strict", arguments: ["Zg=", "Zh==", "Zm9=", "Z===", "Zm9v!A==", "=Zm9", "Zm 9", "Zg==Zg=="])
    func strictBase64(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("a generated key is the base64 of 16 fresh random bytes (RFC 6455 §4.1)")
    func generated() {
        let keys = (0..<100).map { _ in WebSocketKey.generate() }
        #expect(keys.allSatisfy(WebSocketKey.isValid))
        #expect(Set(keys).count == 100)
    }

    @Test("a key must decode to exactly 16 bytes (RFC 6455 §4.2.1)")
    func keyLength() {
        #expect(WebSocketKey.isValid("dGhlIHNhbXBsZSBub25jZQ=="))
        #expect(!WebSocketKey.isValid("dGhlIHNhbXBsZSBub25j"))        // 15 bytes
        #expect(!WebSocketKey.isValid("dGhlIHNhbXBsZSBub25jZSE="))    // 17 bytes
        #expect(!WebSocketKey.isValid("not base64 at all"))
    }
}
