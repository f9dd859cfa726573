public import WSDeflate
import WSFraming
public import WSHandshake

extension WebSocket {
    /// permessage-deflate (RFC 7692) as a connection negotiates it: what a server accepts,
    /// what a client offers, and how this side compresses. Set it as
    /// ``Configuration/deflate``; `nil` there turns compression off.
    ///
    /// The defaults differ by role, as in Python's `websockets`: a server, which holds many
    /// connections, limits both windows to 12 bits (4 KiB) and compresses with zlib's memory
    /// level 5: about 49 KiB per connection once both directions have carried a compressed
    /// message, and nothing before (see the table in WSFraming's README). A client that does
    /// not offer `client_max_window_bits` cannot be limited: the server then inflates with
    /// 15 bits, 77 KiB in all. A client makes the offer browsers make,
    /// `permessage-deflate; client_max_window_bits`, and lets the server choose.
    public struct Deflate: Sendable, Hashable {
        /// As a server: the most it allows and what it asks of clients. Default: 12-bit
        /// windows both ways, context takeover both ways.
        public var serverPolicy: DeflateNegotiation.ServerPolicy
        /// As a client: the offer. Default: `permessage-deflate; client_max_window_bits`.
        public var clientOffer: DeflateNegotiation.ClientOffer
        /// How this side compresses: zlib's level and memory level, and the size below which
        /// messages go uncompressed. Default: level 6, memory level 5, threshold 64 bytes.
        public var compression: PerMessageDeflate.Compression

        /// Creates a configuration; every parameter has the default described on its property.
        public init(
            serverPolicy: DeflateNegotiation.ServerPolicy = .init(serverMaxWindowBits: 12, clientMaxWindowBits: 12),
            clientOffer: DeflateNegotiation.ClientOffer = .init(),
            compression: PerMessageDeflate.Compression = .init(level: 6, memoryLevel: 5, threshold: 64)
        ) {
            self.serverPolicy = serverPolicy
            self.clientOffer = clientOffer
            self.compression = compression
        }

        /// The defaults: a server allows 12-bit windows, a client offers what browsers do.
        public static let `default` = Deflate()

        /// The best compression zlib gives, at about 300 KiB per server connection: 15-bit
        /// windows and memory level 8.
        public static let bestCompression = Deflate(
            serverPolicy: .init(), compression: .init(level: 6, memoryLevel: 8, threshold: 64))

        /// The least kept between messages: both sides empty their windows after each
        /// message (a server asks it of clients, a client offers it), so nothing of one
        /// message helps the next.
        public static let noContextTakeover: Deflate = {
            var deflate = Deflate()
            deflate.serverPolicy.serverNoContextTakeover = true
            deflate.serverPolicy.clientNoContextTakeover = true
            deflate.clientOffer.serverNoContextTakeover = true
            deflate.clientOffer.clientNoContextTakeover = true
            return deflate
        }()

        /// The transform for one connection, from what was agreed.
        func transform(_ settings: DeflateSettings, role: WebSocketRole) -> PerMessageDeflate {
            PerMessageDeflate(parameters: .init(
                role: role, serverNoContextTakeover: settings.serverNoContextTakeover,
                clientNoContextTakeover: settings.clientNoContextTakeover,
                serverMaxWindowBits: settings.serverMaxWindowBits, clientMaxWindowBits: settings.clientMaxWindowBits),
                compression: compression)
        }
    }
}
