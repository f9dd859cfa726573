import CHiredis
import NIOCore

/// Commands in RESP, formatted by hiredis (`redisFormatCommandArgv`) straight from their
/// arguments' bytes.
enum RESPCommand {
    /// Appends the command made of `arguments` to `buffer`.
    static func append(_ arguments: [String], to buffer: inout ByteBuffer) {
        append(arguments.map { Array($0.utf8) }, to: &buffer)
    }

    /// Appends the command made of `arguments` (bytes) to `buffer`.
    static func append(_ arguments: [[UInt8]], to buffer: inout ByteBuffer) {
        // One block for every argument, so that hiredis gets all their addresses at once.
        var offsets: [Int] = []
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(0) { $0 + $1.count })
        for argument in arguments {
            offsets.append(joined.count)
            joined += argument
        }
        joined.withUnsafeBytes { block in
            let base = block.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            let argv: [UnsafePointer<CChar>?] = offsets.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            let lengths = arguments.map(\.count)
            var command: UnsafeMutablePointer<CChar>?
            let count = argv.withUnsafeBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lengths in
                    redisFormatCommandArgv(&command, Int32(arguments.count), UnsafeMutablePointer(mutating: argv.baseAddress), lengths.baseAddress)
                }
            }
            guard count >= 0, let command else { fatalError("hiredis: out of memory formatting a command") }
            defer { redisFreeCommand(command) }
            buffer.writeBytes(UnsafeRawBufferPointer(start: command, count: Int(count)))
        }
    }

    /// The command as a new buffer.
    static func make(_ arguments: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        append(arguments, to: &buffer)
        return buffer
    }
}
