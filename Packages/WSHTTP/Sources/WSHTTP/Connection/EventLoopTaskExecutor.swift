public import NIOCore

/// A task executor that runs jobs on one NIO event loop. A task that prefers it
/// (`Task(executorPreference:)`, `withTaskExecutorPreference`) runs on its connection's
/// thread: receiving and sending then need no thread switch, and sends from it go straight
/// into the connection's write buffer.
///
/// Work that blocks in such a task blocks the event loop and every connection on it: move
/// long synchronous work elsewhere.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The event loop the jobs run on.
    public let eventLoop: any EventLoop

    /// An executor for `eventLoop`.
    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs `job` on the event loop.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
