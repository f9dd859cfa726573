import HTTPTypes
import NIOHTTP1
import Vapor
import WSHandshake

/// A WebSocket route's request, checked by WSHandshake before any decision of the route's.
enum UpgradeCheck {
    /// A plain GET, with no `websocket` in `Upgrade`.
    case notAnUpgrade
    /// An upgrade request that breaks a rule of RFC 6455 §4.2.1.
    case invalid(HandshakeError)
    /// A valid upgrade request.
    case valid(WebSocketUpgradeRequest)

    init(_ request: Request) {
        // As swift-http-types has it: Host is the request's authority, not one of its fields.
        var fields = HTTPFields()
        for (name, value) in request.headers where name.lowercased() != "host" {
            guard let name = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: name, value: value))
        }
        let head = HTTPRequest(method: .get, scheme: nil, authority: request.headers.first(name: .host), path: request.url.string,
                               headerFields: fields)
        guard head.requestsWebSocketUpgrade else {
            self = .notAnUpgrade
            return
        }
        do throws(HandshakeError) {
            self = .valid(try WebSocketUpgradeRequest(validating: head, httpVersion: (request.version.major, request.version.minor)))
        } catch {
            self = .invalid(error)
        }
    }

    /// 426 for a plain request to a WebSocket route (RFC 9110 §15.5.22 asks for `Upgrade`).
    static var upgradeRequired: Response {
        Response(status: .upgradeRequired, headers: ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"])
    }

    /// WSHandshake's refusal (400 with the reason, 426 with the version we speak) as Vapor's
    /// response.
    static func response(for error: HandshakeError) -> Response {
        let refusal = error.refusal
        var headers = HTTPHeaders()
        for field in refusal.headerFields { headers.add(name: field.name.rawName, value: field.value) }
        return Response(status: HTTPResponseStatus(statusCode: refusal.status.code), headers: headers,
                        body: Response.Body(string: error.message + "\n"))
    }
}
