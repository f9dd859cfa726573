import ArgumentParser
import Logging
import WSRedis
import WSServer

/// `websockets serve --redis URL`: the page's `/relay` and every `/topics/NAME` span every
/// node on that Redis.
struct ServeTopicsOptions: ParsableArguments {
    @Option(name: .customLong("redis"), help: ArgumentHelp(
        "A Redis (redis://[:PASSWORD@]HOST:PORT, rediss:// for TLS) or a Redis Cluster node: /relay and /topics/NAME span every node on it.",
        valueName: "url"))
    var redis: String?

    @Option(name: .customLong("redis-ca"), help: ArgumentHelp(
        "A PEM file of the CA certificates a rediss:// Redis's certificate is checked against (default: the system's trust store).",
        valueName: "file"))
    var redisCA: String?

    func validate() throws {
        if let redis {
            do { _ = try RedisURL(redis) } catch { throw ValidationError("--redis: \(error)") }
        }
        if redisCA != nil, redis.map({ (try? RedisURL($0))?.tls ?? false }) != true {
            throw ValidationError("--redis-ca goes with a rediss:// --redis")
        }
    }

    /// How the backplane talks to Redis: the CA of `--redis-ca`, else the defaults.
    var configuration: RedisBackplane.Configuration {
        var configuration = RedisBackplane.Configuration()
        if let redisCA { configuration.tls = TLSClientConfiguration(verification: .trustedCAs(.file(redisCA)), applicationProtocols: []) }
        return configuration
    }

    /// The topics of the page and of `/topics/NAME`: on this node alone, or on Redis.
    func makeTopics(logger: Logger) async throws -> (WebSocketTopics, RedisBackplane?) {
        guard let redis else { return (WebSocketTopics(knownTopic: ServeTopics.isKnown), nil) }
        do {
            let backplane = try await RedisBackplane.connect(to: redis, configuration: configuration, logger: logger)
            return (WebSocketTopics(backplane: backplane, knownTopic: ServeTopics.isKnown), backplane)
        } catch {
            throw ValidationError("--redis: \(error)")
        }
    }
}

/// Which WebSocket paths are topics, and which names exist.
enum ServeTopics {
    /// The demo page's room.
    static let relay = "relay"
    static let prefix = "/topics/"

    /// The topic a request's target names: `relay` for `/relay`, NAME for `/topics/NAME`; nil for
    /// an echo path.
    static func topic(of target: String) -> String? {
        let path = target.prefix { $0 != "?" }
        if path == "/relay" { return relay }
        guard path.hasPrefix(prefix) else { return nil }
        return String(path.dropFirst(prefix.count))
    }

    /// Names of letters, digits and `._:-`: what a path can carry without escapes.
    @Sendable static func isKnown(_ name: String) -> Bool {
        name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }

    /// Refuses an upgrade to a topic the topics would refuse: 400 for a bad name, 404 for an
    /// unknown one, with the reason as the body.
    static func decision(for target: String, topics: WebSocketTopics) -> WebSocketUpgradeDecision {
        guard let topic = topic(of: target) else { return .accept() }
        do throws(TopicError) {
            try topics.check(topicName: topic)
            return .accept()
        } catch {
            let status: HTTPResponse.Status = error.kind == .unknownTopic ? .notFound : .badRequest
            return .refuse(HTTPResponse(status: status, headerFields: [.contentType: "text/plain; charset=utf-8"]),
                           body: Array("\(error.message)\n".utf8))
        }
    }
}
