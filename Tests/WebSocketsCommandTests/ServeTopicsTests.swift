import ArgumentParser
import Testing
@testable import WebSocketsCommand
import WSRedis

@Suite("websockets serve: topics, --redis and --redis-ca")
struct ServeTopicsTests {
    @Test("paths: /relay is the page's topic, /topics/NAME is NAME, anything else an echo")
    func paths() {
        #expect(ServeTopics.topic(of: "/relay") == "relay")
        #expect(ServeTopics.topic(of: "/relay?x=1") == "relay")
        #expect(ServeTopics.topic(of: "/topics/room:42") == "room:42")
        #expect(ServeTopics.topic(of: "/topics/room?token=t") == "room")
        #expect(ServeTopics.topic(of: "/echo") == nil)
        #expect(ServeTopics.isKnown("a-b_c.d:e") && !ServeTopics.isKnown("a b") && !ServeTopics.isKnown("a%20b"))
    }

    @Test("a name the topics refuse is refused before the upgrade: 400 too long, 404 unknown")
    func refusals() {
        let topics = WebSocketTopics(knownTopic: ServeTopics.isKnown)
        func status(_ target: String) -> Int? {
            guard case .refuse(let response, _) = ServeTopics.decision(for: target, topics: topics) else { return nil }
            return response.status.code
        }
        #expect(status("/topics/" + String(repeating: "x", count: 257)) == 400)
        #expect(status("/topics/" + String(repeating: "x", count: 256)) == nil)
        #expect(status("/topics/bad!name") == 404)
        #expect(status("/topics/") == 400)
        #expect(status("/echo") == nil)
    }

    @Test("--redis takes redis:// and rediss:// URLs; --redis-ca only with rediss://, and sets the CA checked")
    func flags() throws {
        #expect(try ServeTopicsOptions.parse(["--redis", "redis://127.0.0.1:6379"]).redis == "redis://127.0.0.1:6379")
        #expect(throws: (any Error).self) { try ServeTopicsOptions.parse(["--redis", "127.0.0.1:6379"]) }
        #expect(throws: (any Error).self) { try ServeTopicsOptions.parse(["--redis-ca", "ca.pem"]) }
        #expect(throws: (any Error).self) { try ServeTopicsOptions.parse(["--redis", "redis://h", "--redis-ca", "ca.pem"]) }
        let options = try ServeTopicsOptions.parse(["--redis", "rediss://h:6380", "--redis-ca", "ca.pem"])
        #expect(options.configuration.tls.verification == .trustedCAs(.file("ca.pem")))
        #expect(try ServeTopicsOptions.parse([]).configuration.tls.verification == .systemTrustStore)
    }
}
