// One import for a WSHTTP user: the handshake and the protocol types of its API
// (`WebSocketUpgradeRequest`, `CloseCode`, `CloseOutcome`, …) come with it.
@_exported public import WSFraming
@_exported public import WSHandshake
