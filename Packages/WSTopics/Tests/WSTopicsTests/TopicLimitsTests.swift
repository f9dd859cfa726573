import Testing
import WSTopics

@Suite("WebSocketTopics: bad names, too many topics, messages too long, and what other nodes send")
struct TopicLimitsTests {
    @Test("names: empty, over the limit, unknown to the rule; each refusal says why")
    func names() {
        let topics = WebSocketTopics(limits: .init(maxTopicBytes: 8), knownTopic: { !$0.hasPrefix("secret") })
        #expect(throws: TopicError(.invalidName, "a topic name cannot be empty")) { try topics.publish(.text("x"), to: "") }
        #expect(throws: TopicError(.invalidName, "topic name of 9 bytes is over the limit of 8")) {
            try topics.publish(.text("x"), to: "123456789")
        }
        #expect(throws: TopicError(.unknownTopic, "unknown topic \"secret\"")) { try topics.publish(.text("x"), to: "secret") }
        #expect(throws: Never.self) { try topics.publish(.text("x"), to: "news") }
    }

    @Test("a message over the limit is refused, naming its length and the limit")
    func messageTooLong() {
        let topics = WebSocketTopics(limits: .init(maxMessageBytes: 10))
        #expect(throws: TopicError(.messageTooLarge, "a message of 11 bytes to \"t\" is over the limit of 10")) {
            try topics.publish(.binary([UInt8](repeating: 0, count: 11)), to: "t")
        }
        #expect(throws: TopicError(.messageTooLarge, "a message of 11 bytes to \"t\" is over the limit of 10")) {
            try topics.publish(PreparedMessage(.binary, payload: [UInt8](repeating: 0, count: 11)), to: "t")
        }
    }

    @Test("a connection may be in maxTopicsPerConnection topics; one more is refused")
    func tooManyTopics() async throws {
        let topics = WebSocketTopics(limits: .init(maxTopicsPerConnection: 2))
        let refused = OutcomeBox()
        let server = try await TestServer.start(handlers: WebSocketServerHandlers(upgraded: { webSocket in
            do throws(TopicError) {
                try topics.subscribe(webSocket, to: "a")
                try topics.subscribe(webSocket, to: "a") // again: nothing changes
                try topics.subscribe(webSocket, to: "b")
                try topics.subscribe(webSocket, to: "c")
            } catch {
                refused.set(error)
            }
            _ = await webSocket.closed()
        }))
        let client = try await connect(port: server.port)
        #expect(try await eventually { refused.error != nil })
        #expect(refused.error == TopicError(.tooManyTopics, "the connection is in 2 topics already, the limit"))
        #expect(topics.activeTopics == ["a", "b"])
        await client.close()
        #expect(try await eventually { topics.activeTopics.isEmpty })
        await server.stop()
    }

    @Test("the envelope round-trips; bytes that are not one, or text that is not UTF-8, are refused")
    func envelope() throws {
        let node = NodeID.random()
        let message = BackplaneMessage(topic: "t", origin: node, message: PreparedMessage(text: "héllo"))
        let bytes = message.envelope()
        #expect(bytes.count == BackplaneMessage.envelopeHeaderCount + "héllo".utf8.count)
        let read = try bytes.withUnsafeBytes { try BackplaneMessage(topic: "t", envelope: $0, maxMessageBytes: 100) }
        #expect(read.origin == node && read.message == message.message)
        func refusal(_ bytes: [UInt8], limit: Int = 100) -> String? {
            do {
                _ = try bytes.withUnsafeBytes { try BackplaneMessage(topic: "t", envelope: $0, maxMessageBytes: limit) }
                return nil
            } catch {
                return (error as? BackplaneMessage.EnvelopeError)?.description
            }
        }
        #expect(refusal(Array("PUBLISH from redis-cli".utf8)) == "not a WebSockets topic message (22 bytes without its header)")
        #expect(refusal(bytes, limit: 3) == "a message of 6 bytes, over the limit of 3")
        var invalid = bytes
        invalid[19] = 0xFF
        #expect(refusal(invalid) == "a text message that is not valid UTF-8")
        var version = bytes
        version[1] = 9
        #expect(refusal(version) == "a message of format version 9, not 1")
    }
}
