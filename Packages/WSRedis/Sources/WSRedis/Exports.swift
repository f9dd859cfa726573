// One import for a WSRedis user: the topics and the WebSocket come with it.
@_exported public import WSTopics
@_exported public import WSTLS
