#!/usr/bin/env bash
# Makes the Python environment of the interop tests: a venv at .build-interop/venv (ignored by
# git) with Python's `websockets` pinned, which WSHTTP's PythonInteropTests run as a peer.
#
#   Scripts/interop-env.sh      # prints the venv's python at the end
#
# Idempotent, and a fast no-op when the pinned version is already there. Installs Debian's
# python3 and python3-venv first if they are missing (needs root or sudo for apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

websockets_version=17.4
venv="$root/.build-interop/venv"
python="$venv/bin/python3"

ensure_apt() { "$root/Scripts/ensure-apt.sh" "$@"; }

# The installed websockets version, or nothing when the venv or the package is missing.
installed_version() {
    [ -x "$python" ] || return 0
    "$python" -c 'import importlib.metadata as m; print(m.version("websockets"))' 2>/dev/null </dev/null || true
}

if [ "$(installed_version)" != "$websockets_version" ]; then
    ensure_apt python3 python3-venv
    # Debian's python, which python3-venv goes with, rather than whichever python3 is first on PATH.
    # A venv whose python no longer runs (Debian's python upgraded under it) is made anew.
    "$python" -c '' 2>/dev/null </dev/null || /usr/bin/python3 -m venv --clear "$venv" </dev/null
    "$python" -m pip install --quiet --disable-pip-version-check "websockets==$websockets_version" </dev/null
    installed=$(installed_version)
    if [ "$installed" != "$websockets_version" ]; then
        echo "interop-env: websockets ${installed:-is not} installed in $venv, expected $websockets_version" >&2
        exit 1
    fi
fi

echo "$python"
