#!/bin/busybox sh
# /init of the test guest: a real Linux kernel whose /dev/ttyS1 is an
# emulated 16550 UART wired to mdata-emu. Runs one phase of the scenario,
# chosen by the metadata key guest-phase (the guest's own state across
# reboots), and prints results as "@@ name value" lines on the console
# (ttyS0) for run-guest.py to check. The guest never decides pass/fail.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
# iproute2's ip (for -j, and what a real image has) lives apart from
# busybox's applets; busybox sh runs its own applets before any PATH
# lookup, so only a function can make "ip" mean iproute2.
ip() { /opt/iproute2/ip "$@"; }
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /run
mount -t tmpfs tmp /tmp
insmod /lib/modules/e1000.ko 2>/dev/null
exec </dev/console >/dev/console 2>&1

say() { echo "@@ $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
# md5 and exit status of a command's stdout, as "@@ name status md5"
check() {
    name=$1
    shift
    "$@" >/tmp/out 2>/tmp/err
    rc=$?
    say "$name $rc $(md5sum </tmp/out | cut -d' ' -f1)"
    [ $rc -eq 0 ] || sed 's/^/   stderr: /' /tmp/err
}

say "boot $(up)"
phase=$(mdata-get -t 60 guest-phase 2>/tmp/err) || phase=1
say "phase $phase"

case $phase in
1)
    check uuid mdata-get sdc:uuid
    check nics mdata-get sdc:nics
    check routes mdata-get sdc:routes
    check user-script mdata-get user-script
    check binary mdata-get binary
    check big mdata-get big
    check missing mdata-get no-such-key
    check put mdata-put guest-put "written by the guest"
    check get-put mdata-get guest-put
    check list mdata-list
    check delete mdata-delete guest-put
    check get-deleted mdata-get guest-put
    # Two processes on the one serial line at once: the lock keeps their
    # exchanges apart, both get the whole value.
    mdata-get medium >/tmp/a 2>/tmp/ea & pa=$!
    mdata-get medium >/tmp/b 2>/tmp/eb & pb=$!
    wait $pa; ra=$?
    wait $pb; rb=$?
    say "concurrent-a $ra $(md5sum </tmp/a | cut -d' ' -f1)"
    say "concurrent-b $rb $(md5sum </tmp/b | cut -d' ' -f1)"
    sed 's/^/   a: /' /tmp/ea
    sed 's/^/   b: /' /tmp/eb
    # The network from metadata, applied with ip(8), then read back.
    mdata-netcfg -f ip >/tmp/net.sh 2>/tmp/net.err
    say "netcfg $?"
    sed 's/^/   netcfg: /' /tmp/net.err
    { echo 'ip() { /opt/iproute2/ip "$@"; }'; cat /tmp/net.sh; } >/tmp/net-iproute2.sh
    sh /tmp/net-iproute2.sh >/tmp/net.out 2>&1
    say "netcfg-apply $?"
    sed 's/^/   apply: /' /tmp/net.out
    say "ip-link $(ip -j link show)"
    say "ip-addr $(ip -j addr show)"
    say "ip-route4 $(ip -j -4 route show)"
    say "ip-route6 $(ip -j -6 route show)"
    # Time of a 1 MiB GET at several UART speeds.
    for baud in 9600 115200 460800; do
        if stty -F /dev/ttyS1 "$baud" 2>/dev/null; then
            t0=$(up)
            mdata-get big >/tmp/out 2>/tmp/err
            rc=$?
            t1=$(up)
            say "baud $baud $rc $t0 $t1 $(md5sum </tmp/out | cut -d' ' -f1) $(stty -F /dev/ttyS1 speed)"
        else
            say "baud $baud unsupported"
        fi
    done
    stty -F /dev/ttyS1 115200
    check put-phase mdata-put guest-phase 2
    say "rebooting"
    reboot -f
    ;;
2)
    # After a reboot: the emulator reconnected to the new serial line.
    check uuid-after-reboot mdata-get sdc:uuid
    check put-phase mdata-put guest-phase 3
    say "rebooting"
    reboot -f
    ;;
3)
    # The emulator now loses and corrupts replies: every GET must still
    # give the right value.
    i=0
    while [ $i -lt 20 ]; do
        check "fault-uuid-$i" mdata-get sdc:uuid
        check "fault-script-$i" mdata-get user-script
        i=$((i + 1))
    done
    check fault-medium mdata-get medium
    say "done"
    poweroff -f
    ;;
*)
    say "unknown-phase"
    poweroff -f
    ;;
esac
