#!/bin/sh
# Install the named Debian packages that are not installed yet, with
# apt-get (needs root). Used by tests/run-all.sh and examples/demo.sh.
#   tests/install-missing.sh WHO PACKAGE...
# WHO prefixes the messages. Exits 2 when packages are missing and this is
# not root.
set -eu
who=$1
shift
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "$who: missing packages:$missing (run as root to install them)" >&2
    exit 2
fi
echo "$who: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
