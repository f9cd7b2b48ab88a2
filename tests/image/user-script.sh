#!/bin/sh
# The user-script the image tests serve (customer_metadata "user-script").
# Every run leaves a mark. The first run also installs image-report, a unit
# that prints the guest's state on COM1 as "@@ name value" lines once the
# boot is over and then powers the guest off, on every boot from then on,
# so a boot where the metadata service is down reports as well.
set -u
state=/var/lib/image-test
mkdir -p "$state"
printf '%s %s\n' "$(cat /proc/sys/kernel/random/boot_id)" "$(cut -d' ' -f1 /proc/uptime)" \
    >>"$state/user-script.runs"
up=$(cut -d' ' -f1 /proc/uptime)
for try in 1 2 3; do # again if agetty's hangup of ttyS0 cut it off
    printf '@@ user-script-ran %s\n' "$up" >/dev/ttyS0 2>/dev/null && break
    sleep 1
done

# The user's own key, outside the block the metadata manages.
own="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFs5dWUcPKuS0ETAltwwocLZUlSXRXRy3kjFHss2PR9K user@own"
mkdir -p -m 700 /root/.ssh
grep -qF "$own" /root/.ssh/authorized_keys 2>/dev/null || echo "$own" >>/root/.ssh/authorized_keys

[ -x /usr/local/sbin/image-report ] && exit 0

cat >/usr/local/sbin/image-report <<'EOF'
#!/bin/sh
# Print the guest's state on COM1 and power off (tests/image).
exec >/dev/null 2>&1
# agetty hangs ttyS0 up when it starts (Type=idle: once the other jobs of
# the boot have started), which would cut off a report being written: let
# it start first, and open the port for each line, again if a hangup cut
# the line short (the harness reads the last "@@ " of a line).
i=0
while [ $i -lt 60 ] && ! grep -qx agetty /proc/[0-9]*/comm 2>/dev/null; do
    sleep 1; i=$((i + 1))
done
sleep 2
at() {
    n=0
    until printf '@@ %s %s\n' "$1" "$2" >/dev/ttyS0 2>/dev/null || [ $n -ge 5 ]; do
        sleep 1; n=$((n + 1))
    done
}
joined() { tr '\n' ';' | sed 's/;$//'; }
# A dhcp nic is not waited for at boot: give networkd a little time.
i=0
while [ $i -lt 30 ] && networkctl list --no-legend 2>/dev/null |
        grep -v -e ' configured' -e ' unmanaged' | grep -q .; do
    sleep 1; i=$((i + 1))
done
at boot-id "$(cat /proc/sys/kernel/random/boot_id)"
at uptime "$(cut -d' ' -f1 /proc/uptime)"
at user-script-runs "$(joined </var/lib/image-test/user-script.runs)"
at operator-script-runs "$(joined </var/lib/image-test/operator-script.runs 2>/dev/null)"
at ip-link "$(ip -j link show)"
at ip-addr "$(ip -j addr show)"
at ip-route4 "$(ip -j -4 route show table main)"
at ip-route6 "$(ip -j -6 route show table main)"
at networkd "$(networkctl list --no-legend | joined)"
at dns "$(resolvectl dns | joined)"
at domain "$(resolvectl domain | joined)"
at hostname "$(hostname)"
at fqdn "$(timeout 20 hostname -f)"
at authorized-keys "$(base64 -w0 /root/.ssh/authorized_keys)"
at host-keys "$(for k in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$k"; done | joined)"
at machine-id "$(cat /etc/machine-id)"
at files "$(stat -c '%n|%i|%y' /etc/hostname /etc/machine-id /etc/ssh/ssh_host_* \
    /root/.ssh/authorized_keys /etc/systemd/network/* 2>/dev/null | joined)"
at sshd "$(systemctl is-active ssh.service)"
at failed-units "$(systemctl --failed --plain --no-legend | cut -d' ' -f1 | joined)"
# Where the boot's time went (tests/bench): the kernel and initramfs up to
# systemd's start, then when the units on the way to the user-script
# started and were up (seconds of uptime; systemd-analyze's chain needs a
# finished boot, which this unit is part of).
at userspace-start-us "$(systemctl show -p UserspaceTimestampMonotonic --value)"
at systemd-start "$(systemctl show -p GeneratorsStartTimestampMonotonic \
    -p GeneratorsFinishTimestampMonotonic -p UnitsLoadStartTimestampMonotonic \
    -p UnitsLoadFinishTimestampMonotonic | sed 's/TimestampMonotonic//' | joined)"
at unit-times "$(for unit in systemd-fsck-root.service systemd-remount-fs.service \
        systemd-udevd.service systemd-udev-trigger.service mdata-init-early.service \
        cloud-init-local.service systemd-networkd.service cloud-init.service \
        systemd-networkd-wait-online.service network-online.target \
        mdata-init-late.service cloud-config.service cloud-final.service; do
    systemctl show -p LoadState -p InactiveExitTimestampMonotonic \
        -p ActiveEnterTimestampMonotonic "$unit" |
        awk -F= -v u="$unit" '{ v[$1] = $2 }
            END { s = v["InactiveExitTimestampMonotonic"]; e = v["ActiveEnterTimestampMonotonic"]
                  if (v["LoadState"] == "loaded" && e > 0)
                      printf "%s %.2f-%.2f\n", u, (s > 0 ? s : e) / 1e6, e / 1e6 }'
done | joined)"
# The disks (bytes), the root partition (start and size in sectors), its
# file system (block count and size), df's view, and when growroot ran
# (microseconds of uptime: start, exit) and the network came up.
rootdev=$(findmnt -no SOURCE /)
at lsblk "$(lsblk -bnrpo NAME,SIZE,TYPE,MOUNTPOINT | joined)"
at root-part "$(cat "/sys/class/block/${rootdev#/dev/}/start" "/sys/class/block/${rootdev#/dev/}/size" | joined)"
at root-fs "$(tune2fs -l "$rootdev" | sed -n 's/^Block count: *//p; s/^Block size: *//p' | joined)"
at df-root "$(df -B1 --output=size,used / | tail -n 1)"
at growroot-us "$(systemctl show -P ExecMainStartTimestampMonotonic mdata-init-growroot.service) \
$(systemctl show -P ExecMainExitTimestampMonotonic mdata-init-growroot.service)"
at network-online-us "$(systemctl show -P ActiveEnterTimestampMonotonic network-online.target)"
at end ok
systemctl --no-block poweroff
EOF
chmod 755 /usr/local/sbin/image-report
cat >/etc/systemd/system/image-report.service <<'EOF'
[Unit]
Description=Report the guest's state on COM1 and power off (tests/image)
After=multi-user.target network-online.target mdata-init-late.service cloud-final.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/image-report

[Install]
WantedBy=multi-user.target
EOF
systemctl daemon-reload
systemctl enable image-report.service
systemctl start --no-block image-report.service
