#!/bin/sh
# Cross-build libmdata's Windows tools with mingw-w64:
#
#   tests/windows/setup.sh SRCDIR OUTDIR
#
# 1. libuv and jansson for x86_64-w64-mingw32, built with CMake from
#    Debian's own source packages (apt-get source; a deb-src entry is added
#    when none is configured, which needs root) into OUTDIR/sysroot;
# 2. the PowerShell grammar checker (npm: web-tree-sitter and
#    tree-sitter-powershell, installed without running package scripts)
#    into OUTDIR/pscheck;
# 3. libmdata and mdata-{get,put,list,delete}.exe, mdata-netcfg.exe, static,
#    with meson and tests/windows/mingw-w64.ini into OUTDIR/cross.
#
# Each step is cached (a stamp file per step); a second run only re-runs
# ninja. Exits 77 (meson's "skipped") when mingw-w64 or CMake is missing.
set -eu

src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
host=x86_64-w64-mingw32
log="$out/setup.log"

say() { echo "windows-setup: $*" >&2; }

if ! command -v "$host-gcc" >/dev/null 2>&1; then
    say "$host-gcc not found (Debian package gcc-mingw-w64-x86-64): skipped"
    exit 77
fi
if ! command -v cmake >/dev/null 2>&1; then
    say "cmake not found (Debian package cmake): skipped"
    exit 77
fi

sysroot="$out/sysroot"
debsrc="$out/debsrc"
mkdir -p "$debsrc"

# --- 1. libuv and jansson from Debian source packages -----------------
add_deb_src() {
    # Only when apt knows no deb-src line at all: a copy of the system's
    # deb822 sources with Types: deb-src.
    if apt-get indextargets 2>/dev/null | grep -q '^Identifier: Sources'; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        say "no deb-src entries in apt's sources and not root: cannot" \
            "fetch Debian's libuv1/jansson sources; skipped"
        exit 77
    fi
    f=/etc/apt/sources.list.d/debian.sources
    [ -f "$f" ] || { say "no $f to derive deb-src entries from"; exit 1; }
    sed 's/^Types: deb$/Types: deb-src/' "$f" \
        > /etc/apt/sources.list.d/libmdata-deb-src.sources
    say "added /etc/apt/sources.list.d/libmdata-deb-src.sources"
    timeout 600 apt-get update -q >>"$log" 2>&1
}

fetch_source() { # package -> directory holding the unpacked source
    pkg=$1
    dir=$(find "$debsrc" -maxdepth 1 -type d -name "$pkg*-[0-9]*" | head -n1)
    if [ -z "$dir" ]; then
        add_deb_src
        say "apt-get source $pkg"
        (cd "$debsrc" && timeout 600 apt-get source --download-only -q "$pkg") >>"$log" 2>&1
        dsc=$(ls "$debsrc"/"$pkg"_*.dsc | head -n1)
        (cd "$debsrc" && dpkg-source --no-check -x "$dsc") >>"$log" 2>&1
        dir=$(find "$debsrc" -maxdepth 1 -type d -name "$pkg*-[0-9]*" | head -n1)
    fi
    echo "$dir"
}

cat > "$out/mingw64.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $host-gcc)
set(CMAKE_RC_COMPILER $host-windres)
set(CMAKE_FIND_ROOT_PATH /usr/$host)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF

cmake_build() { # name srcdir extra-args...
    name=$1
    dir=$2
    shift 2
    if [ -f "$sysroot/.stamp-$name" ]; then
        return 0
    fi
    say "building $name for $host (CMake)"
    rm -rf "$out/build-$name"
    cmake -S "$dir" -B "$out/build-$name" \
        -DCMAKE_TOOLCHAIN_FILE="$out/mingw64.cmake" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$sysroot" \
        "$@" >>"$log" 2>&1
    timeout 1200 cmake --build "$out/build-$name" -j "$(nproc 2>/dev/null || echo 2)" \
        >>"$log" 2>&1
    cmake --install "$out/build-$name" >>"$log" 2>&1
    touch "$sysroot/.stamp-$name"
}

if [ ! -f "$sysroot/.stamp-libuv" ] || [ ! -f "$sysroot/.stamp-jansson" ]; then
    uvsrc=$(fetch_source libuv1)
    jsrc=$(fetch_source jansson)
    cmake_build libuv "$uvsrc" -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
    cmake_build jansson "$jsrc" -DJANSSON_BUILD_DOCS=OFF \
        -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF \
        -DJANSSON_BUILD_SHARED_LIBS=OFF
fi

# --- 2. the PowerShell grammar checker ---------------------------------
if [ ! -f "$out/pscheck/.stamp" ]; then
    if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] &&
        command -v apt-get >/dev/null 2>&1; then
        say "apt-get install npm (for the PowerShell grammar check)"
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q \
            --no-install-recommends npm >>"$log" 2>&1 ||
            say "could not install npm (see $log)"
    fi
    if command -v npm >/dev/null 2>&1; then
        say "npm install web-tree-sitter tree-sitter-powershell"
        mkdir -p "$out/pscheck"
        (cd "$out/pscheck" && timeout 900 npm install --no-audit --no-fund \
            --ignore-scripts --prefix . web-tree-sitter@0.25.10 \
            tree-sitter-powershell@0.26.4) >>"$log" 2>&1 &&
            touch "$out/pscheck/.stamp" ||
            say "npm install failed (see $log): the .ps1 check will skip"
    else
        say "npm not found: the .ps1 grammar check will skip"
    fi
fi

# --- 3. libmdata and the tools -----------------------------------------
cat > "$out/sysroot.ini" <<EOF
[properties]
pkg_config_libdir = ['$sysroot/lib/pkgconfig']
sys_root = '$sysroot'
EOF
if [ ! -f "$out/cross/build.ninja" ]; then
    say "meson setup (cross, $host)"
    rm -rf "$out/cross"
    meson setup "$out/cross" "$src" \
        --cross-file "$src/tests/windows/mingw-w64.ini" \
        --cross-file "$out/sysroot.ini" \
        -Ddefault_library=static -Dprefer_static=true -Dtests=disabled \
        -Dpython=disabled -Dbuildtype=release >>"$log" 2>&1 ||
        { tail -n 30 "$log"; exit 1; }
fi
ninja -C "$out/cross" >>"$log" 2>&1 || { tail -n 40 "$log"; exit 1; }
for exe in mdata-get mdata-put mdata-list mdata-delete; do
    test -f "$out/cross/examples/mdata-tools/$exe.exe"
done
test -f "$out/cross/examples/mdata-netcfg/mdata-netcfg.exe"
say "ready: $out/cross"
