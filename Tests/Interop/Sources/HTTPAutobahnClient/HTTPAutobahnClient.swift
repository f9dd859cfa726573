import Logging
import WSHTTP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Autobahn testsuite's testee client on WSHTTP's NIO client (`wstest -m fuzzingserver`):
/// reads the case count from `/getCaseCount`, runs each case at `/runCase?case=N&agent=AGENT`
/// echoing every message (text as text, binary as binary) until the connection ends, then
/// asks for the reports at `/updateReports?agent=AGENT`.
///
/// Each case runs in a child process of this executable (`--run-case N`), so that a case that
/// crashes the client is reported (the suite sees the connection drop, this prints the
/// signal) and the other cases still run. Each connection uses frame and message limits of
/// 16 MiB (the 9.* cases send 16 MiB messages), no keepalive ping, and ends after
/// `--case-timeout` (default 60 s) whatever happens: the client then closes its TCP
/// connection; a child that is still alive 10 s later is killed. `--mode` picks the consumer:
/// `async` (default, a task reading `webSocket.messages`) or `eventloop` (callbacks).
///
/// Prints one line per case (its close outcome, or how its process ended). Exits 1 if the
/// case count or the reports could not be had, 3 if any case's process crashed or was
/// killed, 0 otherwise. No permessage-deflate is offered. Logs warnings and above only.
@main
enum HTTPAutobahnClient {
    static func main() async {
        let options: ClientOptions
        do {
            options = try ClientOptions(arguments: CommandLine.arguments.dropFirst())
        } catch {
            if let message = error.message { writeLine("HTTPAutobahnClient: \(message)", to: 2) }
            writeLine(ClientOptions.usage, to: error.message == nil ? 1 : 2)
            exit(error.message == nil ? 0 : 2)
        }
        var logger = Logger(label: "HTTPAutobahnClient")
        logger.logLevel = .warning
        let testee = Testee(options: options, logger: logger)
        if let number = options.singleCase {
            exit(await runCase(number, testee: testee))
        }

        let count: Int
        do {
            count = try await testee.caseCount()
        } catch {
            writeLine("HTTPAutobahnClient: no case count: \(error)", to: 2)
            exit(1)
        }
        writeLine("\(count) cases, mode \(options.mode.rawValue)", to: 1)
        var casesLost = 0
        for number in stride(from: 1, through: count, by: 1) {
            let ending = await CaseProcess.run(arguments: options.arguments(runningCase: number),
                                               deadline: options.caseTimeout + .seconds(10))
            if ending != .exited(0) {
                let id = await testee.caseID(number).map { " (\($0))" } ?? ""
                writeLine("case \(number)\(id): the client process \(ending)", to: 1)
                if ending != .exited(1) { casesLost += 1 }
            }
        }
        do {
            try await testee.updateReports()
        } catch {
            writeLine("HTTPAutobahnClient: reports not updated: \(error)", to: 2)
            exit(1)
        }
        writeLine("reports updated; \(casesLost) case(s) crashed or were killed", to: 1)
        exit(casesLost == 0 ? 0 : 3)
    }

    /// Runs case `number` in this process and prints how it ended.
    ///
    /// - Returns: the exit status: 0 once the connection has ended, 1 if it never opened.
    private static func runCase(_ number: Int, testee: Testee) async -> Int32 {
        let start = ContinuousClock.now
        do {
            let outcome = try await testee.runCase(number)
            let elapsed = start.duration(to: .now)
            let timedOut = elapsed >= testee.options.caseTimeout ? " (ended by the client's case timeout)" : ""
            writeLine("case \(number): \(outcome) in \(Int(elapsed / .milliseconds(1))) ms\(timedOut)", to: 1)
            return 0
        } catch {
            writeLine("case \(number): no connection: \(error)", to: 1)
            return 1
        }
    }

    /// Writes `line` and a newline to a file descriptor, unbuffered.
    static func writeLine(_ line: String, to descriptor: Int32) {
        var text = line + "\n"
        text.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}
