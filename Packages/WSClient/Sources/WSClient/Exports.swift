// One import for a WSClient user: the `WebSocket`, TLS and the HTTP types come with it.
@_exported public import WSHTTP
@_exported public import WSTLS
