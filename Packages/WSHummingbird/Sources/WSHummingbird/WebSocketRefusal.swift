public import HTTPTypes
public import Hummingbird

/// Refuses a WebSocket upgrade with any response, before the 101: thrown from a route's
/// `shouldUpgrade` (or from middleware), it is sent as it is and the connection closes.
///
/// ```swift
/// router.ws("game") { request, context in
///     guard await seats.take() else { throw WebSocketRefusal(Response(status: .serviceUnavailable, headers: [.retryAfter: "5"])) }
///     return Seat()
/// } onUpgrade: { webSocket, seat in … }
/// ```
///
/// Hummingbird's own `HTTPError` refuses too (`throw HTTPError(.unauthorized)`), as does any
/// `HTTPResponseError`.
public struct WebSocketRefusal: HTTPResponseError, Sendable {
    /// The response sent in place of the 101.
    public let response: Response

    /// A refusal that sends `response`.
    public init(_ response: Response) { self.response = response }

    /// The response's status.
    public var status: HTTPResponse.Status { response.status }

    /// The response, as Hummingbird asks of an `HTTPResponseError`.
    public func response(from request: Request, context: some RequestContext) throws -> Response { response }
}
