import NIOCore
import Synchronization
@_spi(WSInternal) import WSHTTP

/// A token bucket per client address, for the rate of new connections. Buckets that have
/// filled up again are dropped, and at most `maxClients` are kept (the fullest go first), so
/// memory stays bounded whatever the number of addresses.
final class ClientRateLimiter: Sendable {
    private let limit: RateLimit
    private let maxClients: Int
    private let buckets = Mutex<[String: TokenBucket]>([:])

    init(_ limit: RateLimit, maxClients: Int = 100_000) {
        self.limit = limit
        self.maxClients = maxClients
    }

    /// Takes a token for `client`; when there is none, returns the seconds until there is.
    func take(_ client: String) -> Double? {
        let now = NIODeadline.now().uptimeNanoseconds
        return buckets.withLock { buckets in
            if buckets.count >= maxClients { prune(&buckets, now: now) }
            var bucket = buckets[client] ?? TokenBucket(limit, now: now)
            defer { buckets[client] = bucket }
            return bucket.take(now: now) ? nil : bucket.secondsUntilToken(now: now)
        }
    }

    private func prune(_ buckets: inout [String: TokenBucket], now: UInt64) {
        for (client, var bucket) in buckets where bucket.isFull(now: now) { buckets[client] = nil }
        // Still too many: an address flood; forget the oldest half rather than grow.
        if buckets.count >= maxClients {
            for client in buckets.keys.prefix(buckets.count / 2) { buckets[client] = nil }
        }
    }
}
