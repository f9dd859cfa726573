#!/usr/bin/env bash
# Installs the Autobahn|Testsuite, the standard WebSocket conformance suite, so that it runs on
# Python 3: PyPI's autobahntestsuite is Python 2 only, and Debian has no Python 2 any more.
#
#   Tests/Conformance/Autobahn/setup.sh        # idempotent: ~1 minute the first time, then a check
#
# Into .build-wstest/ (ignored by git):
#   venv/    Debian's python3 with the suite's dependencies, pinned: autobahn 0.10.9 (the
#            version the suite's last release was built on), Twisted, txaio, zope.interface,
#            pyOpenSSL, service_identity, jinja2, setuptools<81 (the suite uses pkg_resources)
#            and wsaccel (autobahn's C masking and UTF-8 validation, as the suite's own
#            "accelerate" extra installs)
#   suite/   the suite's source from PyPI (autobahntestsuite 25.10.1), ported to Python 3 by
#            port.py; wstest3.py runs it (through ./wstest).
# Redone when port.py or a pin changes (a stamp holds their hash). Installs Debian's python3,
# python3-venv and python3-lib2to3 if they are missing (root or sudo for apt-get). Every
# download is bounded in time.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
dir="$root/.build-wstest"
venv="$dir/venv"
suite="$dir/suite"

suite_version=25.10.1
pins=(autobahn==0.10.9 Twisted==26.10.0 txaio==26.6.1 zope.interface==8.7 pyOpenSSL==26.4.0
      service-identity==26.1.0 cryptography==50.0.2 six==1.17.0 Jinja2==3.1.6 "setuptools<81" wsaccel==0.6.7)
stamp=$( (cat "$here/port.py"; echo "$suite_version ${pins[*]}") | sha256sum | cut -c1-16)

if [ "$(cat "$suite/.ported" 2>/dev/null)" = "$stamp" ] && [ -x "$venv/bin/python" ] \
    && "$venv/bin/python" -c 'import autobahn, twisted, wsaccel' 2>/dev/null </dev/null; then
    echo "autobahn setup: up to date ($dir)"
    exit 0
fi

ensure_apt() { "$root/Scripts/ensure-apt.sh" "$@"; }
ensure_apt python3 python3-venv python3-lib2to3

mkdir -p "$dir"
# Debian's python, which python3-venv and python3-lib2to3 go with, rather than the first on PATH.
python=/usr/bin/python3
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null </dev/null; then
    rm -rf "$venv"
    timeout 120 "$python" -m venv "$venv"
fi
echo "autobahn setup: installing ${pins[*]}" >&2
timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" </dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "autobahn setup: downloading autobahntestsuite $suite_version and porting it (port.py)" >&2
timeout 300 "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    "autobahntestsuite==$suite_version" -d "$work" </dev/null
tar -xzf "$work/autobahntestsuite-$suite_version.tar.gz" -C "$work"
mkdir -p "$work/suite"
mv "$work/autobahntestsuite-$suite_version/autobahntestsuite" "$work/suite/"
timeout 300 "$venv/bin/python" "$here/port.py" "$work/suite/autobahntestsuite" 2>"$work/port.log" \
    || { grep -v '^RefactoringTool' "$work/port.log" >&2; exit 1; }

# The smoke test: the ported suite imports, and all of its 517 cases load.
cases=$(WSTEST_SUITE="$work/suite" timeout 120 "$venv/bin/python" "$here/wstest3.py" count </dev/null)
[ "$cases" = 517 ] || { echo "autobahn setup: the ported suite loads $cases cases, not 517" >&2; exit 1; }
rm -rf "$suite"
mv "$work/suite" "$suite"
echo "$stamp" >"$suite/.ported"
echo "autobahn setup: ready, 517 cases ($dir)"
