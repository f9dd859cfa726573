// One import for a WSServer user: the `WebSocket`, the handlers, TLS and the HTTP types come with it.
@_exported public import WSHTTP
@_exported public import WSTLS
