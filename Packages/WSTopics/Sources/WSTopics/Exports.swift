// One import for a WSTopics user: the `WebSocket` and its messages come with it.
@_exported public import WSHTTP
