// One import for a `wss` user of WSHTTP: the pipelines, the `WebSocket` and the TLS types
// they share (`WebSocketTLS`, `TLSConnectionInfo`, `TLSVersion`) come with it.
@_exported public import WSHTTP
