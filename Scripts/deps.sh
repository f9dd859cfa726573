#!/usr/bin/env bash
# Installs the Debian packages that building WebSockets for Swift needs beyond the Swift
# toolchain: the system's OpenSSL headers and library that WSTLS links (libssl-dev) and zlib's
# that WSDeflate links (zlib1g-dev), both found through pkg-config, and hiredis, Redis's own C
# client library, whose RESP reader WSRedis uses (libhiredis-dev). Idempotent: nothing is
# installed when all are present. Needs root or sudo for apt-get; never reads standard input.
#
#   Scripts/deps.sh && swift run websockets serve
set -euo pipefail

packages=(libssl-dev zlib1g-dev libhiredis-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null || {
    echo "deps: install ${missing[*]} (OpenSSL 3 and zlib headers, hiredis, pkg-config) with your system's package manager" >&2
    exit 1
}
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq </dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
