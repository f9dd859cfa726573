#!/usr/bin/env bash
# Installs the Debian packages given that are missing; does nothing when all are present.
# Needs root or sudo for apt-get; reads nothing from standard input (CI has none).
#
#   Scripts/ensure-apt.sh PACKAGE...
set -euo pipefail
missing=()
for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "ensure-apt: installing ${missing[*]}" >&2
$sudo apt-get update -qq </dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
