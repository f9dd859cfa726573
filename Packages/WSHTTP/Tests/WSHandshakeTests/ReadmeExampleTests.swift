import HTTPTypes
import Testing
import WSHandshake

/// Keeps the example of Packages/WSHTTP/README.md compiling and true.
@Suite("README examples")
struct ReadmeExampleTests {
    @Test("the server and client example")
    func example() throws {
        var sent: [HTTPResponse] = []
        var sentRequests: [HTTPRequest] = []
        func send(_ response: HTTPResponse, body: [UInt8] = []) { sent.append(response) }
        func send(_ request: HTTPRequest) { sentRequests.append(request) }
        let request = WebSocketClientHandshake(target: "/chat", host: "example.com", port: 443, secure: true,
                                               subprotocols: ["chat.v1"]).request

        // --- README: example ---
        // Server: check the request, choose a subprotocol, answer.
        do {
            let upgrade = try WebSocketUpgradeRequest(validating: request, httpVersion: (1, 1))
            let chosen = upgrade.subprotocol(choosingFrom: ["chat.v2", "chat.v1"])
            send(upgrade.acceptResponse(subprotocol: chosen))           // 101 Switching Protocols
        } catch {
            send(error.refusal, body: error.refusalBody)                 // 400, 405 or 426, with the reason
        }

        // Client: build the request, check the answer.
        let handshake = WebSocketClientHandshake(target: "/chat", host: "example.com", port: 443, secure: true,
                                                 subprotocols: ["chat.v2", "chat.v1"])
        send(handshake.request)
        // --- end ---
        #expect(sent.first?.status == .switchingProtocols)
        #expect(sent.first?.headerFields[.secWebSocketProtocol] == "chat.v1")
        let upgrade = try WebSocketUpgradeRequest(validating: handshake.request, httpVersion: (1, 1))
        let response = upgrade.acceptResponse(subprotocol: "chat.v2")
        let negotiated = try handshake.validate(response)                 // subprotocol, extensions
        #expect(negotiated.subprotocol == "chat.v2")
    }
}
