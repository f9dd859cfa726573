#!/usr/bin/env bash
# Coverage-guided fuzzing of the code that reads what the network sends (libFuzzer, with
# AddressSanitizer): every target of Tests/Fuzz/Targets, built with swiftc's
# -sanitize=fuzzer,address against the layers' own sources, started from the seeds that
# Tests/Fuzz/seeds.py writes (the tests' frames, compressed payloads, UTF-8 edge cases) and
# the corpus of earlier runs (.build-fuzz/corpus, kept between runs).
#
#   Scripts/fuzz.sh                    # every target for 30 s each (CI runs this)
#   Scripts/fuzz.sh TARGET SECONDS     # one target for longer: connection, utf8, inflate,
#                                      # handshake, url, proxy, gate
#
# Prints one line per target: executions, their rate, coverage (edges) and features. A crash,
# a broken invariant (a target's precondition), a leak or a timeout stops the run with the
# input that caused it in .build-fuzz/crashes/TARGET/ and exits 1: turn it into a regression
# test, then fix it. Results of long runs are in Docs/Reliability.md.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
out=.build-fuzz
all=(connection utf8 inflate handshake url proxy gate)

if [ $# -eq 0 ]; then
    targets=("${all[@]}")
    seconds=30
elif [ $# -eq 2 ] && [[ " ${all[*]} " == *" $1 "* ]] && [[ "$2" =~ ^[0-9]+$ ]]; then
    targets=("$1")
    seconds=$2
else
    echo "usage: Scripts/fuzz.sh [TARGET SECONDS]   (TARGET: ${all[*]})" >&2
    exit 2
fi

command -v python3 >/dev/null || { echo "fuzz: needs python3 (for the seeds)" >&2; exit 2; }
mkdir -p "$out/modules" "$out/bin"
base=(-O -g -sanitize=fuzzer,address -parse-as-library)
flags=("${base[@]}" -swift-version 6)
# The layers as libraries, instrumented for coverage: WSFraming (no dependencies) and
# WSDeflate (the system's zlib, through CZlib's module map).
timeout 600 swiftc "${flags[@]}" -emit-library -static -emit-module -module-name WSFraming \
    -emit-module-path "$out/modules/WSFraming.swiftmodule" \
    $(find Packages/WSFraming/Sources/WSFraming -name '*.swift' | sort) -o "$out/libWSFraming.a" 2>"$out/build.log" \
    || { cat "$out/build.log" >&2; exit 2; }
timeout 600 swiftc "${flags[@]}" -emit-library -static -emit-module -module-name WSDeflate \
    -I "$out/modules" -I Packages/WSFraming/Sources/CZlib -emit-module-path "$out/modules/WSDeflate.swiftmodule" \
    Packages/WSFraming/Sources/WSDeflate/*.swift -o "$out/libWSDeflate.a" 2>>"$out/build.log" \
    || { cat "$out/build.log" >&2; exit 2; }
# WSHandshake and the swift-http-types it is written against (the root package's checkout).
[ -d .build/checkouts/swift-http-types/Sources/HTTPTypes ] || timeout 600 swift package resolve >>"$out/build.log" 2>&1
timeout 600 swiftc "${base[@]}" -swift-version 5 -emit-library -static -emit-module -module-name HTTPTypes \
    -emit-module-path "$out/modules/HTTPTypes.swiftmodule" \
    $(find .build/checkouts/swift-http-types/Sources/HTTPTypes -name '*.swift' | sort) -o "$out/libHTTPTypes.a" 2>>"$out/build.log" \
    || { cat "$out/build.log" >&2; exit 2; }
timeout 600 swiftc "${flags[@]}" -emit-library -static -emit-module -module-name WSHandshake -I "$out/modules" \
    -emit-module-path "$out/modules/WSHandshake.swiftmodule" \
    $(find Packages/WSHTTP/Sources/WSHandshake -name '*.swift' | sort) -o "$out/libWSHandshake.a" 2>>"$out/build.log" \
    || { cat "$out/build.log" >&2; exit 2; }
# HMAC-SHA256 on the system's OpenSSL, the one part of WSTLS that GateToken uses, as a module
# of that name.
timeout 600 swiftc "${flags[@]}" -emit-library -static -emit-module -module-name WSTLS -I Packages/WSHTTP/Sources/COpenSSL \
    -emit-module-path "$out/modules/WSTLS.swiftmodule" Packages/WSHTTP/Sources/WSTLS/HMAC.swift -o "$out/libWSTLS.a" 2>>"$out/build.log" \
    || { cat "$out/build.log" >&2; exit 2; }
python3 Tests/Fuzz/seeds.py "$out/seeds"

# The client's URL and proxy code uses nothing but the standard library: those files are
# compiled into the target itself, as is WSServer's GateToken.
client=(WebSocketURL WebSocketClientError HTTPProxy ProxyConnectResponse Printable)
client=("${client[@]/#/Packages/WSClient/Sources/WSClient/}")
client=("${client[@]/%/.swift}")

for target in "${targets[@]}"; do
    case $target in
        connection) sources=(Tests/Fuzz/Targets/Connection.swift) ;;
        utf8) sources=(Tests/Fuzz/Targets/UTF8.swift) ;;
        inflate) sources=(Tests/Fuzz/Targets/Inflate.swift) ;;
        handshake) sources=(Tests/Fuzz/Targets/Handshake.swift) ;;
        url) sources=(Tests/Fuzz/Targets/URL.swift "${client[@]}") ;;
        proxy) sources=(Tests/Fuzz/Targets/Proxy.swift "${client[@]}") ;;
        gate) sources=(Tests/Fuzz/Targets/Gate.swift Packages/WSServer/Sources/WSServer/GateToken.swift) ;;
    esac
    binary="$out/bin/fuzz-$target"
    timeout 600 swiftc "${flags[@]}" -module-name "Fuzz_$target" -I "$out/modules" -I Packages/WSFraming/Sources/CZlib \
        -I Packages/WSHTTP/Sources/COpenSSL "${sources[@]}" -L "$out" -lWSTLS -lWSHandshake -lHTTPTypes -lWSDeflate -lWSFraming \
        -lssl -lcrypto -lz -o "$binary" 2>>"$out/build.log" || { cat "$out/build.log" >&2; exit 2; }
    mkdir -p "$out/corpus/$target" "$out/crashes/$target"
    options=()
    [ -f "Tests/Fuzz/$target.dict" ] && options=(-dict="Tests/Fuzz/$target.dict")
    # The longest input: past the proxy's 16 KiB head limit, so that the fuzzer can reach it;
    # 512 bytes of a token's subject say all a longer one would; libFuzzer's guess otherwise.
    case $target in
        proxy) options+=(-max_len=17000) ;;
        gate) options+=(-max_len=512) ;;
    esac
    log="$out/$target.log"
    status=0
    # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: memory past 2 GiB is a bug.
    timeout --kill-after=30 $((seconds + 120)) "$binary" "${options[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/$target/" \
        "$out/corpus/$target" "$out/seeds/$target" >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
    features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
    printf 'fuzz: %-10s %12s executions in %ss (%s/s), coverage %s edges, %s features\n' \
        "$target" "$runs" "$seconds" "$rate" "$coverage" "$features"
    if [ "$status" -ne 0 ]; then
        grep -E -A12 'ERROR: |==ERROR|Fatal error|precondition|deadly signal|SUMMARY' "$log" | head -40 >&2
        echo "fuzz: $target failed (exit $status); the input is in $out/crashes/$target/, the log in $log" >&2
        exit 1
    fi
done
