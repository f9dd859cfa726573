/// The identity of one node (one process's ``WebSocketTopics``) among all that share a
/// backplane: random, 128 bits, made once per topics. A node knows its own publishes by it
/// when the backplane hands them back, as Redis does to every subscriber.
public struct NodeID: Sendable, Hashable, CustomStringConvertible {
    /// The 128 bits.
    public let rawValue: UInt128

    /// The node of `rawValue`: one read from a backplane's message.
    public init(rawValue: UInt128) { self.rawValue = rawValue }

    /// A new, random identity.
    public static func random() -> NodeID {
        var generator = SystemRandomNumberGenerator()
        return NodeID(rawValue: UInt128(generator.next() as UInt64) << 64 | UInt128(generator.next() as UInt64))
    }

    /// The 32 hexadecimal digits.
    public var description: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 32 - digits.count) + digits
    }
}
