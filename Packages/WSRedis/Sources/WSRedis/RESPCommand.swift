import CHiredis
import NIOCore

/// Commands in RESP, formatted by hiredis (`redisFormatCommandArgv`) straight from their
/// arguments' bytes.
enum RESPCommand {
    /// Appends the command made of `arguments` to `buffer`.
    ///
    /// - Throws: ``RedisError`` (``RedisError/Kind/outOfMemory``) when hiredis cannot allocate
    ///   the command; nothing is written then.
    static func append(_ arguments: [String], to buffer: inout ByteBuffer) throws(RedisError) {
        try append(arguments.map { Array($0.utf8) }, to: &buffer)
    }

    /// Appends the command made of `arguments` (bytes) to `buffer`.
    ///
    /// - Throws: ``RedisError`` (``RedisError/Kind/outOfMemory``) when hiredis cannot allocate
    ///   the command; nothing is written then.
    static func append(_ arguments: [[UInt8]], to buffer: inout ByteBuffer) throws(RedisError) {
        // One block for every argument, so that hiredis gets all their addresses at once.
        var offsets: [Int] = []
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(0) { $0 + $1.count })
        for argument in arguments {
            offsets.append(joined.count)
            joined += argument
        }
        let total = joined.count
        // A byte past the arguments (not passed to hiredis), so that the block always has an address.
        joined.append(0)
        let formatted: Bool = joined.withUnsafeBytes { block in
            guard let base = block.baseAddress else { return false }
            let argv: [UnsafePointer<CChar>?] = offsets.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            let lengths = arguments.map(\.count)
            var command: UnsafeMutablePointer<CChar>?
            let count = argv.withUnsafeBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lengths in
                    redisFormatCommandArgv(&command, Int32(arguments.count), UnsafeMutablePointer(mutating: argv.baseAddress), lengths.baseAddress)
                }
            }
            guard count >= 0, let command else { return false }
            defer { redisFreeCommand(command) }
            buffer.writeBytes(UnsafeRawBufferPointer(start: command, count: Int(count)))
            return true
        }
        guard formatted else { throw RedisError(.outOfMemory, "hiredis could not allocate a command of \(total) bytes") }
    }

    /// The command as a new buffer.
    ///
    /// - Throws: ``RedisError`` (``RedisError/Kind/outOfMemory``) as ``append(_:to:)-([String],_)`` does.
    static func make(_ arguments: [String]) throws(RedisError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try append(arguments, to: &buffer)
        return buffer
    }
}
