#!/bin/sh
# meson test --suite windows: cross-build the Windows tools (cached, see
# setup.sh), make a wine prefix (cached), then run test_windows.py under
# pytest: the .exe tools under wine with COM2 linked to mdata-emu's pty,
# the PowerShell grammar check of every .ps1/.psm1 file, and the checks of
# the module's first boot (test_boot.py: the keys it reads fetched under
# wine, its structure on the syntax tree, its rule cases under pwsh when
# there is one).
#
#   run.sh SRCDIR OUTDIR MDATA_EMU
#
# Exits 77 (skipped) when wine, mingw-w64 or pytest is not installed.
set -u
src=$1
out=$2
emu=$3

need() { # program package
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "windows: $1 not installed (Debian package $2): skipped"
        exit 77
    fi
}
need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
need wine wine
need wineserver wine
need wineboot wine
need cmake cmake
need timeout coreutils
if ! /usr/bin/python3 -c 'import pytest' 2>/dev/null; then
    echo "windows: /usr/bin/python3 with pytest not installed: skipped"
    exit 77
fi

mkdir -p "$out"
began=$(date +%s)
timeout 1500 "$src/tests/windows/setup.sh" "$src" "$out"
rc=$?
[ $rc -eq 0 ] || { echo "windows: setup.sh failed (rc $rc)"; exit $rc; }
echo "windows: setup done in $(($(date +%s) - began)) s"

export WINEPREFIX="$out/prefix"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
# Never leave a wineserver behind, whatever happens below.
trap 'timeout 30 wineserver -k >/dev/null 2>&1' EXIT
if [ ! -f "$WINEPREFIX/.mdata-ready" ]; then
    echo "windows: creating the wine prefix $WINEPREFIX"
    rm -rf "$WINEPREFIX"
    timeout 300 wineboot -i >"$out/wineboot.log" 2>&1 ||
        { echo "windows: wineboot failed"; tail -n 20 "$out/wineboot.log"; exit 1; }
    timeout 60 wineserver -w
    touch "$WINEPREFIX/.mdata-ready"
fi

export MDATA_WIN_CROSS="$out/cross"
export MDATA_EMU="$emu"
export MDATA_PSCHECK_NODE_PATH="$out/pscheck/node_modules"
export PYTHONDONTWRITEBYTECODE=1
cd "$out" && timeout 1200 /usr/bin/python3 -m pytest -q -rs \
    -p no:cacheprovider "$src/tests/windows"
rc=$?
echo "windows: done in $(($(date +%s) - began)) s"
exit $rc
