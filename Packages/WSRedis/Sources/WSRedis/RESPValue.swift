import CHiredis

/// A Redis reply, as hiredis's reader decoded it (RESP2).
public enum RESPValue: Sendable, Hashable {
    /// A status reply: `+OK`.
    case status(String)
    /// An error reply: `-ERR …`, `-MOVED 3999 127.0.0.1:7001`.
    case error(String)
    /// An integer reply.
    case integer(Int)
    /// A bulk string: bytes.
    case bulk([UInt8])
    /// A null bulk string or array.
    case null
    /// An array of replies.
    case array([RESPValue])

    /// Copies hiredis's reply.
    init(_ reply: UnsafePointer<redisReply>) {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_STATUS: self = .status(Self.string(reply))
        case REDIS_REPLY_ERROR: self = .error(Self.string(reply))
        case REDIS_REPLY_INTEGER: self = .integer(Int(reply.integer))
        case REDIS_REPLY_STRING: self = .bulk(Array(Self.bytes(reply)))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<reply.elements).compactMap { index in reply.element[index].map { RESPValue(UnsafePointer($0)) } })
        default: self = .null
        }
    }

    /// The bytes of a string, status or error reply, lent by hiredis.
    static func bytes(_ reply: redisReply) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: reply.str, count: reply.str == nil ? 0 : reply.len)
    }

    static func string(_ reply: redisReply) -> String {
        String(decoding: bytes(reply), as: UTF8.self)
    }

    /// The text of a status, error or bulk reply.
    public var text: String? {
        switch self {
        case .status(let text), .error(let text): text
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}
