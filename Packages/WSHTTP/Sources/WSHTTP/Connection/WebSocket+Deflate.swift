public import WSDeflate
import WSFraming
import WSHandshake

extension WebSocket {
    /// permessage-deflate (RFC 7692) as a connection negotiates it: what a server accepts,
    /// what a client offers, and how this side compresses. Set it as
    /// ``Configuration/deflate``; `nil` there turns compression off.
    ///
    /// The same value serves both roles, in RFC 7692's terms: a server applies the four
    /// parameters as its policy (the most it allows), a client offers them. The defaults are
    /// cheap in memory, as Python's `websockets` chose: 4 KiB windows (12 bits) and zlib's memory
    /// level 5, about 49 KiB per connection once both directions have carried a compressed
    /// message, and nothing before (see the table in WSFraming's README).
    public struct Deflate: Sendable, Hashable {
        /// The server empties its compression window after each message it sends. A server
        /// always does when this is set; a client asks for it. Default `false`.
        public var serverNoContextTakeover: Bool
        /// The client empties its window after each message. A server asks clients for it; a
        /// client does it and says so. Default `false`.
        public var clientNoContextTakeover: Bool
        /// The server's compression window in bits, 9 to 15. A server compresses with at most
        /// this; a client asks for it (`server_max_window_bits`) when it is below 15. Default 12.
        public var serverMaxWindowBits: Int
        /// The client's compression window in bits, 9 to 15. A server lets a client that can
        /// limit its window use at most this; a client offers `client_max_window_bits` (with
        /// this value when below 15). Default 12.
        public var clientMaxWindowBits: Int
        /// How this side compresses: zlib's level and memory level, and the size below which
        /// messages go uncompressed. Default: level 6, memory level 5, threshold 64 bytes.
        public var compression: PerMessageDeflate.Compression

        /// Creates a configuration; every parameter has the default described on its property.
        public init(
            serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
            serverMaxWindowBits: Int = 12, clientMaxWindowBits: Int = 12,
            compression: PerMessageDeflate.Compression = .init(level: 6, memoryLevel: 5, threshold: 64)
        ) {
            self.serverNoContextTakeover = serverNoContextTakeover
            self.clientNoContextTakeover = clientNoContextTakeover
            self.serverMaxWindowBits = serverMaxWindowBits
            self.clientMaxWindowBits = clientMaxWindowBits
            self.compression = compression
        }

        /// The defaults: context takeover both ways, 12-bit windows, memory level 5.
        public static let `default` = Deflate()

        /// The best compression zlib gives, at about 300 KiB per connection: 15-bit windows
        /// and memory level 8.
        public static let bestCompression = Deflate(
            serverMaxWindowBits: 15, clientMaxWindowBits: 15, compression: .init(level: 6, memoryLevel: 8, threshold: 64))

        /// The least memory kept between messages: both sides empty their windows after each
        /// message, so nothing of one message helps the next.
        public static let noContextTakeover = Deflate(serverNoContextTakeover: true, clientNoContextTakeover: true)

        /// As a server's policy.
        var serverPolicy: DeflateNegotiation.ServerPolicy {
            .init(serverNoContextTakeover: serverNoContextTakeover, clientNoContextTakeover: clientNoContextTakeover,
                  serverMaxWindowBits: Self.clamp(serverMaxWindowBits), clientMaxWindowBits: Self.clamp(clientMaxWindowBits))
        }

        /// As a client's offer.
        var clientOffer: DeflateNegotiation.ClientOffer {
            let client = Self.clamp(clientMaxWindowBits)
            let server = Self.clamp(serverMaxWindowBits)
            return .init(serverNoContextTakeover: serverNoContextTakeover, clientNoContextTakeover: clientNoContextTakeover,
                         serverMaxWindowBits: server < 15 ? server : nil, clientMaxWindowBits: .some(client < 15 ? client : nil))
        }

        /// The transform for one connection, from what was agreed.
        func transform(_ settings: DeflateSettings, role: WebSocketRole) -> PerMessageDeflate {
            let parameters: PerMessageDeflate.Parameters = switch role {
            case .server:
                .init(outboundNoContextTakeover: settings.serverNoContextTakeover,
                      inboundNoContextTakeover: settings.clientNoContextTakeover,
                      outboundMaxWindowBits: settings.serverMaxWindowBits, inboundMaxWindowBits: settings.clientMaxWindowBits)
            case .client:
                .init(outboundNoContextTakeover: settings.clientNoContextTakeover,
                      inboundNoContextTakeover: settings.serverNoContextTakeover,
                      outboundMaxWindowBits: settings.clientMaxWindowBits, inboundMaxWindowBits: settings.serverMaxWindowBits)
            }
            return PerMessageDeflate(parameters: parameters, compression: compression)
        }

        /// zlib compresses with 9 to 15 bits.
        private static func clamp(_ bits: Int) -> Int { min(15, max(9, bits)) }
    }
}
