import HTTPTypes
import Testing
import WSHandshake

@Suite("A client's request and its check of the response (RFC 6455 §4.1)")
struct WebSocketClientHandshakeTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    static func handshake(subprotocols: [String] = ["chat", "superchat"], extensions: [WebSocketExtensionOffer] = []) -> WebSocketClientHandshake {
        WebSocketClientHandshake(target: "/chat?room=1", host: "server.example.com", port: 8080, subprotocols: subprotocols,
                                 extensions: extensions, key: key)
    }

    static func response(_ changes: (inout HTTPFields) -> Void = { _ in }, status: HTTPResponse.Status = .switchingProtocols) -> HTTPResponse {
        var fields: HTTPFields = [.upgrade: "websocket", .connection: "Upgrade", .secWebSocketAccept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]
        changes(&fields)
        return HTTPResponse(status: status, headerFields: fields)
    }

    @Test("builds the request: target with query, Host with port, key, version, subprotocols, Origin, extra fields")
    func request() {
        let handshake = WebSocketClientHandshake(
            target: "/chat?room=1", host: "server.example.com", port: 8080, origin: "http://example.com",
            subprotocols: ["chat", "superchat"], headerFields: [.authorization: "Bearer t0k3n", .cookie: "a=1"], key: Self.key)
        let request = handshake.request
        #expect(request.method == .get)
        #expect(request.path == "/chat?room=1")
        #expect(request.authority == "server.example.com:8080")
        #expect(request.headerFields[.upgrade] == "websocket")
        #expect(request.headerFields[.connection] == "Upgrade")
        #expect(request.headerFields[.secWebSocketKey] == Self.key)
        #expect(request.headerFields[.secWebSocketVersion] == "13")
        #expect(request.headerFields[.secWebSocketProtocol] == "chat, superchat")
        #expect(request.headerFields[.origin] == "http://example.com")
        #expect(request.headerFields[.authorization] == "Bearer t0k3n")
        #expect(request.headerFields[.cookie] == "a=1")
    }

    @Test("Host leaves out the scheme's default port and brackets IPv6 literals", arguments: [
        ("example.com", 80, false, "example.com"), ("example.com", 443, true, "example.com"),
        ("example.com", 443, false, "example.com:443"), ("127.0.0.1", 9001, false, "127.0.0.1:9001"),
        ("::1", 9001, false, "[::1]:9001"), ("[::1]", 80, false, "[::1]"),
    ])
    func host(_ host: String, _ port: Int, _ secure: Bool, _ authority: String) {
        #expect(WebSocketClientHandshake(target: "", host: host, port: port, secure: secure).request.authority == authority)
        #expect(WebSocketClientHandshake(target: "", host: host, port: port, secure: secure).request.path == "/")
    }

    @Test("accepts the RFC 6455 §1.3 answer with a chosen subprotocol")
    func accepts() throws {
        let negotiated = try Self.handshake().validate(Self.response { $0[.secWebSocketProtocol] = "chat" })
        #expect(negotiated.subprotocol == "chat")
        #expect(negotiated.extensions.isEmpty)
    }

    @Test("a non-101 answer is an error that carries the response")
    func refused() {
        let response = Self.response({ $0[.wwwAuthenticate] = "Bearer" }, status: .unauthorized)
        let error = #expect(throws: HandshakeError.self) { try Self.handshake().validate(response) }
        #expect(error?.code == .upgradeRefused)
        #expect(error?.response == response)
        #expect(error?.message.contains("401") == true)
    }

    @Test("refuses each broken rule of the response (RFC 6455 §4.1)", arguments: [
        ("no Upgrade", HandshakeError.Code.missingUpgrade),
        ("no Connection", .missingConnectionUpgrade),
        ("wrong accept", .wrongAccept),
        ("unoffered subprotocol", .unexpectedSubprotocol),
        ("two subprotocols", .unexpectedSubprotocol),
        ("unoffered extension", .unexpectedExtension),
        ("malformed extensions", .malformedExtensions),
    ])
    func refuses(_ broken: String, _ code: HandshakeError.Code) {
        let response = Self.response { fields in
            switch broken {
            case "no Upgrade": fields[.upgrade] = nil
            case "no Connection": fields[.connection] = "keep-alive"
            case "wrong accept": fields[.secWebSocketAccept] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
            case "unoffered subprotocol": fields[.secWebSocketProtocol] = "other"
            case "two subprotocols": fields[.secWebSocketProtocol] = "chat, superchat"
            case "unoffered extension": fields[.secWebSocketExtensions] = "permessage-deflate"
            default: fields[.secWebSocketExtensions] = "permessage-deflate; a=\"b c\""
            }
        }
        let error = #expect(throws: HandshakeError.self) { try Self.handshake().validate(response) }
        #expect(error?.code == code)
        #expect(error?.response == response)
    }

    @Test("a subprotocol when none was offered is refused")
    func noneOffered() {
        let error = #expect(throws: HandshakeError.self) {
            try Self.handshake(subprotocols: []).validate(Self.response { $0[.secWebSocketProtocol] = "chat" })
        }
        #expect(error?.code == .unexpectedSubprotocol)
    }

    @Test("an offered extension that the server accepts is reported")
    func acceptedExtension() throws {
        let offer = WebSocketExtensionOffer(name: "permessage-deflate", parameters: [.init("client_max_window_bits")])
        let negotiated = try Self.handshake(extensions: [offer]).validate(Self.response {
            $0[.secWebSocketExtensions] = "permessage-deflate; server_no_context_takeover"
        })
        #expect(negotiated.extensions == [WebSocketExtensionOffer(name: "permessage-deflate", parameters: [.init("server_no_context_takeover")])])
    }

    @Test("the client's request passes the server's check, and the server's answer the client's")
    func roundTrip() throws {
        let client = WebSocketClientHandshake(target: "/x", host: "::1", port: 9001, subprotocols: ["b", "a"])
        let upgrade = try WebSocketUpgradeRequest(validating: client.request, httpVersion: (1, 1))
        let response = upgrade.acceptResponse(subprotocol: upgrade.subprotocol(choosingFrom: ["a", "b"]))
        #expect(try client.validate(response).subprotocol == "a")
    }
}
