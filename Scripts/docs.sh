#!/usr/bin/env bash
# Generates the DocC documentation of every module of WebSockets for Swift, with warnings as
# errors: a broken ``symbol`` link, an undocumented parameter or a bad article fails the run.
#
#   Scripts/docs.sh              # every module
#   Scripts/docs.sh WSFraming    # only the modules named
#
# Each module's catalog is in its source folder (Packages/WSFraming/Sources/WSFraming/WSFraming.docc,
# …, Sources/WebSockets/WebSockets.docc). The archives go to .build/docs/<Module>.doccarchive
# (git-ignored, like all of .build); view one with
# `swift package --disable-sandbox preview-documentation --target WSFraming`.
# It uses the root package's swift-docc-plugin and the docc of the Swift toolchain. Each module
# is bounded in time; the run stops at the first module that fails.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
    modules=(WSFraming WSDeflate WSLogging WSHandshake WSHTTP WSTLS WSServer WSConnect WSTopics WSRedis WebSockets)
fi
out=.build/docs
mkdir -p "$out"

for module in "${modules[@]}"; do
    printf '==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$module"
    log="$out/$module.log"
    # The first module builds the package (minutes on a fresh clone); the rest take seconds.
    status=0
    timeout --kill-after=30 1200 swift package --disable-sandbox \
        --allow-writing-to-directory "$out" \
        generate-documentation --target "$module" --warnings-as-errors \
        --output-path "$out/$module.doccarchive" >"$log" 2>&1 || status=$?
    # docc's own diagnostics, and a plugin or build that failed without saying "error:".
    # SwiftPM's notes on a dependency's own manifest (swift-distributed-tracing's "found 1
    # file(s) which are unhandled") are that package's, not this documentation's.
    if [ "$status" -ne 0 ] || grep 'warning:' "$log" | grep -qvE "^warning: '[^']+': found [0-9]+ file\(s\) which are unhandled"; then
        grep -A8 -E 'warning:|error:' "$log" || tail -40 "$log"
        echo "docs: $module failed (exit $status); the whole log is $log" >&2
        exit 1
    fi
done
printf '==> [%dm%02ds] documentation of %d modules in %s, no warnings\n' \
    $((SECONDS / 60)) $((SECONDS % 60)) ${#modules[@]} "$out"
