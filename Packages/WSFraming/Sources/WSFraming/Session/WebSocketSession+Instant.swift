extension WebSocketSession {
    /// A moment on the I/O layer's monotonic clock, as nanoseconds from any origin it likes
    /// (SwiftNIO's `NIODeadline.now().uptimeNanoseconds`, say); tests start anywhere and add
    /// durations.
    ///
    /// The session's own type, not `ContinuousClock.Instant`: the standard library's types
    /// have a layout fixed only at run time, which would make every access to the session's
    /// state on the hot path go through type metadata.
    @frozen
    public struct Instant: InstantProtocol, Hashable, Sendable, CustomStringConvertible {
        /// Nanoseconds since the clock's origin.
        public var nanoseconds: Int64

        /// The moment `nanoseconds` after the clock's origin.
        @inlinable
        public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

        /// The moment `duration` later (earlier, if negative), saturating.
        @inlinable
        public func advanced(by duration: Duration) -> Instant {
            let (sum, overflow) = nanoseconds.addingReportingOverflow(duration.wholeNanoseconds)
            return Instant(nanoseconds: overflow ? (duration < .zero ? .min : .max) : sum)
        }

        /// The time from this moment to `other`.
        @inlinable
        public func duration(to other: Instant) -> Duration { .nanoseconds(other.nanoseconds &- nanoseconds) }

        @inlinable
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

        public var description: String { "\(Double(nanoseconds) / 1e9) s" }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    @inlinable
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? (seconds < 0 ? .min : .max) : sum
    }
}
