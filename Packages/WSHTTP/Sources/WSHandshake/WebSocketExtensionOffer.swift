/// One extension in `Sec-WebSocket-Extensions`, with its parameters (RFC 6455 §9.1): an
/// offer in a client's request, or the server's answer to one.
///
/// ```
/// permessage-deflate; client_max_window_bits; server_max_window_bits=10
/// ```
public struct WebSocketExtensionOffer: Sendable, Hashable, CustomStringConvertible {
    /// A parameter: a name, and a value unless it is a bare flag.
    public struct Parameter: Sendable, Hashable {
        /// The parameter's name, a token.
        public var name: String
        /// The value (unquoted), or `nil` for a flag such as `client_max_window_bits`.
        public var value: String?

        /// Creates a parameter.
        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// The extension's name, a token such as `permessage-deflate`.
    public var name: String
    /// The parameters in the order they were written; duplicates are kept, so that the
    /// extension can refuse them (RFC 7692 §7).
    public var parameters: [Parameter]

    /// Creates an offer.
    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    /// The offer as it is written in the header: parameters after `; `, values quoted only
    /// when they are not tokens.
    public var description: String {
        var text = name
        for parameter in parameters {
            text += "; " + parameter.name
            if let value = parameter.value {
                text += "=" + (HeaderTokens.isToken(value) ? value : "\"" + value + "\"")
            }
        }
        return text
    }

    /// The offers in a request's or response's `Sec-WebSocket-Extensions` fields, in order.
    ///
    /// - Parameter values: the values of every `Sec-WebSocket-Extensions` field.
    /// - Throws: ``HandshakeError`` (400) for text that breaks the grammar: a name or a
    ///   parameter that is not a token, an unterminated quoted string, a quoted value that
    ///   is not a token once unescaped (RFC 6455 §9.1), an empty extension.
    public static func parse(_ values: [String]) throws(HandshakeError) -> [WebSocketExtensionOffer] {
        var offers: [WebSocketExtensionOffer] = []
        for value in values {
            var cursor = Cursor(Array(value.utf8))
            while true {
                cursor.skipSpaces()
                if cursor.atEnd { break }
                if cursor.take(UInt8(ascii: ",")) { continue }  // empty list elements are allowed
                var offer = WebSocketExtensionOffer(name: try cursor.token(what: "extension name", in: value))
                cursor.skipSpaces()
                while cursor.take(UInt8(ascii: ";")) {
                    cursor.skipSpaces()
                    let name = try cursor.token(what: "parameter name", in: value)
                    cursor.skipSpaces()
                    var parameterValue: String?
                    if cursor.take(UInt8(ascii: "=")) {
                        cursor.skipSpaces()
                        parameterValue = try cursor.tokenOrQuoted(in: value)
                        cursor.skipSpaces()
                    }
                    offer.parameters.append(Parameter(name, parameterValue))
                }
                offers.append(offer)
                cursor.skipSpaces()
                guard cursor.atEnd || cursor.take(UInt8(ascii: ",")) else {
                    throw .malformedExtensions("unexpected '\(cursor.current)' after extension \(offer.name)", value)
                }
            }
        }
        return offers
    }

    /// The header value for a list of offers.
    public static func headerValue(_ offers: [WebSocketExtensionOffer]) -> String {
        offers.map(\.description).joined(separator: ", ")
    }
}

/// Reads RFC 7230 syntax from bytes.
private struct Cursor {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }
    var current: Character { atEnd ? " " : Character(Unicode.Scalar(bytes[index])) }

    mutating func skipSpaces() {
        while !atEnd, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard !atEnd, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func token(what: String, in value: String) throws(HandshakeError) -> String {
        let start = index
        while !atEnd, HeaderTokens.isTokenByte(bytes[index]) { index += 1 }
        guard index > start else { throw .malformedExtensions("expected \(what) at '\(current)'", value) }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func tokenOrQuoted(in value: String) throws(HandshakeError) -> String {
        guard take(UInt8(ascii: "\"")) else { return try token(what: "parameter value", in: value) }
        var unescaped: [UInt8] = []
        while true {
            guard !atEnd else { throw .malformedExtensions("unterminated quoted string", value) }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                guard !atEnd else { throw .malformedExtensions("unterminated quoted string", value) }
                unescaped.append(bytes[index])
                index += 1
            } else {
                unescaped.append(byte)
            }
        }
        let text = String(decoding: unescaped, as: UTF8.self)
        guard HeaderTokens.isToken(text) else {
            throw .malformedExtensions("quoted value \"\(text)\" is not a token (RFC 6455 §9.1)", value)
        }
        return text
    }
}
