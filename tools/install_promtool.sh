#!/bin/sh
# promtool for the alert tests (tests/test_alerts.py): Debian's prometheus package, downloaded
# from the distribution's registry and unpacked into DEST; nothing is installed system-wide and
# no service starts. Exits non-zero when the package cannot be fetched.
set -eu
dest=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download prometheus >/dev/null 2>&1
dpkg-deb -x prometheus_*.deb unpacked
mkdir -p "$dest/usr/bin"
cp unpacked/usr/bin/promtool "$dest/usr/bin/promtool"
"$dest/usr/bin/promtool" --version | head -1
