import Logging

extension WebSocketLogger {
    /// How ``WebSocketLogger`` writes its lines, with documented defaults.
    public struct Configuration: Sendable {
        /// When the level is coloured.
        public enum Color: Sendable, Hashable {
            /// On a terminal, unless `NO_COLOR` is set (non-empty) or `TERM` is `dumb`.
            case automatic
            /// Always, for example when the output goes through a pager that understands it.
            case always
            /// Never.
            case never
        }

        /// Which times a line starts with.
        public enum Timestamp: Sendable, Hashable {
            /// None (the log collector adds its own).
            case none
            /// The wall clock in UTC with microseconds: `2026-11-25T10:49:54.123456Z`.
            case wallClock
            /// The wall clock, then the monotonic seconds since logging started: `… +12.345678`,
            /// exact for intervals even when the wall clock jumps.
            case wallClockAndUptime
        }

        /// When a line ends with the caller's file and line.
        public enum SourceLocation: Sendable, Hashable {
            /// For `warning` and above.
            case warningsAndAbove
            /// On every line.
            case always
            /// Never.
            case never
        }

        /// The minimum level, per label. Default: `info` for all.
        public var levels: LogLevels
        /// Colour of the level; default ``Color/automatic``.
        public var color: Color
        /// The times on each line; default ``Timestamp/wallClock``.
        public var timestamp: Timestamp
        /// The caller's location; default ``SourceLocation/warningsAndAbove``.
        public var sourceLocation: SourceLocation
        /// Where lines go; default standard error.
        public var output: LogOutput
        /// Where times come from; default the system's clocks.
        public var clock: LogClock

        /// Creates a configuration; every parameter has the default described on its property.
        public init(
            levels: LogLevels = LogLevels(),
            color: Color = .automatic,
            timestamp: Timestamp = .wallClock,
            sourceLocation: SourceLocation = .warningsAndAbove,
            output: LogOutput = .standardError,
            clock: LogClock = .system
        ) {
            self.levels = levels
            self.color = color
            self.timestamp = timestamp
            self.sourceLocation = sourceLocation
            self.output = output
            self.clock = clock
        }
    }
}
