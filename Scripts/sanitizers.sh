#!/usr/bin/env bash
# The root package's whole test suite (every layer's tests in one build, as Scripts/test.sh
# runs it) under AddressSanitizer and under ThreadSanitizer: `swift test --sanitize=address`
# and `--sanitize=thread`, each in a build folder of its own (.build-asan, .build-tsan), so that
# neither disturbs the plain build.
#
#   Scripts/sanitizers.sh                 # both, one after the other
#   Scripts/sanitizers.sh address         # one: address or thread
#   Scripts/sanitizers.sh thread --filter WSFramingTests   # what follows is for swift test
#
# Any report (a memory error, a leak, a data race) fails the run: the sanitizers stop at the
# first one (halt_on_error), and the script exits 1 with the report from .build-SAN/test.log.
# LeakSanitizer's suppressions (leaks of Foundation's Process, which the tests' peers run, not
# of this project's code) are in Tests/Sanitizers/lsan.supp, each with its reason. A sanitized
# build takes a few minutes on 2 cores; the results are in Docs/Reliability.md. Installs
# nothing: run Scripts/test.sh (or Scripts/deps.sh) once first, for what the tests need.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
sanitizers=()
while [ $# -gt 0 ]; do
    case "$1" in
        address|thread) sanitizers+=("$1"); shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)

root=$(pwd)
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
# Leaks of swift-corelibs-foundation's Process, which the tests' peers run: see the file.
export LSAN_OPTIONS="suppressions=$root/Tests/Sanitizers/lsan.supp:print_suppressions=0"
# ThreadSanitizer does not see the standard library's Mutex on Linux: see the file.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/Tests/Sanitizers/tsan.supp"
for sanitizer in "${sanitizers[@]}"; do
    folder=.build-${sanitizer:0:1}san
    mkdir -p "$folder"
    log="$folder/test.log"
    started=$SECONDS
    echo "sanitizers: building the tests with --sanitize=$sanitizer in $folder"
    timeout 3600 swift build --build-tests --sanitize="$sanitizer" --scratch-path "$folder" >"$folder/build.log" 2>&1 \
        || { tail -40 "$folder/build.log" >&2; echo "sanitizers: the $sanitizer build failed ($folder/build.log)" >&2; exit 2; }
    built=$SECONDS
    # A sanitizer makes the code 2 to 15 times slower: the tests' bounded waits (which check
    # this library's own time bounds) hold when the tests run one at a time (in parallel under
    # AddressSanitizer, a Close bounded at 5 s took 5.5 s on a CI run).
    parallel=(--no-parallel)
    if [ "$sanitizer" = thread ]; then
        # The false reports that tsan.supp hides: still there with this toolchain?
        timeout 300 swiftc -sanitize=thread Tests/Sanitizers/MutexRace.swift -o "$folder/mutex-race" 2>>"$folder/build.log"
        TSAN_OPTIONS=halt_on_error=0 timeout 60 "$folder/mutex-race" >"$folder/mutex-race.log" 2>&1 || true
        if ! grep -q "WARNING: ThreadSanitizer" "$folder/mutex-race.log"; then
            echo "sanitizers: ThreadSanitizer now sees the standard library's Mutex: Tests/Sanitizers/tsan.supp can go"
        fi
    fi
    status=0
    timeout --kill-after=30 3600 swift test --skip-build --sanitize="$sanitizer" --scratch-path "$folder" "${parallel[@]}" "$@" >"$log" 2>&1 || status=$?
    summary=$(grep -E "^(✔|✘|􁁛|􀢄).*(Test run|tests? in)|Executed [0-9]+ tests" "$log" | tail -2 | tr '\n' ' ')
    reports=$(grep -c -E "^(==[0-9]+==ERROR|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread|Leak)Sanitizer)" "$log" || true)
    printf 'sanitizers: %-7s build %ds, tests %ds, %s reports; %s\n' "$sanitizer" $((built - started)) $((SECONDS - built)) "$reports" "$summary"
    if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
        grep -E -B2 -A30 "==ERROR|WARNING: ThreadSanitizer|SUMMARY: |✘ Test .* failed|recorded an issue" "$log" >"$folder/reports.txt" || true
        head -80 "$folder/reports.txt" >&2
        echo "sanitizers: $sanitizer failed (exit $status); the log is $log" >&2
        exit 1
    fi
done
