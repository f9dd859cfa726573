import CHiredis

/// hiredis's RESP reader, fed the bytes a connection reads: Redis's protocol is decoded by
/// the library that Redis itself ships with, never by hand. Used on one event loop.
final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>
    /// The most bytes held for a reply not yet complete: a peer that sends a longer one is
    /// cut off (hiredis 0.14 has no bound of its own).
    let maxBufferedBytes: Int

    init(maxBufferedBytes: Int) throws(RedisError) {
        guard let reader = redisReaderCreate() else { throw RedisError(.outOfMemory, "hiredis could not allocate a reader") }
        self.reader = reader
        self.maxBufferedBytes = maxBufferedBytes
    }

    deinit { redisReaderFree(reader) }

    /// Takes bytes read from the connection.
    func feed(_ bytes: UnsafeRawBufferPointer) throws(RedisError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count) == REDIS_OK else { throw failure() }
        let held = reader.pointee.len - reader.pointee.pos
        guard held <= maxBufferedBytes else {
            throw RedisError(.protocolViolation, "a reply of more than \(maxBufferedBytes) bytes")
        }
    }

    /// Calls `body` with the next complete reply, lent for the call; nil when none is complete.
    func next<Result>(_ body: (UnsafePointer<redisReply>) throws(RedisError) -> Result) throws(RedisError) -> Result? {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &reply) == REDIS_OK else { throw failure() }
        guard let reply else { return nil }
        defer { freeReplyObject(reply) }
        return try body(UnsafePointer(reply.assumingMemoryBound(to: redisReply.self)))
    }

    private func failure() -> RedisError {
        let text = withUnsafeBytes(of: reader.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return RedisError(.protocolViolation, "not RESP: \(text)")
    }
}
