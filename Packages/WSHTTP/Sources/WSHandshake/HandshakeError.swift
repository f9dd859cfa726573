public import HTTPTypes

/// A failed opening handshake (RFC 6455 §4): what was wrong, for a person, and for a
/// server the response that refuses the request.
///
/// Match by ``code``: `if error.code == .unsupportedVersion { … }`.
public struct HandshakeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable identifier of what went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        // A client's request, checked by a server (RFC 6455 §4.2.1).
        /// The request's method is not GET.
        public static let methodNotGet = Code("methodNotGet")
        /// The request is older than HTTP/1.1.
        public static let httpVersionTooOld = Code("httpVersionTooOld")
        /// The request has no Host.
        public static let missingHost = Code("missingHost")
        /// `Upgrade` does not contain `websocket`.
        public static let missingUpgrade = Code("missingUpgrade")
        /// `Connection` does not contain `upgrade`.
        public static let missingConnectionUpgrade = Code("missingConnectionUpgrade")
        /// `Sec-WebSocket-Key` is missing, repeated, or not the base64 of 16 bytes.
        public static let invalidKey = Code("invalidKey")
        /// `Sec-WebSocket-Version` is missing or not 13.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// `Sec-WebSocket-Protocol` holds something that is not a token.
        public static let malformedSubprotocols = Code("malformedSubprotocols")
        /// `Sec-WebSocket-Extensions` breaks the grammar.
        public static let malformedExtensions = Code("malformedExtensions")

        // A server's response, checked by a client (RFC 6455 §4.1).
        /// The server answered with a status other than 101; see ``HandshakeError/response``.
        public static let upgradeRefused = Code("upgradeRefused")
        /// `Sec-WebSocket-Accept` does not answer our key.
        public static let wrongAccept = Code("wrongAccept")
        /// The server chose a subprotocol we did not offer.
        public static let unexpectedSubprotocol = Code("unexpectedSubprotocol")
        /// The server chose an extension we did not offer.
        public static let unexpectedExtension = Code("unexpectedExtension")

        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// What was wrong, for a person.
    public let message: String
    /// For a request a server refuses: the status to answer with (400, 405, 426).
    public let status: HTTPResponse.Status?
    /// Fields the refusal must carry, such as `Sec-WebSocket-Version: 13` with 426.
    public let headerFields: HTTPFields
    /// For a response a client refuses: the server's response.
    public let response: HTTPResponse?

    private init(_ code: Code, _ message: String, status: HTTPResponse.Status? = nil, headerFields: HTTPFields = [:], response: HTTPResponse? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.headerFields = headerFields
        self.response = response
    }

    /// A request refused with `status`.
    static func request(_ code: Code, _ status: HTTPResponse.Status, _ message: String, headerFields: HTTPFields = [:]) -> HandshakeError {
        HandshakeError(code, message, status: status, headerFields: headerFields)
    }

    /// A server's response refused by a client.
    static func response(_ code: Code, _ message: String, _ response: HTTPResponse) -> HandshakeError {
        HandshakeError(code, message, response: response)
    }

    static func malformedExtensions(_ problem: String, _ value: String) -> HandshakeError {
        .request(.malformedExtensions, .badRequest, "Sec-WebSocket-Extensions is malformed: \(problem) in \"\(value)\"")
    }

    /// The response a server sends to refuse the request: the status, ``headerFields``,
    /// `Connection: close` and a plain-text body (``refusalBody``).
    public var refusal: HTTPResponse {
        var fields = headerFields
        fields[.connection] = "close"
        fields[.contentType] = "text/plain; charset=utf-8"
        fields[.contentLength] = String(refusalBody.count)
        return HTTPResponse(status: status ?? .badRequest, headerFields: fields)
    }

    /// The body of ``refusal``: ``message`` and a newline.
    public var refusalBody: [UInt8] { Array((message + "\n").utf8) }

    public var description: String {
        if let status { return "WebSocket handshake refused (\(status.code)): \(message)" }
        return "WebSocket handshake failed: \(message)"
    }
}
