import Foundation

/// The echo servers' command line: `--host ADDRESS` (default 127.0.0.1) and `--port N`
/// (default 8080); a bad one prints why and exits 64.
public struct Options: Sendable {
    public let host: String
    public let port: Int

    public init(program: String, arguments: [String] = CommandLine.arguments) {
        func value(_ name: String, _ fallback: String) -> String {
            guard let index = arguments.firstIndex(of: name) else { return fallback }
            guard index + 1 < arguments.count else { Options.fail(program, "\(name) needs a value") }
            return arguments[index + 1]
        }
        host = value("--host", "127.0.0.1")
        guard let port = Int(value("--port", "8080")), (0...65535).contains(port) else {
            Options.fail(program, "--port takes a number from 0 to 65535")
        }
        self.port = port
    }

    private static func fail(_ program: String, _ why: String) -> Never {
        FileHandle.standardError.write(Data("\(program): \(why)\n".utf8))
        exit(64)
    }
}
