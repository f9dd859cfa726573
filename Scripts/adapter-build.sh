#!/usr/bin/env bash
# `swift build` in .build-adapters, the build folder that every package under Packages/ built
# alone (the layers, the framework adapters) and the frameworks' own echoes
# (Benchmarks/FrameworkEcho) share, so that SwiftNIO, Hummingbird and Vapor compile once for all.
#
#   Scripts/adapter-build.sh --package-path Packages/WSVapor [-c release] [--product vapor-echo] [--build-tests]
#
# SwiftPM keeps one build plan per folder and may reuse the last root package's plan for
# another ("No target named … in build description"): the plan is dropped first, and rebuilt
# in seconds from the modules that stay compiled.
set -euo pipefail
scratch="$(cd "$(dirname "$0")/.." && pwd)/.build-adapters"
rm -f "$scratch/debug.yaml" "$scratch/release.yaml" "$scratch/debug/description.json" "$scratch/release/description.json"
exec swift build --scratch-path "$scratch" "$@"
