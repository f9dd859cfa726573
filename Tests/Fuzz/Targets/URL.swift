// Fuzz target `url`: WSConnect's URL parser (`WebSocketURL`) and the proxy settings read from
// the environment (`HTTPProxy(url:)`, `HTTPProxy.fromEnvironment`) on any text. Compiled
// together with those files of Packages/WSClient (they use nothing but the standard library).
// A broken invariant traps:
//   - a refusal is `.invalidURL`, and its message holds no control character (it may be
//     printed to a terminal or a log);
//   - a URL taken has a host, a port from 1 to 65535 and a target that starts with `/`, and
//     neither its host nor its target can end the request line or start a header (no control
//     character, space or non-ASCII byte; no `#`; the host no `/`, `?`, `@`);
//   - a URL written out (`description`) parses back to the same URL;
//   - a proxy taken from any text has a host and a port from 1 to 65535.

@_cdecl("LLVMFuzzerTestOneInput")
public func urlFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let url = try WebSocketURL(text)
        precondition(!url.host.isEmpty && (1...65535).contains(url.port) && url.target.hasPrefix("/"), "\(url)")
        func onTheWire(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "#") }
        precondition(url.target.utf8.allSatisfy(onTheWire), "a target that could break the request line: \(url.target.debugDescription)")
        precondition(url.host.utf8.allSatisfy { onTheWire($0) && !"/?@[]".utf8.contains($0) }, "a host that could break the request: \(url.host.debugDescription)")
        let again = try WebSocketURL(url.description)
        precondition(again == url, "\(url) parses back as \(again)")
        let proxy = HTTPProxy.fromEnvironment(for: url, environment: ["http_proxy": text, "HTTPS_PROXY": text, "no_proxy": text])
        if let proxy { precondition(!proxy.host.isEmpty && (1...65535).contains(proxy.port)) }
    } catch {
        precondition(error.code == .invalidURL, "\(error)")
        precondition(!error.message.unicodeScalars.contains(where: \.isControl), "a control character in \(error.message.debugDescription)")
    }
    if let proxy = HTTPProxy(url: text) {
        precondition(!proxy.host.isEmpty && (1...65535).contains(proxy.port), "\(proxy)")
    }
    return 0
}
