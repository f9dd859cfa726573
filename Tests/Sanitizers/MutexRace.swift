// ThreadSanitizer on Linux does not see the standard library's `Mutex` lock and unlock: this
// program, where every access to `value` holds the lock, gets "Swift access race" reports.
//
//   swiftc -sanitize=thread Tests/Sanitizers/MutexRace.swift -o /tmp/mutex-race && /tmp/mutex-race
//
// Why Tests/Sanitizers/tsan.supp exists (Scripts/sanitizers.sh runs this first, to show the
// reports are still there with the toolchain in use; when they are gone, so can the file be).
import Dispatch
import Synchronization

final class Counter: Sendable {
    let value = Mutex<[Int]>([])
    func add(_ number: Int) { value.withLock { $0.append(number) } }
}

let counter = Counter()
DispatchQueue.concurrentPerform(iterations: 8) { index in
    for step in 0..<1_000 { counter.add(index * step) }
}
print(counter.value.withLock { $0.count })
