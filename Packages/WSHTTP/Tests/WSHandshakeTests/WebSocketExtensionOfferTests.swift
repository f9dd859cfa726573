import Testing
import WSHandshake

@Suite("Sec-WebSocket-Extensions, by the RFC 7230 grammar (RFC 6455 §9.1)")
struct WebSocketExtensionOfferTests {
    typealias Offer = WebSocketExtensionOffer

    @Test("parses tokens, parameters with and without values, quoted values, several offers and fields")
    func parses() throws {
        let offers = try Offer.parse([
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10 , permessage-deflate;client_max_window_bits=\"15\"",
            "x-webkit-deflate-frame",
        ])
        #expect(offers == [
            Offer(name: "permessage-deflate", parameters: [.init("client_max_window_bits"), .init("server_max_window_bits", "10")]),
            Offer(name: "permessage-deflate", parameters: [.init("client_max_window_bits", "15")]),
            Offer(name: "x-webkit-deflate-frame"),
        ])
    }

    @Test("keeps duplicate parameters, for the extension to refuse (RFC 7692 §7)")
    func duplicates() throws {
        #expect(try Offer.parse(["permessage-deflate; server_no_context_takeover; server_no_context_takeover"]).first?.parameters.count == 2)
    }

    @Test("unescapes quoted pairs")
    func quotedPair() throws {
        #expect(try Offer.parse(["x; a=\"1\\0\""]).first?.parameters == [.init("a", "10")])
    }

    @Test("empty list elements are ignored (RFC 7230 §7)")
    func emptyElements() throws {
        #expect(try Offer.parse([", a ,, b,"]).map(\.name) == ["a", "b"])
        #expect(try Offer.parse([]).isEmpty)
    }

    @Test("refuses what breaks the grammar, saying what", arguments: [
        ("a; =1", "expected parameter name"),
        ("a b", "unexpected 'b'"),
        ("a; b=\"x", "unterminated quoted string"),
        ("a; b=\"two words\"", "is not a token"),
        ("a; b=", "expected parameter value"),
        ("\"quoted\"", "expected extension name"),
        ("a; b=1 c", "unexpected 'c'"),
    ])
    func refuses(_ value: String, _ says: String) {
        let error = #expect(throws: HandshakeError.self) { try Offer.parse([value]) }
        #expect(error?.code == .malformedExtensions)
        #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
    }

    @Test("writes an offer back, quoting only values that are not tokens")
    func writes() throws {
        let offers = [Offer(name: "permessage-deflate", parameters: [.init("client_max_window_bits"), .init("server_max_window_bits", "10")]), Offer(name: "b")]
        let text = Offer.headerValue(offers)
        #expect(text == "permessage-deflate; client_max_window_bits; server_max_window_bits=10, b")
        #expect(try Offer.parse([text]) == offers)
    }
}
