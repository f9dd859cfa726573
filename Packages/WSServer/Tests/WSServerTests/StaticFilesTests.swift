import Foundation
import Testing
import WSServer

@Suite("StaticFiles: a folder served, and nothing outside it")
struct StaticFilesTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("wsserver-static-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        try "<!doctype html>hi".write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        try "console.log(1)".write(toFile: folder + "/app.js", atomically: true, encoding: .utf8)
        try "<svg/>".write(toFile: folder + "/sub/index.html", atomically: true, encoding: .utf8)
        try "a b".write(toFile: folder + "/with space.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/outside", withDestinationPath: "/etc/hostname")
    }

    func get(_ path: String, _ method: HTTPRequest.Method = .get) throws -> (HTTPResponse, [UInt8])? {
        try StaticFiles(folder: folder).response(for: HTTPRequest(method: method, scheme: nil, authority: "h", path: path))
    }

    @Test("files with their content types; / and folders serve index.html; escapes are decoded")
    func serves() throws {
        let index = try #require(try get("/"))
        #expect(index.0.status == .ok)
        #expect(index.0.headerFields[.contentType] == "text/html; charset=utf-8")
        #expect(String(decoding: index.1, as: UTF8.self) == "<!doctype html>hi")
        #expect(try get("/app.js?v=2")?.0.headerFields[.contentType] == "text/javascript; charset=utf-8")
        #expect(try get("/sub/").map { String(decoding: $0.1, as: UTF8.self) } == "<svg/>")
        #expect(try get("/with%20space.txt").map { String(decoding: $0.1, as: UTF8.self) } == "a b")
    }

    @Test("nothing outside the folder: '..', encoded '..', NUL, bad escapes, links out", arguments: [
        "/../etc/hostname", "/sub/../../etc/hostname", "/%2e%2e/etc/hostname", "/%2E%2E%2Fetc%2Fhostname", "/a%00b", "/%zz",
    ])
    func refuses(path: String) throws {
        let response = try #require(try get(path))
        #expect(response.0.status == .badRequest)
    }

    @Test("a link that leads outside, a missing file and a folder without index are not served")
    func notServed() throws {
        #expect(try get("/outside") == nil)
        #expect(try get("/missing.html") == nil)
        #expect(try get("/sub") == nil)
    }

    @Test("only GET and HEAD")
    func methods() throws {
        #expect(try get("/app.js", .post)?.0.status == .methodNotAllowed)
        let head = try #require(try get("/app.js", .head))
        #expect(head.0.status == .ok)
        #expect(head.1.isEmpty)
    }

    @Test("a folder that is not there is an error that names it")
    func missingFolder() {
        let error = #expect(throws: StaticFilesError.self) { try StaticFiles(folder: "/no/such/folder") }
        #expect(error?.message.contains("/no/such/folder") == true)
    }
}

