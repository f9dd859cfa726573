/// What permessage-deflate's negotiation agreed (RFC 7692 §7.1), in the RFC's terms: which
/// side resets its window after each message, and each side's window size in bits.
public struct DeflateSettings: Sendable, Hashable {
    /// The server starts each message it sends with an empty window.
    public var serverNoContextTakeover: Bool
    /// The client starts each message it sends with an empty window.
    public var clientNoContextTakeover: Bool
    /// The largest window the server compresses with, 8 to 15.
    public var serverMaxWindowBits: Int
    /// The largest window the client compresses with, 8 to 15.
    public var clientMaxWindowBits: Int

    /// The RFC's defaults: context takeover both ways, 15-bit windows.
    public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }
}

/// permessage-deflate's negotiation (RFC 7692 §5, §7.1), without I/O: a server's choice among
/// a client's offers, a client's offer, and a client's check of the server's answer.
///
/// zlib's raw deflate cannot compress with an 8-bit window, so neither side ever agrees to
/// compress with one: a server declines an offer that limits its own window to 8, and a client
/// refuses an answer that limits its window to 8.
public enum DeflateNegotiation {
    /// The extension's name.
    public static let name = "permessage-deflate"

    /// What a server asks for and allows, in the terms of what is agreed: the context
    /// takeover it resets or asks clients to reset, and the largest window each side may use
    /// (the server's own 9 to 15, a client's 8 to 15, when the client says it can limit it).
    /// The default, context takeover both ways and 15-bit windows, compresses best.
    public typealias ServerPolicy = DeflateSettings

    /// What a client offers.
    public struct ClientOffer: Sendable, Hashable {
        /// Ask the server to reset its window after each message.
        public var serverNoContextTakeover: Bool
        /// Say we reset ours after each message.
        public var clientNoContextTakeover: Bool
        /// Ask the server to compress with at most this window (9 to 15), or nil for its choice.
        public var serverMaxWindowBits: Int?
        /// Say we can limit our window (`client_max_window_bits`), to this value or, when nil
        /// inside `.some`, to whatever the server answers. Nil: not offered.
        public var clientMaxWindowBits: Int??

        /// The usual offer: `permessage-deflate; client_max_window_bits`.
        public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                    serverMaxWindowBits: Int? = nil, clientMaxWindowBits: Int?? = .some(nil)) {
            self.serverNoContextTakeover = serverNoContextTakeover
            self.clientNoContextTakeover = clientNoContextTakeover
            self.serverMaxWindowBits = serverMaxWindowBits
            self.clientMaxWindowBits = clientMaxWindowBits
        }

        /// An offer as it was written, to check the server's answer against.
        /// - Throws: ``Failure`` when it is not a valid permessage-deflate offer.
        public init(_ offer: WebSocketExtensionOffer) throws(Failure) {
            guard offer.isPermessageDeflate else { throw Failure("\(offer.name) is not \(DeflateNegotiation.name)") }
            let parsed = try DeflateNegotiation.parse(offer.parameters, isResponse: false)
            self.init(serverNoContextTakeover: parsed.serverNoContextTakeover, clientNoContextTakeover: parsed.clientNoContextTakeover,
                      serverMaxWindowBits: parsed.serverMaxWindowBits, clientMaxWindowBits: parsed.clientMaxWindowBits)
        }

        /// The offer as it goes in `Sec-WebSocket-Extensions`.
        public var offer: WebSocketExtensionOffer {
            var parameters: [WebSocketExtensionOffer.Parameter] = []
            if serverNoContextTakeover { parameters.append(.init("server_no_context_takeover")) }
            if clientNoContextTakeover { parameters.append(.init("client_no_context_takeover")) }
            if let serverMaxWindowBits { parameters.append(.init("server_max_window_bits", "\(serverMaxWindowBits)")) }
            if case .some(let bits) = clientMaxWindowBits { parameters.append(.init("client_max_window_bits", bits.map { "\($0)" })) }
            return WebSocketExtensionOffer(name: DeflateNegotiation.name, parameters: parameters)
        }
    }

    /// Why an answer or offer is not valid permessage-deflate.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, for a person.
        public let message: String
        /// The message.
        public var description: String { message }

        /// A failure that says `message`.
        public init(_ message: String) { self.message = message }
    }

    /// A server's choice: the first of the client's permessage-deflate offers that is valid
    /// and that it can serve, with the response to send and the settings agreed; nil when
    /// none is (the connection then goes on without compression).
    public static func accept(_ offers: [WebSocketExtensionOffer], policy: ServerPolicy)
        -> (response: WebSocketExtensionOffer, settings: DeflateSettings)?
    {
        for offer in offers where offer.isPermessageDeflate {
            guard let requested = try? parse(offer.parameters, isResponse: false) else { continue }
            var settings = DeflateSettings()
            var response: [WebSocketExtensionOffer.Parameter] = []
            if requested.serverNoContextTakeover || policy.serverNoContextTakeover {
                settings.serverNoContextTakeover = true
                response.append(.init("server_no_context_takeover"))
            }
            if policy.clientNoContextTakeover {
                settings.clientNoContextTakeover = true
                response.append(.init("client_no_context_takeover"))
            }
            let serverBits = min(requested.serverMaxWindowBits ?? 15, policy.serverMaxWindowBits)
            guard serverBits >= 9 else { continue } // zlib cannot compress with an 8-bit window
            if serverBits < 15 || requested.serverMaxWindowBits != nil {
                settings.serverMaxWindowBits = serverBits
                response.append(.init("server_max_window_bits", "\(serverBits)"))
            }
            if let offered = requested.clientMaxWindowBits {
                let clientBits = min(offered ?? 15, policy.clientMaxWindowBits)
                settings.clientMaxWindowBits = clientBits
                if clientBits < 15 || offered != nil { response.append(.init("client_max_window_bits", "\(clientBits)")) }
            } else if policy.clientMaxWindowBits < 15 {
                // The client cannot limit its window: we inflate with 15 bits whatever we wanted.
            }
            return (WebSocketExtensionOffer(name: name, parameters: response), settings)
        }
        return nil
    }

    /// A client's check of a server's `Sec-WebSocket-Extensions` answers against the offers it
    /// made: nil when the server accepted no permessage-deflate, else the settings of the first
    /// offer the answer fits.
    /// - Throws: ``Failure`` when it accepted permessage-deflate twice, or in a way no offer
    ///   allows (the first offer's reason).
    public static func validate(_ answers: [WebSocketExtensionOffer], offered: [ClientOffer]) throws(Failure) -> DeflateSettings? {
        let accepted = answers.filter(\.isPermessageDeflate)
        guard let answer = accepted.first else { return nil }
        guard accepted.count == 1 else { throw Failure("the server accepted permessage-deflate twice") }
        var firstFailure: Failure?
        for offer in offered {
            do throws(Failure) {
                return try validate(answer, offered: offer)
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        throw firstFailure ?? Failure("the server accepted permessage-deflate, which was not offered")
    }

    /// A client's check of the server's answer to `offered`: the settings agreed.
    /// - Throws: ``Failure`` for an unknown, repeated or malformed parameter, a window larger
    ///   than asked, `client_max_window_bits` that was not offered, or an 8-bit window for us.
    public static func validate(_ response: WebSocketExtensionOffer, offered: ClientOffer) throws(Failure) -> DeflateSettings {
        guard response.isPermessageDeflate else { throw Failure("the server answered \(response.name), not \(name)") }
        let answer = try parse(response.parameters, isResponse: true)
        var settings = DeflateSettings()
        settings.serverNoContextTakeover = answer.serverNoContextTakeover
        settings.clientNoContextTakeover = answer.clientNoContextTakeover || offered.clientNoContextTakeover
        if offered.serverNoContextTakeover, !answer.serverNoContextTakeover {
            throw Failure("the server did not agree to server_no_context_takeover, which was asked for")
        }
        if let bits = answer.serverMaxWindowBits {
            if let asked = offered.serverMaxWindowBits, bits > asked {
                throw Failure("the server's server_max_window_bits=\(bits) is larger than the \(asked) asked for")
            }
            settings.serverMaxWindowBits = bits
        } else if let asked = offered.serverMaxWindowBits {
            throw Failure("the server did not answer server_max_window_bits=\(asked)")
        }
        if let bits = answer.clientMaxWindowBits {
            guard case .some(let limit) = offered.clientMaxWindowBits else {
                throw Failure("the server sent client_max_window_bits, which was not offered")
            }
            guard let bits else { throw Failure("the server's client_max_window_bits has no value") }
            if let limit, bits > limit { throw Failure("the server's client_max_window_bits=\(bits) is larger than the \(limit) offered") }
            guard bits >= 9 else { throw Failure("zlib cannot compress with the 8-bit window the server asks for") }
            settings.clientMaxWindowBits = bits
        } else if case .some(.some(let limit)) = offered.clientMaxWindowBits {
            settings.clientMaxWindowBits = limit
        }
        return settings
    }

    private struct Parsed {
        var serverNoContextTakeover = false
        var clientNoContextTakeover = false
        var serverMaxWindowBits: Int?
        var clientMaxWindowBits: Int??
    }

    /// The parameters of one offer or answer, checked as RFC 7692 §7.1 says.
    private static func parse(_ parameters: [WebSocketExtensionOffer.Parameter], isResponse: Bool) throws(Failure) -> Parsed {
        var parsed = Parsed()
        var seen = Set<String>()
        func bits(_ text: String?, _ parameter: String) throws(Failure) -> Int {
            guard let text, text.allSatisfy(\.isASCII), let value = Int(text), (8...15).contains(value),
                  text.first != "0", text.first != "+" else {
                throw Failure("\(parameter) needs a value from 8 to 15, not \(text.map { "'\($0)'" } ?? "none")")
            }
            return value
        }
        for parameter in parameters {
            let key = parameter.name.lowercased()
            guard seen.insert(key).inserted else { throw Failure("\(key) appears twice") }
            switch key {
            case "server_no_context_takeover", "client_no_context_takeover":
                guard parameter.value == nil else { throw Failure("\(key) takes no value") }
                if key == "server_no_context_takeover" { parsed.serverNoContextTakeover = true } else { parsed.clientNoContextTakeover = true }
            case "server_max_window_bits":
                parsed.serverMaxWindowBits = try bits(parameter.value, key)
            case "client_max_window_bits":
                if parameter.value == nil, isResponse { throw Failure("client_max_window_bits needs a value in an answer") }
                parsed.clientMaxWindowBits = .some(try parameter.value.map { (text: String) throws(Failure) -> Int in try bits(text, key) })
            default:
                throw Failure("unknown parameter \(key)")
            }
        }
        return parsed
    }
}

extension WebSocketExtensionOffer {
    /// Whether this is permessage-deflate (names compare without case, RFC 6455 §9.1).
    public var isPermessageDeflate: Bool { name.lowercased() == DeflateNegotiation.name }
}
