import HTTPTypes
import Testing
import WSHandshake

@Suite("A server checks the upgrade request (RFC 6455 §4.2.1)")
struct WebSocketUpgradeRequestTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    static func request(
        method: HTTPRequest.Method = .get, authority: String? = "server.example.com", path: String = "/chat",
        _ fields: HTTPFields? = nil
    ) -> HTTPRequest {
        HTTPRequest(method: method, scheme: "http", authority: authority, path: path, headerFields: fields ?? [
            .upgrade: "websocket", .connection: "Upgrade", .secWebSocketKey: key, .secWebSocketVersion: "13",
        ])
    }

    static func fields(_ changes: (inout HTTPFields) -> Void) -> HTTPFields {
        var fields: HTTPFields = [.upgrade: "websocket", .connection: "Upgrade", .secWebSocketKey: key, .secWebSocketVersion: "13"]
        changes(&fields)
        return fields
    }

    @Test("accepts the RFC 6455 §1.2 request and answers with its 101")
    func valid() throws {
        var fields = Self.fields { _ in }
        fields[.origin] = "http://example.com"
        fields[.secWebSocketProtocol] = "chat, superchat"
        let upgrade = try WebSocketUpgradeRequest(validating: Self.request(fields), httpVersion: (1, 1))
        #expect(upgrade.key == Self.key)
        #expect(upgrade.subprotocols == ["chat", "superchat"])
        #expect(upgrade.origin == "http://example.com")
        #expect(upgrade.target == "/chat")
        let response = upgrade.acceptResponse(subprotocol: "chat")
        #expect(response.status == .switchingProtocols)
        #expect(response.headerFields[.upgrade] == "websocket")
        #expect(response.headerFields[.connection] == "Upgrade")
        #expect(response.headerFields[.secWebSocketAccept] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.headerFields[.secWebSocketProtocol] == "chat")
    }

    @Test("Upgrade and Connection are token lists, in any order and case, across fields")
    func tokenLists() throws {
        var fields = Self.fields { $0[.upgrade] = "h2c, WebSocket"; $0[.connection] = "keep-alive, UPGRADE" }
        _ = try WebSocketUpgradeRequest(validating: Self.request(fields), httpVersion: (1, 1))
        fields = Self.fields { $0[.connection] = nil }
        fields.append(HTTPField(name: .connection, value: "keep-alive"))
        fields.append(HTTPField(name: .connection, value: "upgrade"))
        _ = try WebSocketUpgradeRequest(validating: Self.request(fields), httpVersion: (1, 1))
        _ = try WebSocketUpgradeRequest(validating: Self.request(Self.fields { _ in }), httpVersion: (2, 0))
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let request: HTTPRequest
        let version: Int
        let code: HandshakeError.Code
        let status: Int
        let says: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "POST (405)", request: request(method: .post), version: 11, code: .methodNotGet, status: 405, says: "must use GET"),
        Refusal(name: "HTTP/1.0 (400)", request: request(), version: 10, code: .httpVersionTooOld, status: 400, says: "HTTP/1.1 or later"),
        Refusal(name: "no Host (400)", request: request(authority: nil), version: 11, code: .missingHost, status: 400, says: "no Host"),
        Refusal(name: "Upgrade without websocket (400)", request: request(fields { $0[.upgrade] = "h2c" }), version: 11,
                code: .missingUpgrade, status: 400, says: "Upgrade header must contain \"websocket\""),
        Refusal(name: "no Upgrade (400)", request: request(fields { $0[.upgrade] = nil }), version: 11,
                code: .missingUpgrade, status: 400, says: "Upgrade"),
        Refusal(name: "Connection without upgrade (400)", request: request(fields { $0[.connection] = "keep-alive" }), version: 11,
                code: .missingConnectionUpgrade, status: 400, says: "Connection header must contain \"Upgrade\""),
        Refusal(name: "no key (400)", request: request(fields { $0[.secWebSocketKey] = nil }), version: 11,
                code: .invalidKey, status: 400, says: "no Sec-WebSocket-Key"),
        Refusal(name: "a 15-byte key (400)", request: request(fields { $0[.secWebSocketKey] = "dGhlIHNhbXBsZSBub25j" }), version: 11,
                code: .invalidKey, status: 400, says: "16-byte"),
        Refusal(name: "two keys (400)", request: request(fields { $0.append(HTTPField(name: .secWebSocketKey, value: key)) }), version: 11,
                code: .invalidKey, status: 400, says: "one base64-encoded"),
        Refusal(name: "version 8 (426)", request: request(fields { $0[.secWebSocketVersion] = "8" }), version: 11,
                code: .unsupportedVersion, status: 426, says: "Sec-WebSocket-Version 8 is not supported"),
        Refusal(name: "no version (426)", request: request(fields { $0[.secWebSocketVersion] = nil }), version: 11,
                code: .unsupportedVersion, status: 426, says: "no Sec-WebSocket-Version"),
        Refusal(name: "a subprotocol that is not a token (400)", request: request(fields { $0[.secWebSocketProtocol] = "chat, a b" }), version: 11,
                code: .malformedSubprotocols, status: 400, says: "not a token"),
        Refusal(name: "malformed extensions (400)", request: request(fields { $0[.secWebSocketExtensions] = "permessage-deflate; x=\"unterminated" }), version: 11,
                code: .malformedExtensions, status: 400, says: "unterminated quoted string"),
    ]

    @Test("refuses each broken rule with its status and a reason a person understands (RFC 6455 §4.2.1)", arguments: refusals)
    func refuses(_ refusal: Refusal) {
        let error = #expect(throws: HandshakeError.self) {
            try WebSocketUpgradeRequest(validating: refusal.request, httpVersion: (refusal.version / 10, refusal.version % 10))
        }
        #expect(error?.code == refusal.code)
        #expect(error?.status?.code == refusal.status)
        #expect(error?.refusal.status.code == refusal.status)
        #expect(error?.message.contains(refusal.says) == true, "\(error?.message ?? "")")
        #expect(error?.refusal.headerFields[.connection] == "close")
        #expect(error.map { String(decoding: $0.refusalBody, as: UTF8.self) } == (error?.message).map { $0 + "\n" })
    }

    @Test("426 carries Sec-WebSocket-Version: 13 (RFC 6455 §4.4)")
    func versionHeader() {
        let error = #expect(throws: HandshakeError.self) {
            try WebSocketUpgradeRequest(validating: Self.request(Self.fields { $0[.secWebSocketVersion] = "7, 8" }), httpVersion: (1, 1))
        }
        #expect(error?.refusal.headerFields[.secWebSocketVersion] == "13")
    }

    @Test("405 carries Allow: GET")
    func allowHeader() {
        let error = #expect(throws: HandshakeError.self) {
            try WebSocketUpgradeRequest(validating: Self.request(method: .post), httpVersion: (1, 1))
        }
        #expect(error?.refusal.headerFields[.allow] == "GET")
    }

    @Test("the server picks a subprotocol by its own order of preference, or none (RFC 6455 §4.2.2)")
    func subprotocolChoice() throws {
        let upgrade = try WebSocketUpgradeRequest(validating: Self.request(Self.fields { $0[.secWebSocketProtocol] = "v1.chat, v2.chat" }), httpVersion: (1, 1))
        #expect(upgrade.subprotocol(choosingFrom: ["v2.chat", "v1.chat"]) == "v2.chat")
        #expect(upgrade.subprotocol(choosingFrom: ["v3.chat", "v1.chat"]) == "v1.chat")
        #expect(upgrade.subprotocol(choosingFrom: ["v3.chat"]) == nil)
        #expect(upgrade.acceptResponse().headerFields[.secWebSocketProtocol] == nil)
    }

    @Test("extension offers are parsed and accepted answers written back")
    func extensions() throws {
        let upgrade = try WebSocketUpgradeRequest(validating: Self.request(Self.fields {
            $0[.secWebSocketExtensions] = "permessage-deflate; client_max_window_bits, x-test"
        }), httpVersion: (1, 1))
        #expect(upgrade.extensions.map(\.name) == ["permessage-deflate", "x-test"])
        let answer = WebSocketExtensionOffer(name: "permessage-deflate", parameters: [.init("server_no_context_takeover")])
        #expect(upgrade.acceptResponse(extensions: [answer]).headerFields[.secWebSocketExtensions] == "permessage-deflate; server_no_context_takeover")
    }

    @Test("request helpers: isWebSocketUpgrade, origin, target, subprotocols (WebSockets.jl's)")
    func helpers() {
        var request = Self.request(Self.fields { $0[.origin] = "https://a.example"; $0[.secWebSocketProtocol] = "a, b" })
        #expect(request.isWebSocketUpgrade)
        #expect(request.origin == "https://a.example")
        #expect(request.target == "/chat")
        #expect(request.webSocketSubprotocols == ["a", "b"])
        request.headerFields[.upgrade] = nil
        #expect(!request.isWebSocketUpgrade)
        #expect(!Self.request(method: .post).isWebSocketUpgrade)
    }

    struct Asking: CustomTestStringConvertible, Sendable {
        let name: String
        let request: HTTPRequest
        let asks: Bool
        var testDescription: String { name }
    }

    static let asking: [Asking] = [
        Asking(name: "a valid upgrade", request: request(), asks: true),
        Asking(name: "POST", request: request(method: .post), asks: true),
        Asking(name: "no Connection: upgrade", request: request(fields { $0[.connection] = nil }), asks: true),
        Asking(name: "no key", request: request(fields { $0[.secWebSocketKey] = nil }), asks: true),
        Asking(name: "Upgrade: WEBSOCKET", request: request(fields { $0[.upgrade] = "WEBSOCKET" }), asks: true),
        Asking(name: "websocket in a list", request: request(fields { $0[.upgrade] = "h2c,  WebSocket " }), asks: true),
        Asking(name: "Upgrade: h2c", request: request(fields { $0[.upgrade] = "h2c" }), asks: false),
        Asking(name: "Upgrade: websocketx", request: request(fields { $0[.upgrade] = "websocketx" }), asks: false),
        Asking(name: "no Upgrade", request: request(fields { $0[.upgrade] = nil }), asks: false),
    ]

    @Test("requestsWebSocketUpgrade: the websocket token in Upgrade, in any case and list, whatever else is wrong", arguments: asking)
    func requestsWebSocketUpgrade(_ example: Asking) {
        #expect(example.request.requestsWebSocketUpgrade == example.asks)
        // Every request that asks is one the checks decide on: accepted, or refused with a status.
        if example.asks && !example.request.isWebSocketUpgrade {
            let error = #expect(throws: HandshakeError.self) { try WebSocketUpgradeRequest(validating: example.request, httpVersion: (1, 1)) }
            #expect([400, 405, 426].contains(error?.status?.code ?? 0))
        }
    }

    @Test("a 101 has no body: Content-Length and Transfer-Encoding from a server's fields are left out, its other fields kept")
    func switchingProtocolsHasNoBodyFields() throws {
        let upgrade = try WebSocketUpgradeRequest(validating: Self.request(), httpVersion: (1, 1))
        let response = upgrade.acceptResponse(headerFields: [.contentLength: "0", .transferEncoding: "chunked", .setCookie: "seen=1"])
        #expect(response.headerFields[.contentLength] == nil)
        #expect(response.headerFields[.transferEncoding] == nil)
        #expect(response.headerFields[.setCookie] == "seen=1")
    }

    @Test("426 Upgrade Required for a plain request to a WebSocket resource names the protocol and the version")
    func upgradeRequired() {
        let response = HTTPResponse.webSocketUpgradeRequired
        #expect(response.status.code == 426)
        #expect(response.headerFields[.upgrade] == "websocket")
        #expect(response.headerFields[.connection] == "Upgrade")
        #expect(response.headerFields[.secWebSocketVersion] == "13")
    }
}
