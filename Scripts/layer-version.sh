#!/usr/bin/env bash
# Prints a layer's version at a revision: a tag LAYER/VERSION on that commit, else the newest
# released heading of its CHANGELOG there ("## 0.2.0 (2026-12-03)"); nothing when it has none.
# Scripts/release.sh and Tests/Release/release-check.sh both ask it.
#
#   Scripts/layer-version.sh LAYER [REV]        (REV: default HEAD)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
layer=${1:?usage: layer-version.sh LAYER [REV]}
commit=$(git -C "$root" rev-parse --verify -q "${2:-HEAD}^{commit}") || { echo "layer-version: no revision '${2:-HEAD}'" >&2; exit 2; }
tagged=$(git -C "$root" tag --points-at "$commit" -l "$layer/*" | sed "s|^$layer/||" | sort -V | tail -1)
if [ -n "$tagged" ]; then echo "$tagged"; exit 0; fi
git -C "$root" show "$commit:Packages/$layer/CHANGELOG.md" 2>/dev/null \
    | grep -m1 -oE '^## [0-9]+\.[0-9]+\.[0-9]+ \([0-9]{4}-[0-9]{2}-[0-9]{2}\)' | cut -d' ' -f2 || true
