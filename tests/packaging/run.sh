#!/bin/sh
# meson test --suite packaging: build the Debian packages from a copy of
# the source tree (dpkg-buildpackage -us -uc -b, nocheck), lint them, then
# install them with apt into a minimal Debian root made by mmdebstrap and
# use them there: mdata-get --version, python3 -c "import mdata", a GET
# against the packaged mdata-emu over a unix socket inside the root, the
# pkg-config file, and systemctl --root checks that the units are enabled
# (and that purging removes them).
#
#   run.sh SRCDIR OUTDIR
#
# OUTDIR keeps the logs (build.log, lintian.txt, install.log) and the
# .debs of the last run. The root's tarball is cached outside the source
# tree, keyed by what makes it (release, apt sources, package list,
# mmdebstrap version): $MDATA_TEST_CACHE/packaging (default
# /var/cache/libmdata-tests/packaging), so a fresh clone on the same
# machine reuses it.
#
# Needs root (apt-get, mmdebstrap, chroot). Installs the missing tools
# with tests/install-missing.sh; exits 77 (skipped) only when they cannot
# be installed (not root, or apt fails).
set -u
src=$(cd "$1" && pwd)
out=$2

# Debian's own tools: not a user's pyenv, cargo or /usr/local.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
unset MAKEFLAGS MFLAGS DESTDIR PYTHONPATH PYTHONHOME MALLOC_PERTURB_

say() { echo "packaging: $*"; }
fail() { say "FAIL: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
    say "needs root (apt-get, mmdebstrap, chroot): skipped"
    exit 77
fi
# The build's tools and Build-Depends, lintian, mmdebstrap, systemctl.
tools="dpkg-dev debhelper dh-python pybuild-plugin-pyproject python3-all
python3-setuptools meson ninja-build pkg-config libuv1-dev libjansson-dev
lintian mmdebstrap systemd git"
# shellcheck disable=SC2086
if ! sh "$src/tests/install-missing.sh" packaging $tools; then
    say "the packaging tools cannot be installed: skipped"
    exit 77
fi

began=$(date +%s)
step() { say "$* ($(($(date +%s) - began)) s)"; }

mkdir -p "$out"
work=$(mktemp -d /var/tmp/libmdata-packaging.XXXXXX) || fail "mktemp"
emu_pid="" root_pid="" lintian_pid=""
cleanup() {
    [ -z "$emu_pid" ] || kill "$emu_pid" 2>/dev/null
    # The root's maker fills the cache for the next run: let it finish.
    [ -z "$root_pid" ] || wait "$root_pid"
    [ -z "$lintian_pid" ] || wait "$lintian_pid"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. A copy of the tracked (and new, not ignored) files, so the build
# leaves the clone untouched.
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version) ||
    fail "cannot read debian/changelog"
tree=$work/libmdata-$version
mkdir -p "$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$tree"
else
    (cd "$src" && tar --exclude='./build*' --exclude=./.git -cf - .) |
        tar -xf - -C "$tree"
fi || fail "cannot copy the source tree"

# 2. The minimal root, made (when not cached) in the background while the
# packages build: Debian's apt variant of this machine's release from the
# apt sources configured here, with the packages' dependencies.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
python3 "$src/tests/packaging/apt-sources.py" "$codename" >"$work/sources.list" ||
    fail "cannot read the apt sources"
include=python3,libuv1,libjansson4,libuv1-dev,libjansson-dev,pkgconf
cache=${MDATA_TEST_CACHE:-/var/cache/libmdata-tests}/packaging
key=$({ echo "$codename apt $include"; dpkg --print-architecture
        mmdebstrap --version; cat "$work/sources.list"; } | sha256sum | cut -c1-16)
tarball=$cache/root-$key.tar
mkdir -p "$cache" || fail "cannot create $cache"
(
    flock 9
    [ -f "$tarball" ] && exit 0
    step "creating the Debian root with mmdebstrap ($codename, apt + $include): $tarball"
    # shellcheck disable=SC2046
    timeout 1200 mmdebstrap --variant=apt --include="$include" \
        --skip=cleanup/apt/lists --format=tar "$codename" "$tarball.new" \
        $([ -s "$work/sources.list" ] && echo "$work/sources.list") \
        >"$out/mmdebstrap.log" 2>&1 ||
        { rm -f "$tarball.new"; exit 1; }
    # One root at a time in the cache: drop those of other keys.
    find "$cache" -maxdepth 1 -name 'root-*.tar' ! -name "root-$key.tar" -delete
    mv "$tarball.new" "$tarball"
) 9>"$cache/lock" &
root_pid=$!

# 3. The packages.
step "dpkg-buildpackage -us -uc -b in $tree"
if ! (cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
        timeout 1500 dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log"
    if grep -q '^dpkg-gensymbols: error' "$out/build.log"; then
        say "the library's exported symbols changed: update debian/libmdata0.symbols (debian/README.source)"
    fi
    fail "dpkg-buildpackage failed (whole log: $out/build.log)"
fi
changes=$work/libmdata_${version}_$(dpkg --print-architecture).changes
rm -rf "$out/debs" && mkdir -p "$out/debs"
cp "$work"/*.deb "$work"/*.buildinfo "$changes" "$out/debs/"
step "built: $(cd "$work" && echo *.deb)"

# lintian (in the background, looked at in the end).
timeout 600 lintian --fail-on error "$changes" >"$out/lintian.txt" 2>&1 &
lintian_pid=$!

# The ABI is pinned: with a symbol removed from the library (listed in
# debian/libmdata0.symbols but not exported) or added to it (exported but
# not listed), the build's own dh_makeshlibs step must fail.
symbols=$tree/debian/libmdata0.symbols
cp "$symbols" "$work/symbols.orig"
echo " mdata_gone_for_this_test@LIBMDATA_0.1 0.1" >>"$symbols"
if (cd "$tree" && debian/rules override_dh_makeshlibs) >"$out/symbols-removed.log" 2>&1 ||
        ! grep -q 'some symbols or patterns disappeared' "$out/symbols-removed.log"; then
    cat "$out/symbols-removed.log"
    fail "a symbol removed from libmdata.so did not fail dh_makeshlibs"
fi
grep -v ' mdata_free@' "$work/symbols.orig" >"$symbols"
if (cd "$tree" && debian/rules override_dh_makeshlibs) >"$out/symbols-added.log" 2>&1 ||
        ! grep -q 'some new symbols appeared' "$out/symbols-added.log"; then
    cat "$out/symbols-added.log"
    fail "a symbol added to libmdata.so did not fail dh_makeshlibs"
fi
cp "$work/symbols.orig" "$symbols"
say "ok: dh_makeshlibs fails on a symbol removed or added (dpkg-gensymbols -c4)"

# Units must be enabled by the packages but never started by them: the
# root being built is not the running system.
for deb in "$work"/*.deb; do
    # grep reads the whole listing (no -q): quitting at the first match
    # would kill dpkg-deb's tar with SIGPIPE, and dpkg-deb says so.
    dpkg-deb -c "$deb" | grep '/lib/systemd/system/..*\.service$' \
        >/dev/null || continue
    rm -rf "$work/control" && dpkg-deb -e "$deb" "$work/control"
    if cat "$work/control/preinst" "$work/control/postinst" 2>/dev/null |
            grep -E 'deb-systemd-invoke .*(start|restart)'; then
        fail "$(basename "$deb") starts its units when installed"
    fi
done

# 4. The root, unpacked from the cache.
wait "$root_pid" ||
    { tail -n 30 "$out/mmdebstrap.log"; root_pid=""; fail "mmdebstrap failed ($out/mmdebstrap.log)"; }
root_pid=""
root=$work/root
mkdir "$root" && tar -C "$root" -xf "$tarball" || fail "cannot unpack $tarball"
step "root unpacked from $tarball"

# 5. Install every package built (not the debug symbols) with apt, first
# all but mdata-init: it conflicts with mdata-netcfg (an image enables the
# one or the other), and comes in in step 8, replacing it.
mkdir -p "$root/tmp/debs" "$root/tmp/debs-init"
for deb in "$work"/*.deb; do
    case $(basename "$deb") in
        *-dbgsym_*) ;;
        mdata-init_*) cp "$deb" "$root/tmp/debs-init/" ;;
        *) cp "$deb" "$root/tmp/debs/" ;;
    esac
done
install_debs() { # directory in the root
    timeout 600 chroot "$root" sh -c \
        "apt-get install -y -q --no-install-recommends $1/*.deb" \
        >>"$out/install.log" 2>&1
}
: >"$out/install.log"
if ! install_debs /tmp/debs; then
    # The lists in the cached root may be older than the mirror.
    timeout 300 chroot "$root" apt-get update -q >>"$out/install.log" 2>&1
    install_debs /tmp/debs ||
        { tail -n 30 "$out/install.log"; fail "apt-get install failed"; }
fi
step "installed with apt: $(cd "$root/tmp/debs" && echo *.deb)"

in_root() { timeout 60 chroot "$root" "$@"; }
expect() { # what got wanted
    [ "$2" = "$3" ] || fail "$1: got '$2', wanted '$3'"
    say "ok: $1: $2"
}
# Every unit the packages in a directory ship with an [Install] section is
# enabled in the root.
expect_units_enabled() { # directory in the root
    units=$(for deb in "$root$1"/*.deb; do dpkg-deb -c "$deb"; done |
        sed -n 's|.*\./lib/systemd/system/\([^/]*\.service\)$|\1|p')
    [ -n "$units" ] || fail "no systemd unit in $1"
    for unit in $units; do
        grep -q '^\[Install\]' "$root/lib/systemd/system/$unit" || continue
        expect "systemctl --root is-enabled $unit" \
            "$(systemctl --root="$root" is-enabled "$unit" 2>&1)" enabled
    done
}

# 6. Use them inside the root.
expect "mdata-get --version" "$(in_root mdata-get --version)" \
    "mdata-get (libmdata) $version"
expect "python3 -c 'import mdata'" "$(in_root python3 -c \
    'import mdata; print(mdata.__version__, mdata.library_version())')" \
    "$version $version"
expect "pkg-config --modversion libmdata" \
    "$(in_root pkg-config --modversion libmdata)" "$version"

vm=/usr/share/mdata-emu/vms/sample-vm.json
hostname=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hostname"])' \
    "$root$vm") || fail "no $vm in the root"
chroot "$root" mdata-emu --socket /run/mdata.sock "$vm" >"$out/emu.log" 2>&1 &
emu_pid=$!
waited=0
while [ ! -S "$root/run/mdata.sock" ]; do
    kill -0 "$emu_pid" 2>/dev/null || { cat "$out/emu.log"; fail "mdata-emu exited"; }
    [ $waited -lt 100 ] || fail "mdata-emu made no socket in 10 s"
    sleep 0.1
    waited=$((waited + 1))
done
expect "mdata-get sdc:hostname (mdata-emu in the root)" \
    "$(in_root mdata-get -d /run/mdata.sock -t 10 sdc:hostname)" "$hostname"
expect "python3 mdata.Client().hostname() (mdata-emu in the root)" \
    "$(in_root python3 -c 'import mdata; print(mdata.Client("/run/mdata.sock", 10).hostname())')" \
    "$hostname"
expect "mdata-netcfg --format hostname (mdata-emu in the root)" \
    "$(in_root mdata-netcfg -d /run/mdata.sock --format hostname)" "$hostname"

# 7. mdata-netcfg's unit is enabled.
expect_units_enabled /tmp/debs

# 8. mdata-init replaces mdata-netcfg (apt removes it); its units are
# enabled, it runs (dry) against the emulator; purging mdata-netcfg then
# takes its enablement away.
install_debs /tmp/debs-init ||
    { tail -n 30 "$out/install.log"; fail "apt-get install mdata-init failed"; }
expect "mdata-netcfg after installing mdata-init" \
    "$(in_root dpkg-query -W -f '${db:Status-Abbrev}' mdata-netcfg)" "rc "
init_version=$(in_root mdata-init --version) || fail "mdata-init --version failed"
case $init_version in
    *" $version"*) say "ok: mdata-init --version: $init_version" ;;
    *) fail "mdata-init --version: got '$init_version', wanted one with $version" ;;
esac
init_out=$(in_root mdata-init early --dry-run -d /run/mdata.sock -t 10 2>&1) ||
    { echo "$init_out"; fail "mdata-init early --dry-run failed"; }
case $init_out in
    *"$hostname"*) say "ok: mdata-init early --dry-run (mdata-emu in the root)" ;;
    *) echo "$init_out"; fail "mdata-init early --dry-run did not name $hostname" ;;
esac
expect_units_enabled /tmp/debs-init
kill "$emu_pid" && wait "$emu_pid" 2>/dev/null
emu_pid=""

in_root apt-get purge -y -q mdata-netcfg >>"$out/install.log" 2>&1 ||
    fail "apt-get purge mdata-netcfg failed"
left=$(find "$root/etc/systemd/system" -name 'mdata-netcfg.service' 2>/dev/null)
[ -z "$left" ] || fail "purging mdata-netcfg left $left"
say "ok: purging mdata-netcfg removes its enablement"

# 9. lintian: errors fail the test; warnings are shown.
wait "$lintian_pid"
lintian_rc=$?
lintian_pid=""
grep -v "running with root privileges" "$out/lintian.txt"
[ $lintian_rc -eq 0 ] || fail "lintian reports errors ($out/lintian.txt)"
say "ok: lintian: $(grep -c '^E:' "$out/lintian.txt") errors, $(grep -c '^W:' "$out/lintian.txt") warnings"

step "passed"
