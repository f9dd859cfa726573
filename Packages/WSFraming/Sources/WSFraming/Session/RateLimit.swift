/// A rate as a token bucket: `burst` tokens at most, refilled at `perSecond`; each event takes
/// one, and an event that finds the bucket empty is over the limit.
public struct RateLimit: Sendable, Hashable {
    /// Tokens added per second: the sustained rate.
    public var perSecond: Double
    /// The bucket's size: how many events may come at once after a quiet spell.
    public var burst: Int

    /// A rate of `perSecond` with bursts of up to `burst` (at least 1).
    public init(perSecond: Double, burst: Int) {
        self.perSecond = max(0, perSecond)
        self.burst = max(1, burst)
    }
}

/// The state of one ``RateLimit``'s bucket, sans I/O: times come in as nanoseconds of any
/// monotonic clock. A ``WebSocketSession`` keeps one for its message rate limit; a server
/// keeps one per client address for its connection rate limit.
public struct TokenBucket: Sendable {
    /// The rate it enforces.
    public let limit: RateLimit
    private var tokens: Double
    private var last: UInt64

    /// A full bucket.
    public init(_ limit: RateLimit, now: UInt64) {
        self.limit = limit
        tokens = Double(limit.burst)
        last = now
    }

    /// Takes a token if there is one.
    public mutating func take(now: UInt64) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Seconds until the next token, 0 when one is there.
    public mutating func secondsUntilToken(now: UInt64) -> Double {
        refill(now: now)
        guard tokens < 1, limit.perSecond > 0 else { return tokens >= 1 ? 0 : .infinity }
        return (1 - tokens) / limit.perSecond
    }

    /// Whether the bucket is full again: a caller that keeps buckets per client may drop it.
    public mutating func isFull(now: UInt64) -> Bool {
        refill(now: now)
        return tokens >= Double(limit.burst)
    }

    private mutating func refill(now: UInt64) {
        guard now > last else { return }
        tokens = min(Double(limit.burst), tokens + Double(now - last) / 1e9 * limit.perSecond)
        last = now
    }
}
