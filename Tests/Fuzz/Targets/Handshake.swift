// Fuzz target `handshake`: WSHandshake's server and client sides of the opening handshake on
// any header fields. The input is lines: the first `METHOD TARGET`, then `Name: value`
// fields (lines that are not a valid field are left out, as an HTTP parser would refuse them).
// A broken invariant traps:
//   - a refused upgrade says why, with a status of 400, 405 or 426;
//   - an accepted one answers 101 with the accept key of RFC 6455 §4.2.2 and only a
//     subprotocol the client offered; its permessage-deflate answer, if any, is valid for
//     the client's offer;
//   - a Sec-WebSocket-Extensions value that parses prints back to a value that parses to the
//     same offers;
//   - the client's check of a 101 with these fields either accepts (then the accept key was
//     right) or refuses, never crashes.
import HTTPTypes
import WSHandshake

@_cdecl("LLVMFuzzerTestOneInput")
public func handshakeFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    guard !lines.isEmpty else { return 0 }
    let start = lines.removeFirst().split(separator: " ", maxSplits: 1)
    var fields = HTTPFields()
    for line in lines {
        guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else { continue }
        let value = line[line.index(after: colon)...].drop { $0 == " " }
        guard HTTPField.isValidValue(String(value)) else { continue }
        fields.append(HTTPField(name: name, value: String(value)))
    }
    let method = start.first.flatMap { HTTPRequest.Method(String($0)) } ?? .get
    let target = start.count > 1 ? String(start[1]) : "/"
    let request = HTTPRequest(method: method, scheme: nil, authority: nil, path: target, headerFields: fields)

    // The server's side.
    do throws(HandshakeError) {
        let upgrade = try WebSocketUpgradeRequest(validating: request, httpVersion: (1, 1))
        let chosen = upgrade.subprotocol(choosingFrom: ["chat", "v2.json"])
        precondition(chosen.map(upgrade.subprotocols.contains) ?? true, "a subprotocol the client did not offer")
        let deflate = DeflateNegotiation.accept(upgrade.extensions, policy: .init())
        let response = upgrade.acceptResponse(subprotocol: chosen, extensions: deflate.map { [$0.response] } ?? [])
        precondition(response.status == .switchingProtocols, "an accepted upgrade answered \(response.status)")
        precondition(response.headerFields[.secWebSocketAccept] == WebSocketKey.accept(for: upgrade.key), "a wrong accept key")
        precondition(WebSocketKey.accept(for: upgrade.key).utf8.count == 28, "an accept key that is not 28 characters")
        if let deflate {
            let offers = upgrade.extensions.filter(\.isPermessageDeflate).compactMap { try? DeflateNegotiation.ClientOffer($0) }
            precondition(offers.contains { (try? DeflateNegotiation.validate(deflate.response, offered: $0)) != nil },
                         "a permessage-deflate answer that no offer of the client's allows")
        }
    } catch {
        let code = error.status?.code ?? 0
        precondition([400, 405, 426].contains(code), "a refusal with status \(code): \(error)")
    }

    // Every Sec-WebSocket-Extensions value: parsed, printed, parsed again.
    let values = fields[values: .secWebSocketExtensions]
    if let offers = try? WebSocketExtensionOffer.parse(values) {
        let printed = WebSocketExtensionOffer.headerValue(offers)
        let again = try? WebSocketExtensionOffer.parse([printed])
        precondition(offers.isEmpty || again == offers, "\(values) printed as \(printed) parses differently")
    }

    // The client's side: the same fields as a 101.
    let client = WebSocketClientHandshake(target: "/", host: "example.com", port: 80, subprotocols: ["chat"],
                                          key: "dGhlIHNhbXBsZSBub25jZQ==")
        .offering(WebSocketExtensionOffer(name: "permessage-deflate", parameters: [.init("client_max_window_bits")]))
    if let negotiated = try? client.validate(HTTPResponse(status: .switchingProtocols, headerFields: fields)) {
        precondition(fields[.secWebSocketAccept] == WebSocketKey.accept(for: "dGhlIHNhbXBsZSBub25jZQ=="), "accepted a wrong accept key")
        precondition(negotiated.subprotocol == nil || negotiated.subprotocol == "chat", "accepted a subprotocol not offered")
    }
    return 0
}
