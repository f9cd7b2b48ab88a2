#!/bin/sh
# Build libmdata and run the whole test suite: a normal build with warnings
# fatal, then the same suite under ASan + UBSan. On a fresh Debian 12
# machine, run as root, it first installs what is missing with apt-get.
#
#   tests/run-all.sh            everything
#   SKIP_SANITIZE=1 tests/run-all.sh   the plain build only
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Debian packages the build and the tests use.
packages="meson ninja-build pkg-config gcc python3 libuv1-dev libjansson-dev
libcunit1-dev python3-pytest valgrind clang systemd netplan.io ifupdown
gir1.2-nm-1.0 python3-gi python3-pip python3-setuptools python3-wheel
qemu-system-x86 busybox-static openssh-client e2fsprogs
wine wine64 gcc-mingw-w64-x86-64 cmake dpkg-dev time
debhelper dh-python pybuild-plugin-pyproject python3-all lintian mmdebstrap git
qemu-utils ovmf grub-common grub-pc-bin grub-efi-amd64-bin mtools dosfstools fdisk"

# shellcheck disable=SC2086
sh tests/install-missing.sh run-all $packages

jobs=$(nproc 2>/dev/null || echo 2)

status=0
logs=""

run_suite() {
    dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" -Dwerror=true "$@"
    else
        meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
    fi
    ninja -C "$dir" -j "$jobs" || return 1
    logs="$logs $dir/meson-logs/testlog.json"
    meson test -C "$dir" --print-errorlogs --num-processes "$jobs"
}

echo "== plain build and tests"
run_suite build || status=1

if [ "${SKIP_SANITIZE:-0}" != 1 ]; then
    echo "== ASan + UBSan build and tests"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_suite build-sanitize -Db_sanitize=address,undefined \
        -Db_lundef=false || status=1
fi

# One closing line over every build: "N passed, N failed, N skipped".
# shellcheck disable=SC2086
python3 - $logs <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        key = "OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"
        counts[key] += 1
print("%d passed, %d failed, %d skipped" % (counts["OK"], counts["FAIL"], counts["SKIP"]))
PY
exit $status
