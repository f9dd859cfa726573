import Foundation
import Testing
@testable import WSRedis

/// Three `redis-server --cluster-enabled yes` masters on loopback, made a cluster by
/// `redis-cli --cluster create`, stopped by their PIDs.
final class RedisClusterProcesses: @unchecked Sendable {
    let nodes: [RedisServerProcess]

    init() throws {
        var nodes: [RedisServerProcess] = []
        for _ in 0..<3 {
            let port = RedisServerProcess.freePort()
            // A bus port of its own: the default, port + 10,000, may be taken or past 65,535.
            nodes.append(try RedisServerProcess(arguments: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes-\(port).conf",
                                                            "--cluster-port", "\(RedisServerProcess.freePort())",
                                                            "--cluster-node-timeout", "2000"], port: port))
        }
        self.nodes = nodes
        try run("/usr/bin/env", ["redis-cli", "--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" }
            + ["--cluster-replicas", "0", "--cluster-yes"])
        for _ in 0..<250 {
            if try nodes.allSatisfy({ try clusterState(port: $0.port) == "ok" }) { return }
            Thread.sleep(forTimeInterval: 0.04)
        }
        throw RedisTestError(description: "the cluster did not reach cluster_state:ok")
    }

    /// `cluster_state` of `CLUSTER INFO` on one node.
    private func clusterState(port: Int) throws -> String {
        let info = try output("/usr/bin/env", ["redis-cli", "-p", "\(port)", "cluster", "info"])
        return info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cluster_state:") }.map { String($0.dropFirst(14)) } ?? ""
    }

    /// The port of the master that owns `name`'s slot.
    func owner(of name: String) throws -> Int {
        let slots = try output("/usr/bin/env", ["redis-cli", "-p", "\(nodes[0].port)", "cluster", "slots"])
        // Lines: start, end, host, port, id, …, per range; find the range of the slot.
        let lines = slots.split(whereSeparator: \.isNewline).map(String.init)
        let slot = RedisClusterSlots.slot(of: name)
        var index = 0
        while index + 3 < lines.count {
            if let start = Int(lines[index]), let end = Int(lines[index + 1]), (start...end).contains(slot), let port = Int(lines[index + 3]) {
                return port
            }
            index += 1
        }
        throw RedisTestError(description: "no master owns slot \(slot)")
    }
}

/// Runs a command and gives what it printed.
func output(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    let pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

@Suite("RedisBackplane on a three-master Redis Cluster: sharded pub/sub", .serialized, .timeLimit(.minutes(2)))
struct RedisClusterTests {
    @Test("each topic is SSUBSCRIBEd on the master of its slot; every message reaches the other node, in order; a master that restarts is resubscribed")
    func shardedPubSub() async throws {
        let cluster = try RedisClusterProcesses()
        let (a, _) = try await listening("redis://127.0.0.1:\(cluster.nodes[0].port)")
        let (b, received) = try await listening("redis://127.0.0.1:\(cluster.nodes[2].port)")
        #expect(a.isCluster && b.isCluster)
        // Topics until every master owns one.
        var topicsByMaster: [Int: String] = [:]
        for index in 0..<100 where topicsByMaster.count < 3 {
            let name = "room-\(index)"
            topicsByMaster[try cluster.owner(of: name)] = topicsByMaster[try cluster.owner(of: name)] ?? name
        }
        #expect(topicsByMaster.count == 3)
        for topic in topicsByMaster.values { b.subscribe(topic) }
        for (port, topic) in topicsByMaster {
            #expect(try await eventuallyAsync {
                try output("/usr/bin/env", ["redis-cli", "-p", "\(port)", "pubsub", "shardchannels"]).contains(topic)
            }, "\(topic) is a shard channel of its master, \(port)")
        }
        for sequence in 0..<300 {
            let topic = Array(topicsByMaster.values.sorted())[sequence % 3]
            a.publish(message("\(topic) \(sequence)", topic: topic))
        }
        #expect(try await eventually { received.messages.count == 300 })
        for topic in topicsByMaster.values {
            let mine = received.messages.filter { $0.topic == topic }
                .map { $0.message.withUnsafePayload { String(decoding: $0, as: UTF8.self) } }
            #expect(mine == mine.sorted { Int($0.split(separator: " ")[1])! < Int($1.split(separator: " ")[1])! } && mine.count == 100,
                    "in order per topic")
        }
        // A master restarts (its cluster file keeps its slots): both nodes reconnect and resubscribe.
        let (port, topic) = topicsByMaster.first { $0.key != cluster.nodes[0].port && $0.key != cluster.nodes[2].port }
            ?? topicsByMaster.first!
        let restarted = try #require(cluster.nodes.first { $0.port == port })
        restarted.kill()
        try restarted.start()
        let back = ContinuousClock.now
        var resumed = false
        while !resumed, back.duration(to: .now) < .seconds(10) {
            a.publish(message("after the restart", topic: topic))
            try await Task.sleep(for: .milliseconds(50))
            resumed = received.texts.contains("after the restart")
        }
        #expect(resumed, "delivery on \(topic) resumed \(back.duration(to: .now)) after its master came back")
        await a.shutdown()
        await b.shutdown()
    }
}
