/// Which master of a Redis Cluster owns each of the 16,384 hash slots, as `CLUSTER SLOTS`
/// says; and the slot of a channel, as Redis computes it (CRC16 of the name, or of its
/// `{hash tag}`, modulo 16,384).
struct RedisClusterSlots: Sendable, Hashable {
    static let count = 16_384

    /// The masters, `host` and `port`, in the order first seen.
    private(set) var masters: [Master] = []
    /// For each slot, the index of its master in ``masters``; -1 for a slot no one serves.
    private(set) var owners = [Int16](repeating: -1, count: RedisClusterSlots.count)

    struct Master: Sendable, Hashable {
        var host: String
        var port: Int
    }

    /// Reads a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id…], replicas…], …]`.
    init(_ reply: RESPValue) throws(RedisError) {
        guard case .array(let ranges) = reply else {
            throw RedisError(.replied, "CLUSTER SLOTS answered \(reply), not an array of slot ranges")
        }
        for range in ranges {
            guard case .array(let parts) = range, parts.count >= 3, case .integer(let start) = parts[0], case .integer(let end) = parts[1],
                  case .array(let master) = parts[2], master.count >= 2, let host = master[0].text, case .integer(let port) = master[1],
                  0 <= start, start <= end, end < Self.count else {
                throw RedisError(.replied, "CLUSTER SLOTS answered a range that is not [start, end, [host, port]]: \(range)")
            }
            let node = Master(host: host, port: port)
            let index: Int
            if let known = masters.firstIndex(of: node) { index = known } else {
                index = masters.count
                masters.append(node)
            }
            for slot in start...end { owners[slot] = Int16(index) }
        }
        guard !masters.isEmpty else { throw RedisError(.replied, "CLUSTER SLOTS named no master: the cluster serves no slot") }
    }

    /// The master of `channel`'s slot, or nil when no one serves it.
    func master(of channel: String) -> Int? {
        let owner = owners[Self.slot(of: channel)]
        return owner < 0 ? nil : Int(owner)
    }

    /// The hash slot of a key or channel (Redis Cluster specification, "Keys hash tags").
    static func slot(of name: String) -> Int {
        let bytes = Array(name.utf8)
        var key = bytes[...]
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
           let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            key = bytes[(open + 1)..<close]
        }
        return Int(crc16(key) & 0x3FFF)
    }

    /// CRC16-CCITT (XModem): polynomial 0x1021, initial 0, as Redis Cluster hashes keys.
    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }
}
