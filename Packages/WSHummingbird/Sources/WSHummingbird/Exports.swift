// A route's handler takes this library's WebSocket: `import WSHummingbird` is enough to use it.
@_exported public import WSHTTP
