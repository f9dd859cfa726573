import Testing
import WSFraming

@Suite("Masking (RFC 6455 §5.3)")
struct MaskingKeyTests {
    /// The definition: byte i XOR key[(i + offset) % 4].
    static func reference(_ bytes: [UInt8], _ key: MaskingKey, offset: Int) -> [UInt8] {
        bytes.enumerated().map { $0.element ^ key[($0.offset + offset) % 4] }
    }

    static let key = MaskingKey(0x37, 0xFA, 0x21, 0x3D)

    @Test("masks \"Hello\" as RFC 6455 §5.7 shows")
    func rfcExample() {
        var bytes = Array("Hello".utf8)
        Self.key.mask(&bytes)
        #expect(bytes == hex("7f 9f 4d 51 58"))
        Self.key.mask(&bytes)
        #expect(bytes == Array("Hello".utf8))
    }

    @Test("in place, matches the definition for every length 0-100 and offset 0-7")
    func inPlace() {
        var rng = SeededRandom(seed: 7)
        for length in 0...100 {
            let input = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for offset in 0..<8 {
                var bytes = input
                Self.key.mask(&bytes, offset: offset)
                #expect(bytes == Self.reference(input, Self.key, offset: offset), "length \(length) offset \(offset)")
            }
        }
    }

    @Test("while copying, matches the definition for every length 0-100 and offset 0-7, at unaligned addresses")
    func copying() {
        var rng = SeededRandom(seed: 8)
        for length in 0...100 {
            for misalignment in 0..<3 {
                let input = (0..<(length + misalignment)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                for offset in 0..<8 {
                    var output = [UInt8](repeating: 0, count: length + 1)
                    input.withUnsafeBytes { source in
                        output.withUnsafeMutableBytes { destination in
                            Self.key.mask(from: UnsafeRawBufferPointer(rebasing: source[misalignment...]),
                                          to: UnsafeMutableRawBufferPointer(rebasing: destination[1...]), offset: offset)
                        }
                    }
                    #expect(output[0] == 0, "wrote before the destination")
                    #expect(Array(output[1...]) == Self.reference(Array(input[misalignment...]), Self.key, offset: offset))
                }
            }
        }
    }

    @Test("unmasking in pieces at any cut equals unmasking whole")
    func pieces() {
        var rng = SeededRandom(seed: 9)
        let input = (0..<200).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let whole = Self.reference(input, Self.key, offset: 0)
        for cut in 0...input.count {
            var first = Array(input[..<cut]), second = Array(input[cut...])
            Self.key.mask(&first, offset: 0)
            Self.key.mask(&second, offset: cut)
            #expect(first + second == whole)
        }
    }

    @Test("a key keeps its bytes in wire order")
    func bytes() {
        #expect(Self.key.bytes == [0x37, 0xFA, 0x21, 0x3D])
        #expect(MaskingKey([1, 2, 3, 4])?.bytes == [1, 2, 3, 4])
        #expect(MaskingKey([1, 2, 3]) == nil)
        #expect(Self.key.description == "37fa213d")
    }

    @Test("the system generator gives distinct keys across many refills")
    func systemGenerator() {
        var generator = SystemMaskingKeyGenerator()
        let keys = (0..<10_000).map { _ in generator.next() }
        // 10,000 draws from 2^32 values: a repeat is possible but rare; many would mean a broken source.
        #expect(Set(keys).count > 9_980)
        #expect(Set(keys.map { $0[0] }).count > 200, "first bytes should cover most values")
    }

    @Test("a client masks each frame with the next key of an injected source (RFC 6455 §5.3)")
    func injectedKeys() throws {
        var client = WebSocketConnection(role: .client, maskingKeys: FixedMaskingKeys(Self.key, MaskingKey(1, 2, 3, 4)))
        var out: [UInt8] = []
        try client.sendText("Hello", into: &out)
        #expect(out == hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))
        out = []
        try client.sendText("Hello", into: &out)
        #expect(Array(out[2..<6]) == [1, 2, 3, 4])
    }
}
