#!/bin/sh
# build-image.sh: a Debian 12 disk image for SmartOS/Triton bhyve and KVM
# guests that configures itself from the metadata service with libmdata.
# See doc/images.md. Run as root (mmdebstrap, chroot, file ownership).
#
#   build-image.sh --debs DIR          libmdata's packages from DIR
#   build-image.sh --destdir DIR       a `meson install --destdir` tree
#   build-image.sh --cloud-init        the peer image: Debian's cloud-init
#
# Two variants from one root file system:
#   bios  MBR + GRUB for BIOS (SeaBIOS, bhyve's CSM): the hybrid image
#   uefi  GPT + EFI system partition + GRUB for UEFI (bhyve's UEFI bootrom)
# Each gives NAME-VARIANT.raw, .qcow2 and .json (the IMGAPI manifest).
#
# Nothing is loop-mounted: the root file system is written from a
# directory by mkfs.ext4 -d straight into the disk file at its partition's
# offset, the ESP by mkfs.vfat and mtools, and GRUB's boot sectors by dd.
# Results are cached under --cache, keyed by every input; the last line
# printed is the directory holding them.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
config=$here/image.conf
cache=${LIBMDATA_IMAGE_CACHE:-/var/cache/libmdata-image}
debs=""
destdir=""
flavour=mdata
overlay=""
output=""
variants="bios uefi"

usage() {
    cat <<EOF
usage: $0 (--debs DIR | --destdir DIR | --cloud-init) [options]
  --debs DIR       install libmdata's .deb files from DIR (MDATA_PACKAGES)
  --destdir DIR    copy a 'meson install --destdir' tree (prefix /usr)
  --cloud-init     Debian's cloud-init (SmartOS datasource), no libmdata
  --overlay DIR    copy DIR's files into the root file system as well
  --variants LIST  "bios uefi" (default), "bios" or "uefi"
  --config FILE    default $here/image.conf
  --cache DIR      default /var/cache/libmdata-image (LIBMDATA_IMAGE_CACHE)
  --output DIR     also copy the results to DIR
EOF
    exit 3
}

while [ $# -gt 0 ]; do
    case $1 in
    --debs) debs=$(cd "$2" && pwd); shift 2 ;;
    --destdir) destdir=$(cd "$2" && pwd); shift 2 ;;
    --cloud-init) flavour=cloud-init; shift ;;
    --overlay) overlay=$(cd "$2" && pwd); shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "build-image.sh: unknown argument $1" >&2; usage ;;
    esac
done
case $flavour in
mdata) [ -n "$debs$destdir" ] || usage ;;
esac

say() { echo "build-image: $*" >&2; }
die() { echo "build-image: error: $*" >&2; exit 1; }

# shellcheck source=image.conf
. "$config"

[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap, chroot and file ownership need it)"
for tool in mmdebstrap mkfs.ext4 sfdisk grub-mkimage mkfs.vfat mcopy qemu-img sha1sum; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install mmdebstrap e2fsprogs fdisk grub-common dosfstools mtools qemu-utils)"
done

sha() { sha256sum | cut -c1-16; }

# A fixed UUID from a seed, so the same inputs give the same image.
uuid_of() {
    printf '%s' "$1" | sha256sum |
        sed 's/^\(.\{8\}\)\(.\{4\}\).\(.\{3\}\).\(.\{3\}\)\(.\{12\}\).*/\1-\2-4\3-a\4-\5/'
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one build at a time per cache
rm -rf "$cache"/base-*.partial.tar "$cache"/initramfs-hook.* "$cache"/work-* # what an interrupted build left

# ---- stage 1: the base system from Debian's mirror (minutes; cached) ----

base_packages=$PACKAGES
[ "$flavour" = cloud-init ] && base_packages="$base_packages cloud-init"
base_packages=$(echo $base_packages | tr ' ' ',')
modules=$(echo $INITRAMFS_MODULES) # on one line, for the hook
load=$(echo $INITRAMFS_LOAD)
# "base N": bump N when the hooks below change.
base_key=$(printf 'base 3\n%s\n%s\n%s\n%s\n%s\n%s\n' "$SUITE" "$MIRROR" "$SECURITY_MIRROR" \
    "$base_packages" "$modules" "$load" | sha)
base_tar=$cache/base-$base_key.tar

if [ ! -f "$base_tar" ]; then
    say "base system: mmdebstrap $SUITE ($base_packages)"
    partial=$cache/base-$base_key.partial.tar
    # The initramfs carries the drivers of every disk bus (an
    # initramfs-tools hook); udev loads the ones the machine has, and the
    # root file system's are loaded always (initramfs-tools' modules list).
    hook=$cache/initramfs-hook.$$
    cat >"$hook" <<EOF
#!/bin/sh
# libmdata's image (examples/image): every disk driver of bhyve and
# SmartOS KVM in the initramfs, loaded by udev for the hardware present.
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
for m in $modules; do
    manual_add_modules "\$m"
done
EOF
    mmdebstrap --variant=minbase --format=tar --include="$base_packages" \
        --customize-hook="upload $hook /etc/initramfs-tools/hooks/mdata-image-disk-drivers" \
        --customize-hook='chmod 755 "$1/etc/initramfs-tools/hooks/mdata-image-disk-drivers"' \
        --customize-hook="printf '%s\n' $load >> \"\$1/etc/initramfs-tools/modules\"" \
        --customize-hook='sed -i "s/^MODULES=.*/MODULES=list/" "$1/etc/initramfs-tools/initramfs.conf"' \
        --customize-hook='chroot "$1" update-initramfs -u -k all' \
        "$SUITE" "$partial" \
        "deb $MIRROR $SUITE main" \
        "deb $MIRROR $SUITE-updates main" \
        "deb $SECURITY_MIRROR $SUITE-security main" >&2
    rm -f "$hook"
    mv "$partial" "$base_tar"
    # Older bases of the same flavour are of no more use.
    for old in "$cache"/base-*.tar; do
        [ "$old" = "$base_tar" ] || [ ! -f "$old.flavour" ] ||
            [ "$(cat "$old.flavour")" != "$flavour" ] || rm -f "$old" "$old.flavour"
    done
    echo "$flavour" >"$base_tar.flavour"
fi

# ---- stage 2: the image key: the base, the payload, this kit ----

payload_sum() {
    if [ -n "$debs" ]; then
        (cd "$debs" && sha256sum ./*.deb)
    elif [ -n "$destdir" ]; then
        (cd "$destdir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    fi
    if [ -n "$overlay" ]; then
        (cd "$overlay" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    fi
}
image_key=$( { echo "$base_key $flavour $variants"; cat "$0" "$config"; payload_sum; } | sha)
result=$cache/image-$image_key
if [ -f "$result/.done" ]; then
    say "cached: $result"
    [ -z "$output" ] || { mkdir -p "$output"; cp --reflink=auto "$result"/* "$output"/; }
    echo "$result"
    exit 0
fi

work=$cache/work-$image_key
rm -rf "$work" "$result"
mkdir -p "$work" "$result"
trap 'rm -rf "$work"; [ -f "$result/.done" ] || rm -rf "$result"' EXIT
root=$work/root
mkdir "$root"
say "root file system in $root"
tar -C "$root" --xattrs --xattrs-include='*' -xpf "$base_tar"

# ---- stage 3: the root file system ----

# The base's size, for the bytes the payload adds (tests/bench).
du -sk --apparent-size "$root" | cut -f1 >"$work/root-base-kib"

install_libmdata() {
    if [ -n "$debs" ]; then
        mkdir "$root/tmp/mdata-debs"
        for pkg in $MDATA_PACKAGES; do
            set -- "$debs/${pkg}"_*.deb
            [ -f "$1" ] || die "no $pkg .deb in $debs"
            cp "$1" "$root/tmp/mdata-debs/"
        done
        chroot "$root" sh -c 'dpkg -i /tmp/mdata-debs/*.deb' >&2
        rm -rf "$root/tmp/mdata-debs"
    else
        # Into the merged /usr: /lib stays the symlink it is.
        tar -C "$destdir" -cf - . | tar -C "$root" --keep-directory-symlink -xf -
        chroot "$root" ldconfig
    fi
    # Enabled or disabled as the configuration says, whatever the
    # packages' defaults, and the same for a destdir tree.
    for unit in $MDATA_UNITS; do
        [ -f "$root/lib/systemd/system/$unit" ] || die "$unit is not in the image"
        systemctl --root="$root" enable "$unit" >&2
    done
    for unit in $MDATA_DISABLED_UNITS; do
        [ ! -f "$root/lib/systemd/system/$unit" ] || systemctl --root="$root" disable "$unit" >&2
    done
}

configure_cloud_init() {
    # The configuration a user of Debian's cloud-init picks for SmartOS.
    printf 'datasource_list: [ SmartOS ]\n' >"$root/etc/cloud/cloud.cfg.d/90-smartos.cfg"
}

case $flavour in
mdata) install_libmdata ;;
cloud-init) configure_cloud_init ;;
esac
[ -z "$overlay" ] || tar -C "$overlay" -cf - . | tar -C "$root" --keep-directory-symlink -xf -

# Network: nothing baked in; networkd and resolved apply what mdata-netcfg
# (or cloud-init) writes at boot.
rm -f "$root"/etc/systemd/network/*
systemctl --root="$root" enable systemd-networkd.service systemd-resolved.service \
    serial-getty@ttyS0.service ssh.service >&2
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
# A server: no graphical.target (nothing of it is installed).
systemctl --root="$root" set-default multi-user.target >&2
# Nothing in the base system needs e2scrub's snapshot clean-up at boot (no
# LVM), which costs seconds of a slow first boot's CPU.
systemctl --root="$root" disable e2scrub_reap.service >&2
echo localhost >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF

# Per-instance identity is made at first boot, not shared by every clone:
# no SSH host keys, an empty machine-id (systemd makes one), no seed.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed"
passwd --root "$root" --lock root >/dev/null 2>&1 || chroot "$root" passwd --lock root >/dev/null
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/tmp/* "$root"/var/log/*.log

# /etc is up to date with /usr (the packages' scripts ran here, systemd's
# sysusers among them): the mark systemd's ConditionNeedsUpdate reads, so a
# first boot does not run systemd-sysusers again on the way to the network.
printf '# /etc is up to date with /usr (libmdata build-image.sh)\n' >"$root/etc/.updated"
touch -r "$root/usr" "$root/etc/.updated"

# GRUB's settings, for update-grub when a kernel upgrade runs it in the
# guest; the grub.cfg written below follows the same settings.
cat >"$root/etc/default/grub" <<EOF
GRUB_DEFAULT=0
GRUB_TIMEOUT=$GRUB_TIMEOUT
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT"
GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"
GRUB_TERMINAL="$GRUB_TERMINAL"
GRUB_SERIAL_COMMAND="$GRUB_SERIAL_COMMAND"
EOF
# grub-install would copy the modules; both platforms' go in, so either
# variant's GRUB (and update-grub's config) finds what it loads.
mkdir -p "$root/boot/grub"
cp -r "$root/usr/lib/grub/i386-pc" "$root/usr/lib/grub/x86_64-efi" "$root/boot/grub/"

kver=$(cd "$root/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
[ -n "$kver" ] || die "no kernel in the base system"

# grub.cfg as update-grub would write it (it cannot run here: grub-probe
# needs the root file system's block device).
write_grub_cfg() { # UUID PARTMOD
    cat >"$root/boot/grub/grub.cfg" <<EOF
# Written by libmdata's build-image.sh; update-grub rewrites it from
# /etc/default/grub (same settings) when a kernel is installed.
$GRUB_SERIAL_COMMAND
terminal_input $GRUB_TERMINAL
terminal_output $GRUB_TERMINAL
set default=0
set timeout=$GRUB_TIMEOUT
insmod $2
insmod ext2
search --no-floppy --fs-uuid --set=root $1
menuentry 'Debian GNU/Linux, with Linux $kver' {
	insmod gzio
	echo 'Loading Linux $kver ...'
	linux /boot/vmlinuz-$kver root=UUID=$1 ro $GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT
	echo 'Loading initial ramdisk ...'
	initrd /boot/initrd.img-$kver
	echo 'Starting the kernel ...'
}
EOF
}

# GRUB's first stage finds the root file system by UUID and loads the
# rest (normal.mod, grub.cfg) from it, with the console on COM1 at once.
write_early_cfg() { # UUID FILE
    cat >"$2" <<EOF
$GRUB_SERIAL_COMMAND
terminal_input $GRUB_TERMINAL
terminal_output $GRUB_TERMINAL
search --no-floppy --fs-uuid --set=root $1
set prefix=(\$root)/boot/grub
EOF
}

# ---- stage 4: the disks ----

size_bytes=$((IMAGE_SIZE_MIB * 1024 * 1024))

# The root file system, from the directory, into DISK at START (sectors)
# for SECTORS sectors.
make_rootfs() { # DISK START SECTORS UUID
    mkfs.ext4 -q -F -U "$4" -L root -d "$root" -E offset=$(($2 * 512)) \
        "$1" "$(($3 / 2))k" >&2
}

partition_of() { # DISK N -> "start size" in sectors
    sfdisk -d "$1" | sed -n "s|^$1$2 : start= *\([0-9]*\), size= *\([0-9]*\).*|\1 \2|p"
}

build_bios() { # DISK
    disk=$1
    uuid=$(uuid_of "$image_key root bios")
    rm -f "$disk"
    truncate -s "$size_bytes" "$disk"
    # One partition from 1 MiB: the sectors before it hold GRUB's core.
    printf 'label: dos\nlabel-id: 0x%s\nstart=2048, type=83, bootable\n' \
        "$(printf '%s' "$image_key" | cut -c1-8)" | sfdisk -q "$disk"
    set -- $(partition_of "$disk" 1)
    cat >"$root/etc/fstab" <<EOF
UUID=$uuid / ext4 errors=remount-ro 0 1
EOF
    write_grub_cfg "$uuid" part_msdos
    make_rootfs "$disk" "$1" "$2" "$uuid"
    # What grub-install does for a BIOS disk, without a device: boot.img's
    # code in the MBR (its first 440 bytes: the partition table stays),
    # core.img in the sectors after it (boot.img's default next sector).
    write_early_cfg "$uuid" "$work/early.cfg"
    grub-mkimage -O i386-pc -d "$root/usr/lib/grub/i386-pc" -o "$work/core.img" \
        -c "$work/early.cfg" -p /boot/grub \
        biosdisk part_msdos ext2 search search_fs_uuid serial terminal
    [ "$(stat -c %s "$work/core.img")" -lt $((2047 * 512)) ] || die "GRUB's core image is too big"
    dd if="$root/usr/lib/grub/i386-pc/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none
    dd if="$work/core.img" of="$disk" bs=512 seek=1 conv=notrunc status=none
}

build_uefi() { # DISK
    disk=$1
    uuid=$(uuid_of "$image_key root uefi")
    esp_id=$(printf '%s' "$image_key" | cut -c9-16)
    esp_sectors=$((ESP_SIZE_MIB * 2048))
    rm -f "$disk"
    truncate -s "$size_bytes" "$disk"
    printf 'label: gpt\nlabel-id: %s\nstart=2048, size=%s, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"\n' \
        "$(uuid_of "$image_key gpt")" "$esp_sectors" | sfdisk -q "$disk"
    set -- $(partition_of "$disk" 2)
    cat >"$root/etc/fstab" <<EOF
UUID=$uuid / ext4 errors=remount-ro 0 1
UUID=$(echo "$esp_id" | sed 's/^\(....\)/\1-/' | tr a-f A-F) /boot/efi vfat umask=0077,nofail 0 1
EOF
    mkdir -p "$root/boot/efi"
    write_grub_cfg "$uuid" part_gpt
    make_rootfs "$disk" "$1" "$2" "$uuid"
    # The ESP: GRUB at the removable-media path, which firmware boots
    # without any boot entry in its variables.
    write_early_cfg "$uuid" "$work/early.cfg"
    grub-mkimage -O x86_64-efi -d "$root/usr/lib/grub/x86_64-efi" -o "$work/BOOTX64.EFI" \
        -c "$work/early.cfg" -p /boot/grub \
        part_gpt ext2 fat search search_fs_uuid serial terminal
    esp=$work/esp.img
    rm -f "$esp"
    truncate -s $((esp_sectors * 512)) "$esp"
    mkfs.vfat -F 32 -s 1 -S 512 -n EFI -i "$esp_id" "$esp" >/dev/null
    mmd -i "$esp" ::/EFI ::/EFI/BOOT
    mcopy -i "$esp" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
    dd if="$esp" of="$disk" bs=512 seek=2048 conv=notrunc,sparse status=none
    rm -f "$esp"
}

json_string() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

write_manifest() { # VARIANT QCOW2 MANIFEST
    case $1 in
    bios) requirements='{}' ;; # no brand: bhyve and KVM (the hybrid image)
    uefi) requirements='{"brand": "bhyve", "bootrom": "uefi"}' ;;
    esac
    version=$(sed -n "s/^ *version: '\([^']*\)'.*/\1/p" "$here/../../meson.build" | head -n 1)
    cat >"$3" <<EOF
{
  "v": 2,
  "uuid": "$(uuid_of "$image_key manifest $1")",
  "owner": "00000000-0000-0000-0000-000000000000",
  "name": "$(json_string "$IMAGE_NAME-$1")",
  "version": "$(json_string "${version:-0}-$image_key")",
  "description": "$(json_string "$IMAGE_DESCRIPTION")",
  "state": "active",
  "disabled": false,
  "public": false,
  "published_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "type": "zvol",
  "os": "linux",
  "requirements": $requirements,
  "nic_driver": "$NIC_DRIVER",
  "disk_driver": "$DISK_DRIVER",
  "cpu_type": "host",
  "image_size": $IMAGE_SIZE_MIB,
  "tags": {"kernel_version": "$kver", "flavour": "$flavour"},
  "files": [
    {
      "sha1": "$(sha1sum <"$2" | cut -d' ' -f1)",
      "size": $(stat -c %s "$2"),
      "compression": "none"
    }
  ]
}
EOF
}

for variant in $variants; do
    base=$IMAGE_NAME-$variant
    [ "$flavour" = mdata ] || base=$IMAGE_NAME-$flavour-$variant
    say "disk: $base"
    case $variant in
    bios) build_bios "$work/$base.raw" ;;
    uefi) build_uefi "$work/$base.raw" ;;
    *) die "unknown variant $variant" ;;
    esac
    qemu-img convert -f raw -O qcow2 "$work/$base.raw" "$work/$base.qcow2"
    write_manifest "$variant" "$work/$base.qcow2" "$work/$base.json"
    mv "$work/$base.raw" "$work/$base.qcow2" "$work/$base.json" "$result/"
done
du -sk --apparent-size "$root" | cut -f1 >"$result/root-kib"
mv "$work/root-base-kib" "$result/"
touch "$result/.done"

# Keep the newest two images: each holds about 3 GB (raw and qcow2 of both variants).
ls -dt "$cache"/image-* | tail -n +3 | while read -r old; do rm -rf "$old"; done

[ -z "$output" ] || { mkdir -p "$output"; cp --reflink=auto "$result"/* "$output"/; }
say "done: $result"
echo "$result"
