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
        let head = HTTPRequest(method: .get, scheme: nil, authority: request.headers.first(name: .host), path: request.url.string,
                               headerFields: HTTPFields(request.headers))
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

    /// 426 for a plain request to a WebSocket route (WSHandshake's answer).
    static var upgradeRequired: Response { response(HTTPResponse.webSocketUpgradeRequired) }

    /// WSHandshake's refusal (400 with the reason, 426 with the version we speak) as Vapor's
    /// response.
    static func response(for error: HandshakeError) -> Response { response(error.refusal, body: error.message + "\n") }

    /// A swift-http-types response as Vapor's.
    static func response(_ head: HTTPResponse, body: String = "") -> Response {
        Response(status: HTTPResponseStatus(statusCode: head.status.code), headers: HTTPHeaders(head.headerFields),
                 body: Response.Body(string: body))
    }
}

extension HTTPHeaders {
    /// swift-http-types' fields as NIO's headers, in order.
    init(_ fields: HTTPFields) {
        self.init(fields.map { ($0.name.rawName, $0.value) })
    }
}

extension HTTPFields {
    /// NIO's headers as swift-http-types' fields, in order; `Host`, which swift-http-types
    /// holds as the request's authority, and names it cannot hold are left out.
    init(_ headers: HTTPHeaders) {
        self.init()
        for (name, value) in headers where name.lowercased() != "host" {
            guard let name = HTTPField.Name(name) else { continue }
            append(HTTPField(name: name, value: value))
        }
    }
}
