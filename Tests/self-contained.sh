#!/usr/bin/env bash
# Fails when a file of the repository that runs (scripts, manifests, sources, CI) refers to
# something outside the repository: the team's workshop folder beside the checkout, the tool
# library of the machine it was written on, an absolute path of one machine, or a package path that climbs out of the repository. A user's
# clone has nothing beside it.
#
#   Tests/self-contained.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
failed=0
# Files that run: everything tracked but prose (*.md), the licence and test data. The patterns
# are spelled in pieces (a bracket around each slash) so that this file does not match itself.
files=$(git ls-files | grep -vE '\.md$|^LICENSE$|^NOTICE$')
if hits=$(grep -nE '\.\.[/]shared|shared[/]tools|[/]work[/]|\.library[/]' $files); then
    echo "self-contained: these lines refer outside the repository:" >&2
    echo "$hits" >&2
    failed=1
fi
# Every package path stays inside the repository.
for manifest in $(git ls-files '*Package.swift'); do
    dir=$(dirname "$manifest")
    for path in $(grep -oE '\.package\((name: "[^"]*", )?path: "[^"]*"' "$manifest" | sed -E 's/.*path: "([^"]*)"/\1/'); do
        target=$(cd "$dir" && realpath -m "$path")
        case $target/ in
            "$root"/*) ;;
            *) echo "self-contained: $manifest depends on $path, outside the repository" >&2; failed=1 ;;
        esac
    done
done
[ $failed = 0 ] && echo "self-contained: no file that runs refers outside the repository"
exit $failed
