#!/bin/sh
# demo.sh: the README's main job, in one command on a fresh Debian 12
# machine:
#   1. install what is missing (as root, with apt-get),
#   2. build libmdata and its tools (build dir: build-demo),
#   3. start mdata-emu on a unix socket serving a realistic sample VM
#      (examples/mdata-emu/vms/sample-vm.json: a dual-stack primary nic, a
#      second nic with mtu 9000, a dhcp nic, gateway and link-local routes,
#      resolvers),
#   4. run mdata-netcfg against it: print the normalised model (-f json)
#      and the systemd-networkd configuration it renders (-f networkd),
#   5. stop the emulator.
#
#   sh examples/demo.sh [VM.json]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
vm=${1:-examples/mdata-emu/vms/sample-vm.json}
build=${DEMO_BUILD:-build-demo}

sh tests/install-missing.sh demo meson ninja-build pkg-config gcc \
    libuv1-dev libjansson-dev

echo "== building in $build"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Dtests=disabled >/dev/null
fi
ninja -C "$build" examples/mdata-emu/mdata-emu \
    examples/mdata-netcfg/mdata-netcfg >/dev/null

tmp=$(mktemp -d)
sock="$tmp/metadata.sock"
emu_pid=""
cleanup() {
    if [ -n "$emu_pid" ]; then
        kill "$emu_pid" 2>/dev/null || true
        wait "$emu_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

echo "== starting mdata-emu on $sock with $vm"
"$build/examples/mdata-emu/mdata-emu" -q --socket "$sock" "$vm" &
emu_pid=$!
i=0
while [ ! -S "$sock" ]; do
    i=$((i + 1))
    if [ "$i" -gt 100 ] || ! kill -0 "$emu_pid" 2>/dev/null; then
        echo "demo: mdata-emu did not start" >&2
        exit 1
    fi
    sleep 0.1
done

netcfg="$build/examples/mdata-netcfg/mdata-netcfg"
echo
echo "== mdata-netcfg -f json   (the normalised network model)"
"$netcfg" -d "$sock" -f json
echo
echo "== mdata-netcfg -f networkd   (files for /etc/systemd/network)"
"$netcfg" -d "$sock" -f networkd
echo
echo "== done: other formats with -f netplan|ifupdown|nm|ip|freebsd|resolv|hostname|powershell"
