// One import for a WSHTTP user: the handshake, the protocol types and the HTTP types of its
// API (`WebSocketUpgradeRequest`, `CloseCode`, `CloseOutcome`, `PerMessageDeflate`, `HTTPResponse`, …) come with it.
@_exported public import HTTPTypes
@_exported public import WSDeflate
@_exported public import WSFraming
@_exported public import WSHandshake
