import NIOCore

/// Tells the handler, on its event loop, when the consumer of ``WebSocket/messages`` wants
/// more (inbound backpressure) or has gone.
struct InboundDemand: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<WebSocketHandler>

    func produceMore() {
        handler.eventLoop.execute { handler.value.resume() }
    }

    func didTerminate() {}
}
