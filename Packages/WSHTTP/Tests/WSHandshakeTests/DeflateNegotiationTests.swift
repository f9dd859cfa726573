import Testing
import WSHandshake

@Suite("permessage-deflate negotiation (RFC 7692 §7.1)")
struct DeflateNegotiationTests {
    func offers(_ header: String) throws -> [WebSocketExtensionOffer] { try WebSocketExtensionOffer.parse([header]) }

    @Test("a plain offer is accepted with a plain answer and the RFC's defaults")
    func plain() throws {
        let result = try #require(DeflateNegotiation.accept(try offers("permessage-deflate"), policy: .init()))
        #expect(result.response.description == "permessage-deflate")
        #expect(result.settings == DeflateSettings())
    }

    @Test("the server's answer to each offer", arguments: [
        ("permessage-deflate; client_max_window_bits", DeflateNegotiation.ServerPolicy(), "permessage-deflate"),
        ("permessage-deflate; client_max_window_bits", .init(clientMaxWindowBits: 10), "permessage-deflate; client_max_window_bits=10"),
        ("permessage-deflate; client_max_window_bits=12", .init(), "permessage-deflate; client_max_window_bits=12"),
        ("permessage-deflate; server_max_window_bits=10", .init(), "permessage-deflate; server_max_window_bits=10"),
        ("permessage-deflate", .init(serverMaxWindowBits: 11), "permessage-deflate; server_max_window_bits=11"),
        ("permessage-deflate; server_no_context_takeover", .init(), "permessage-deflate; server_no_context_takeover"),
        ("permessage-deflate", .init(serverNoContextTakeover: true, clientNoContextTakeover: true),
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
        // The first offer limits the server to 8 bits, which zlib cannot do: the second is taken.
        ("permessage-deflate; server_max_window_bits=8, permessage-deflate", .init(), "permessage-deflate"),
        // Invalid first offers are declined; the next valid one is taken.
        ("permessage-deflate; foo, permessage-deflate; client_max_window_bits=9", .init(), "permessage-deflate; client_max_window_bits=9"),
        ("permessage-deflate; server_max_window_bits=16, x-webkit-deflate-frame, permessage-deflate", .init(), "permessage-deflate"),
    ])
    func answers(header: String, policy: DeflateNegotiation.ServerPolicy, expected: String) throws {
        let result = try #require(DeflateNegotiation.accept(try offers(header), policy: policy))
        #expect(result.response.description == expected)
    }

    @Test("invalid offers are declined", arguments: [
        "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=16", "permessage-deflate; client_max_window_bits=010",
        "permessage-deflate; server_no_context_takeover=1", "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=9; server_max_window_bits=10", "permessage-deflate; unknown=1",
        "x-other-extension",
    ])
    func declined(header: String) throws {
        #expect(DeflateNegotiation.accept(try offers(header), policy: .init()) == nil)
    }

    @Test("the settings follow the answer")
    func settings() throws {
        let result = try #require(DeflateNegotiation.accept(
            try offers("permessage-deflate; client_max_window_bits; server_max_window_bits=12"),
            policy: .init(clientNoContextTakeover: true, clientMaxWindowBits: 11)))
        #expect(result.settings == DeflateSettings(serverNoContextTakeover: false, clientNoContextTakeover: true,
                                                   serverMaxWindowBits: 12, clientMaxWindowBits: 11))
    }

    @Test("a client's offer, and its check of the server's answer")
    func client() throws {
        let offer = DeflateNegotiation.ClientOffer()
        #expect(offer.offer.description == "permessage-deflate; client_max_window_bits")
        let plain = try DeflateNegotiation.validate(try offers("permessage-deflate")[0], offered: offer)
        #expect(plain == DeflateSettings())
        let limited = try DeflateNegotiation.validate(
            try offers("permessage-deflate; server_no_context_takeover; client_max_window_bits=10")[0], offered: offer)
        #expect(limited == DeflateSettings(serverNoContextTakeover: true, clientMaxWindowBits: 10))
    }

    @Test("an offer written by hand reads back as the ClientOffer it says, or is refused")
    func clientOfferFromText() throws {
        let offer = try DeflateNegotiation.ClientOffer(try offers("permessage-deflate; server_no_context_takeover; client_max_window_bits=10")[0])
        #expect(offer == .init(serverNoContextTakeover: true, clientMaxWindowBits: .some(10)))
        #expect(try DeflateNegotiation.ClientOffer(offer.offer) == offer)
        #expect(throws: DeflateNegotiation.Failure.self) { try DeflateNegotiation.ClientOffer(try offers("permessage-deflate; server_max_window_bits=99")[0]) }
        #expect(throws: DeflateNegotiation.Failure.self) { try DeflateNegotiation.ClientOffer(try offers("x-webkit-deflate-frame")[0]) }
    }

    @Test("a client refuses a bad answer, saying why", arguments: [
        ("permessage-deflate; client_max_window_bits=10", DeflateNegotiation.ClientOffer(clientMaxWindowBits: nil), "not offered"),
        ("permessage-deflate; server_max_window_bits=12", .init(serverMaxWindowBits: 10), "larger"),
        ("permessage-deflate", .init(serverMaxWindowBits: 10), "did not answer"),
        // Autobahn's fuzzing server answers so (it ignores the value of the client's hint).
        ("permessage-deflate; client_max_window_bits=15", .init(clientMaxWindowBits: .some(12)), "larger"),
        ("permessage-deflate", .init(serverNoContextTakeover: true), "did not agree"),
        ("permessage-deflate; client_max_window_bits=8", .init(), "8-bit"),
        ("permessage-deflate; client_max_window_bits", .init(), "needs a value"),
        ("permessage-deflate; bogus", .init(), "unknown"),
        ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", .init(), "twice"),
    ])
    func refused(header: String, offer: DeflateNegotiation.ClientOffer, reason: String) throws {
        let response = try offers(header)[0]
        let failure = #expect(throws: DeflateNegotiation.Failure.self) { try DeflateNegotiation.validate(response, offered: offer) }
        #expect(failure?.message.contains(reason) == true, "\(String(describing: failure))")
    }
}
