public import Logging

/// Logs one line at a dedicated, visible level: WebSockets.jl's `@wslog`, for a developer's
/// quick look at what a connection is doing.
///
/// The record goes out at `notice` (above the default `info`, so it shows) with the marker
/// ``WSLogKey/wslog``, which ``WebSocketLogger`` prints as its own level, `wslog`, in
/// magenta. It carries the caller's file, line and function, and the current connection's
/// metadata from ``WebSocketLogContext``.
///
/// - Parameters:
///   - message: what to say.
///   - metadata: more key-value pairs for this record.
///   - logger: the logger to use; default: one labelled `wslog` from the logging system.
///   - file: the caller's file; leave the default, which the compiler fills in.
///   - function: the caller's function; leave the default.
///   - line: the caller's line; leave the default.
public func wslog(
    _ message: @autoclosure () -> Logger.Message,
    metadata: @autoclosure () -> Logger.Metadata? = nil,
    logger: Logger? = nil,
    file: String = #fileID,
    function: String = #function,
    line: UInt = #line
) {
    let logger = logger ?? Logger(label: "wslog")
    guard logger.logLevel <= .notice else { return }
    var all = WebSocketLogContext.metadata
    if let extra = metadata() { all.merge(extra) { $1 } }
    all[WSLogKey.wslog] = "true"
    logger.notice(message(), metadata: all, file: file, function: function, line: line)
}
