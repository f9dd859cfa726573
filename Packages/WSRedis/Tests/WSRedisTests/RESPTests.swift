import Testing
import NIOCore
@testable import WSRedis

@Suite("Redis URLs, slots and RESP through hiredis")
struct RESPTests {
    @Test("URLs: host, port, TLS, credentials; each mistake says what is wrong")
    func urls() throws {
        #expect(try RedisURL("redis://127.0.0.1") == RedisURL(host: "127.0.0.1", port: 6379))
        #expect(try RedisURL("rediss://cache.example:6380/0") == RedisURL(host: "cache.example", port: 6380, tls: true))
        #expect(try RedisURL("redis://:s%40cret@h:1") == RedisURL(host: "h", port: 1, password: "s@cret"))
        #expect(try RedisURL("redis://app:pw@h") == RedisURL(host: "h", username: "app", password: "pw"))
        #expect(try RedisURL("redis://[::1]:7000") == RedisURL(host: "::1", port: 7000))
        #expect(try RedisURL("redis://:pw@[::1]:7000").description == "redis://:***@[::1]:7000", "the password is never printed")
        #expect(throws: RedisError(.invalidURL, "\"127.0.0.1:6379\" is not a Redis URL: write redis://HOST:PORT or rediss://HOST:PORT")) {
            try RedisURL("127.0.0.1:6379")
        }
        #expect(throws: RedisError(.invalidURL, "\"http://h\": the scheme must be redis or rediss, not http")) { try RedisURL("http://h") }
        #expect(throws: RedisError(.invalidURL, "\"redis://h:99999\": the port must be a number from 1 to 65535, not \"99999\"")) {
            try RedisURL("redis://h:99999")
        }
        #expect(throws: RedisError(.invalidURL, "\"redis://:6379\" has no host")) { try RedisURL("redis://:6379") }
    }

    @Test("hash slots as Redis computes them, hash tags included")
    func slots() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        #expect(RedisClusterSlots.crc16(Array("123456789".utf8)[...]) == 0x31C3)
        #expect(RedisClusterSlots.slot(of: "foo") == 12182)
        #expect(RedisClusterSlots.slot(of: "{user1000}.following") == RedisClusterSlots.slot(of: "{user1000}.followers"))
        #expect(RedisClusterSlots.slot(of: "foo{}{bar}") == RedisClusterSlots.slot(of: "foo{}{bar}"))
        #expect(RedisClusterSlots.slot(of: "{}x") == Int(RedisClusterSlots.crc16(Array("{}x".utf8)[...]) & 0x3FFF), "an empty tag hashes the whole name")
    }

    @Test("commands are formatted by hiredis; replies of every type are read back, in pieces")
    func roundTrip() throws {
        var buffer = ByteBuffer()
        try RESPCommand.append([Array("PUBLISH".utf8), Array("room".utf8), [0, 13, 10, 255]], to: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("*3\r\n$7\r\nPUBLISH\r\n$4\r\nroom\r\n$4\r\n".utf8) + [0, 13, 10, 255] + [13, 10])
        let wire = Array("+OK\r\n-ERR no\r\n:42\r\n$3\r\na\r\n\r\n$-1\r\n*2\r\n$7\r\nmessage\r\n*1\r\n:1\r\n".utf8)
        let reader = try RESPReader(maxBufferedBytes: 1 << 10)
        var replies: [RESPValue] = []
        for byte in wire {
            try [byte].withUnsafeBytes { try reader.feed($0) }
            while let reply = try reader.next({ RESPValue($0) }) { replies.append(reply) }
        }
        #expect(replies == [.status("OK"), .error("ERR no"), .integer(42), .bulk(Array("a\r\n".utf8)), .null,
                            .array([.bulk(Array("message".utf8)), .array([.integer(1)])])])
    }

    @Test("what is not RESP, or a reply over the bound, is an error that says so")
    func hostileReplies() throws {
        let reader = try RESPReader(maxBufferedBytes: 64)
        try Array("?what\r\n".utf8).withUnsafeBytes { try reader.feed($0) }
        #expect(throws: RedisError.self) { _ = try reader.next { RESPValue($0) } }
        let bounded = try RESPReader(maxBufferedBytes: 64)
        #expect(throws: RedisError(.protocolViolation, "a reply of more than 64 bytes")) {
            try Array("$1000\r\n".utf8 + [UInt8](repeating: 65, count: 100)).withUnsafeBytes { try bounded.feed($0) }
        }
    }
}
