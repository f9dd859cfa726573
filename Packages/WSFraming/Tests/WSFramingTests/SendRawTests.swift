import Testing
import WSFraming

/// Sending into raw memory writes what sending into a sink writes.
@Suite("Sending into raw memory")
struct SendRawTests {
    @Test("the same bytes as the sink form, for every size and fragmentation, both roles",
          arguments: [WebSocketConnection.Configuration.Fragmentation.never, .framesOfAtMost(100)])
    func sameBytes(_ fragmentation: WebSocketConnection.Configuration.Fragmentation) throws {
        for role in [WebSocketRole.server, .client] {
            let configuration = WebSocketConnection.Configuration(fragmentation: fragmentation)
            let key = MaskingKey(1, 2, 3, 4)
            var viaSink = WebSocketConnection(role: role, configuration: configuration, maskingKeys: FixedMaskingKeys(key))
            var viaRaw = WebSocketConnection(role: role, configuration: configuration, maskingKeys: FixedMaskingKeys(key))
            for size in [0, 1, 125, 126, 300, 65_535, 65_536, 70_000] {
                let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13) }
                var expected: [UInt8] = []
                try payload.withUnsafeBytes { bytes in try viaSink.send(.binary, payload: bytes, into: &expected) }
                let capacity = try #require(viaRaw.maxEncodedSize(ofMessage: size))
                #expect(capacity >= expected.count)
                var out = [UInt8](repeating: 0, count: capacity)
                let written = try out.withUnsafeMutableBytes { memory in
                    try payload.withUnsafeBytes { bytes in try viaRaw.send(.binary, payload: bytes, into: memory) }
                }
                #expect(written.map { Array(out.prefix($0)) } == expected, "size \(size), \(role)")
                var small = [UInt8](repeating: 0, count: capacity - 1)
                let refused = try small.withUnsafeMutableBytes { memory in
                    try payload.withUnsafeBytes { bytes in try viaRaw.send(.binary, payload: bytes, into: memory) }
                }
                #expect(refused == nil, "too little room: nothing written")
            }
        }
    }

    @Test("after the Close nothing is written and the error is the sink form's")
    func afterClose() throws {
        var connection = WebSocketConnection(role: .server)
        var sink: [UInt8] = []
        try connection.sendClose(into: &sink)
        var out = [UInt8](repeating: 0, count: 32)
        let error = out.withUnsafeMutableBytes { memory -> FramingError? in
            do throws(FramingError) {
                _ = try connection.send(.text, payload: UnsafeRawBufferPointer(start: nil, count: 0), into: memory)
                return nil
            } catch { return error }
        }
        #expect(error?.code == .connectionClosed)
        // with room for any frame
        #expect(out == [UInt8](repeating: 0, count: 32))
    }
}
