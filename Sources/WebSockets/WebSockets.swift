// The umbrella module: one import for every layer of WebSockets for Swift.
@_exported public import WSFraming
@_exported public import WSDeflate
@_exported public import WSLogging
@_exported public import WSHandshake
@_exported public import WSTLS
@_exported public import WSHTTP
@_exported public import WSServer
@_exported public import WSConnect
@_exported public import WSTopics
