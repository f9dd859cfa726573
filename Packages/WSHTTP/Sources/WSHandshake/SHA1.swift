/// SHA-1 (FIPS 180-4), for `Sec-WebSocket-Accept` only (RFC 6455 §4.2.2). SHA-1 is broken
/// for collision resistance; the handshake uses it only to prove that the server read the
/// key, which that weakness does not touch.
enum SHA1 {
    /// The 20-byte digest of `message`.
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var padded = message
        padded.append(0x80)
        padded.append(contentsOf: repeatElement(0, count: (119 - message.count % 64) % 64))
        let bitLength = UInt64(message.count) &* 8
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }

        var h0: UInt32 = 0x6745_2301, h1: UInt32 = 0xEFCD_AB89, h2: UInt32 = 0x98BA_DCFE, h3: UInt32 = 0x1032_5476, h4: UInt32 = 0xC3D2_E1F0
        // Unchecked buffers and one loop per round function: a handshake hashes 60 bytes, and
        // the checked form cost 13,000 instructions for it.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            padded.withUnsafeBufferPointer { bytes in
                for chunk in stride(from: 0, to: bytes.count, by: 64) {
                    for t in 0..<16 {
                        let i = chunk + t * 4
                        w[t] = UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
                    }
                    for t in 16..<80 { w[t] = rotate(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1) }
                    var a = h0, b = h1, c = h2, d = h3, e = h4
                    func round(_ f: UInt32, _ k: UInt32, _ t: Int) {
                        let temp = rotate(a, 5) &+ f &+ e &+ k &+ w[t]
                        e = d
                        d = c
                        c = rotate(b, 30)
                        b = a
                        a = temp
                    }
                    for t in 0..<20 { round((b & c) | (~b & d), 0x5A82_7999, t) }
                    for t in 20..<40 { round(b ^ c ^ d, 0x6ED9_EBA1, t) }
                    for t in 40..<60 { round((b & c) | (b & d) | (c & d), 0x8F1B_BCDC, t) }
                    for t in 60..<80 { round(b ^ c ^ d, 0xCA62_C1D6, t) }
                    h0 &+= a
                    h1 &+= b
                    h2 &+= c
                    h3 &+= d
                    h4 &+= e
                }
            }
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(20)
        for word in [h0, h1, h2, h3, h4] {
            for shift in stride(from: 24, through: 0, by: -8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return digest
    }

    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        value << count | value >> (32 - count)
    }
}
