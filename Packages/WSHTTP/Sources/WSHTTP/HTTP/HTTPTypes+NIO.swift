import HTTPTypes
import NIOCore
import NIOHTTP1

/// Conversions between NIOHTTP1's heads and swift-http-types' messages.
enum HTTPConversion {
    /// The request of `head`; Host becomes the authority. Header fields whose names are not
    /// valid tokens are dropped.
    static func request(_ head: HTTPRequestHead) -> HTTPRequest {
        var fields = HTTPFields()
        var authority: String?
        for (name, value) in head.headers {
            if isHost(name) {
                authority = authority ?? value
            } else if let fieldName = HTTPField.Name(name) {
                fields.append(HTTPField(name: fieldName, value: value))
            }
        }
        let method = HTTPRequest.Method(head.method.rawValue) ?? .get
        return HTTPRequest(method: method, scheme: nil, authority: authority, path: head.uri, headerFields: fields)
    }

    /// The head of `request`, with Host from the authority.
    /// Whether a field's name is `Host`, in any case, without making a lowercased copy.
    private static func isHost(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        for expected in "host".utf8 {
            guard let byte = bytes.next(), byte | 0x20 == expected else { return false }
        }
        return bytes.next() == nil
    }

    static func head(_ request: HTTPRequest) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        if let authority = request.authority { headers.add(name: "Host", value: authority) }
        for field in request.headerFields { headers.add(name: field.name.rawName, value: field.value) }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue),
                               uri: request.path ?? "/", headers: headers)
    }

    /// The response of `head`.
    static func response(_ head: HTTPResponseHead) -> HTTPResponse {
        var fields = HTTPFields()
        for (name, value) in head.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return HTTPResponse(status: .init(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase), headerFields: fields)
    }

    /// The head of `response`.
    /// An HTTP/1.1 response head as it goes on the wire: the status line, each field, and the
    /// empty line. HTTPTypes has already made every name and value legal (no CR, LF or NUL).
    static func bytes(of response: HTTPResponse, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(response.status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in response.headerFields {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    static func head(_ response: HTTPResponse) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        for field in response.headerFields { headers.add(name: field.name.rawName, value: field.value) }
        return HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status.code, reasonPhrase: response.status.reasonPhrase),
                                headers: headers)
    }
}
