#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import HTTPTypes

/// The files of one folder, served over plain HTTP: a page and its scripts from the same
/// server as its WebSocket. GET only; `/` and paths ending in `/` serve `index.html`.
///
/// No request leaves the folder: a path with a `..` segment, a NUL or a malformed escape is
/// refused (400), and a symbolic link that resolves outside the folder is not served (404).
/// Files over `maxFileSize` are refused (413).
public struct StaticFiles: Sendable {
    /// The folder, resolved (no symbolic links, no trailing slash).
    public let root: String
    /// The largest file served, in bytes. Default 16 MiB.
    public var maxFileSize: Int

    /// Serves the files under `folder`.
    /// - Throws: ``StaticFilesError`` when `folder` does not exist or is not a folder.
    public init(folder: String, maxFileSize: Int = 16 << 20) throws(StaticFilesError) {
        guard let resolved = Self.realPath(folder), Self.isDirectory(resolved) else {
            throw StaticFilesError(message: "\(folder) is not a folder that can be read")
        }
        root = resolved == "/" ? "" : resolved
        self.maxFileSize = maxFileSize
    }

    /// The response for `request`: the file with its content type, 400, 404, 405 or 413; or nil
    /// when the path names no file, so that the caller can answer it otherwise.
    public func response(for request: HTTPRequest) -> (HTTPResponse, [UInt8])? {
        let target = request.path ?? "/"
        let rawPath = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        guard let path = Self.percentDecoded(rawPath), path.hasPrefix("/"), !path.contains("\0") else {
            return Self.plain(.badRequest, "the path is not a valid URL path\n")
        }
        guard !path.split(separator: "/").contains(where: { $0 == ".." }) else {
            return Self.plain(.badRequest, "a path with '..' is not served\n")
        }
        let relative = path.hasSuffix("/") ? path + "index.html" : path
        guard let resolved = Self.realPath(root + relative), resolved.hasPrefix(root + "/"), Self.isRegularFile(resolved) else {
            return nil
        }
        guard request.method == .get || request.method == .head else {
            return (HTTPResponse(status: .methodNotAllowed, headerFields: [.allow: "GET, HEAD"]), [])
        }
        guard let bytes = Self.read(resolved, limit: maxFileSize) else {
            return Self.plain(.contentTooLarge, "the file is over \(maxFileSize) bytes\n")
        }
        var fields = HTTPFields()
        fields[.contentType] = Self.contentType(of: resolved)
        fields[.cacheControl] = "no-cache"
        return (HTTPResponse(status: .ok, headerFields: fields), request.method == .head ? [] : bytes)
    }

    /// The content type for a file name, by its extension; `application/octet-stream` when unknown.
    public static func contentType(of name: String) -> String {
        let ext = name.split(separator: "/").last.flatMap { $0.split(separator: ".").count > 1 ? $0.split(separator: ".").last : nil }
        switch ext.map({ $0.lowercased() }) {
        case "html", "htm": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "json", "map": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "ico": return "image/x-icon"
        case "wasm": return "application/wasm"
        case "txt", "md": return "text/plain; charset=utf-8"
        case "woff2": return "font/woff2"
        default: return "application/octet-stream"
        }
    }

    private static func plain(_ status: HTTPResponse.Status, _ text: String) -> (HTTPResponse, [UInt8]) {
        (HTTPResponse(status: status, headerFields: [.contentType: "text/plain; charset=utf-8"]), Array(text.utf8))
    }

    private static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    private static func read(_ path: String, limit: Int) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[..<count]
            guard bytes.count <= limit else { return nil }
            if count < chunk.count { return bytes }
        }
    }
}

/// A folder that cannot be served.
public struct StaticFilesError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// The message.
    public var description: String { message }
}
