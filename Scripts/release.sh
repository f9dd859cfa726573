#!/usr/bin/env bash
# Releases one layer as a package repository of its own: Packages/LAYER's history, split out of
# this repository (git subtree split), with one release commit on top that rewrites its
# sibling-layer dependencies from paths (`.package(path: "../WSFraming")`) to URL + version and
# adds the LICENSE and NOTICE, tagged VERSION. SwiftPM versions a package by its repository's
# tags, so a layer is versioned on its own only as a repository of its own.
#
#   Scripts/release.sh LAYER VERSION --into DIR [--url-base URL] [--rev REV] [--candidate]
#
#   LAYER          a folder under Packages/ (WSFraming, WSLogging, WSHTTP, WSServer, WSClient, WSTopics, WSRedis, …)
#   VERSION        the layer's version, which its CHANGELOG.md must have as a released heading
#                  ("## 0.2.0 (2026-12-03)", not "(unreleased)")
#   --into DIR     the layer's repository is DIR/LAYER (created, or updated with the new release)
#   --url-base URL where the siblings' repositories are: URL/WSFraming, … (default file://DIR,
#                  for a local trial; a real release passes the organisation's URL)
#   --rev REV      release the layer as it was at REV (default HEAD): a past release again, for
#                  a trial repository with its history of releases (Tests/Release)
#   --candidate    make the release commit on a branch `candidate` and leave it checked out,
#                  untagged: what the next release would be, to compare with the last one
#
# A layer's version at REV is that of a tag LAYER/VERSION on REV, else its CHANGELOG's newest
# released heading there; each sibling dependency gets the sibling's version at REV,
# as `.upToNextMinor(from:)` below 1.0.0 (a 0.x minor may break) and `from:` from 1.0.0.
# Release the siblings first when the URL base is a local folder. The working tree is not
# touched: the split is made in a temporary clone, the release commit in DIR/LAYER.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
layer="" version="" into="" url_base="" rev="HEAD" candidate=no
while [ $# -gt 0 ]; do
    case $1 in
        --into) into=${2:?--into needs a folder}; shift 2 ;;
        --url-base) url_base=${2:?--url-base needs a URL}; shift 2 ;;
        --rev) rev=${2:?--rev needs a revision}; shift 2 ;;
        --candidate) candidate=yes; shift ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "release: unknown option '$1' (see --help)" >&2; exit 2 ;;
        *) if [ -z "$layer" ]; then layer=$1; elif [ -z "$version" ]; then version=$1; else
               echo "release: one layer and one version (see --help)" >&2; exit 2; fi; shift ;;
    esac
done
[ -n "$layer" ] && [ -n "$version" ] && [ -n "$into" ] || { usage >&2; exit 2; }
[ -f "$root/Packages/$layer/Package.swift" ] || { echo "release: no layer Packages/$layer" >&2; exit 2; }
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "release: '$version' is not a version like 0.2.0" >&2; exit 2; }

commit=$(git -C "$root" rev-parse --verify -q "$rev^{commit}") || { echo "release: no revision '$rev'" >&2; exit 2; }
released_version() { "$root/Scripts/layer-version.sh" "$1" "$commit"; }
[ "$(released_version "$layer")" = "$version" ] || {
    echo "release: at $rev, $layer's version is '$(released_version "$layer")', not $version (a tag $layer/$version" \
         "or a '## $version (DATE)' heading in its CHANGELOG): write the release's entry first" >&2
    exit 1
}
mkdir -p "$into"
into=$(cd "$into" && pwd)
[ -n "$url_base" ] || url_base="file://$into"
[ "$rev" != HEAD ] || git -C "$root" diff --quiet HEAD -- "Packages/$layer" \
    || echo "release: note: Packages/$layer has uncommitted changes; the release is of HEAD" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The layer's history alone, in a clone, so that the checkout's branches stay as they are.
git clone -q --no-local "$root" "$work/monorepo"
split=$(git -C "$work/monorepo" subtree split -q --prefix="Packages/$layer" "$commit")

repo="$into/$layer"
if [ ! -d "$repo/.git" ]; then
    git init -q "$repo"
fi
if [ $candidate = no ] && git -C "$repo" rev-parse -q --verify "refs/tags/$version" >/dev/null; then
    echo "release: $repo already has the tag $version" >&2
    exit 1
fi
git -C "$repo" fetch -q "$work/monorepo" "$split"
git -C "$repo" checkout -q --detach FETCH_HEAD
# A later release's split contains the earlier one's history; the earlier release commit stays
# reachable from its tag.

# Siblings: paths become URL + version.
manifest="$repo/Package.swift"
for sibling in $(grep -oE '\.package\(path: "\.\./[A-Za-z]+"\)' "$manifest" | sed -E 's/.*"\.\.\/([A-Za-z]+)".*/\1/'); do
    sibling_version=$(released_version "$sibling")
    [ -n "$sibling_version" ] || { echo "release: $sibling has no released version in its CHANGELOG" >&2; exit 1; }
    if [[ $sibling_version == 0.* ]]; then
        requirement=".upToNextMinor(from: \"$sibling_version\")"
    else
        requirement="from: \"$sibling_version\""
    fi
    sed -i -E "s#\.package\(path: \"\.\./$sibling\"\)#.package(url: \"$url_base/$sibling\", $requirement)#" "$manifest"
    echo "release: $layer depends on $sibling $sibling_version at $url_base/$sibling" >&2
done
if grep -q '\.package(path:' "$manifest"; then
    echo "release: $manifest still has a path dependency:" >&2
    grep -n '\.package(path:' "$manifest" >&2
    exit 1
fi
cp "$root/LICENSE" "$root/NOTICE" "$repo/"

git -C "$repo" add -A
git -C "$repo" -c user.name="${GIT_AUTHOR_NAME:-WebSockets release}" -c user.email="${GIT_AUTHOR_EMAIL:-release@localhost}" \
    commit -q -m "$layer $version: sibling layers by URL and version; LICENSE and NOTICE"
if [ $candidate = yes ]; then
    git -C "$repo" checkout -q -B candidate
    echo "release: $repo: candidate for $version on branch candidate ($(git -C "$repo" rev-parse --short HEAD))"
    exit 0
fi
git -C "$repo" tag "$version"
git -C "$repo" branch -q -f main HEAD
git -C "$repo" checkout -q main
echo "release: $repo at $version ($(git -C "$repo" rev-parse --short HEAD), $(git -C "$repo" rev-list --count HEAD) commits of the layer's history)"
