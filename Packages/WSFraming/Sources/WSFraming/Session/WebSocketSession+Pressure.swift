extension WebSocketSession {
    /// Reports that the transport's outbound queue went over the budget or back under it
    /// (its write buffer's high and low watermarks). Over it, reading stops; back under, it
    /// resumes, and the Pong owed to the latest Ping goes out.
    public mutating func outboundPressureChanged(_ pressure: OutboundPressure, into sink: inout some ByteSink) -> Actions {
        outbound = pressure
        if pressure == .withinBudget, let payload = owedPong {
            owedPong = nil
            if _connection.sentClose == nil {
                try? _connection.sendPong(payload, into: &sink)
                pending.write = true
            }
        }
        return takeActions()
    }

    /// Reports that the consumer of the messages fell behind (reading stops) or caught up.
    public mutating func inboundPressureChanged(_ pressure: InboundPressure) -> Actions {
        inbound = pressure
        return takeActions()
    }
}
