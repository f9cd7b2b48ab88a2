#!/usr/bin/env python3
"""Real boots of libmdata's Debian image (examples/image/build-image.sh).

Builds libmdata's Debian packages from this source tree and the image
from them (both cached under /var/cache/libmdata-image, keyed by their
inputs), then boots it under qemu (software emulation) the way a SmartOS
host runs a bhyve or KVM guest: SMBIOS "Joyent" / "SmartDC HVM", COM1 to a
log file, COM2 served by mdata-emu --connect, virtio nics with the MACs of
the served VM object. The served user-script installs a reporter that
prints the guest's state on COM1 ("@@ name value" lines) and powers off;
this script decides. Boots, each on a copy-on-write overlay of one image:
  1. first boot (SeaBIOS, virtio-blk): configured as the metadata says;
  2. reboot, same metadata: nothing regenerated or rewritten, the
     user-script ran again;
  3. a new instance (other sdc:uuid, hostname, key) on a disk enlarged by
     GROW: new host keys and machine-id, new hostname and key block, the
     user's own key kept, the root partition and file system grown;
  4. the same disk on AHCI: boots and configures;
  5. the UEFI variant under OVMF, first boot, its disk enlarged too:
     grown (GPT);
  6. the metadata service down, the disk on NVMe: the boot completes with
     the last configuration and the console says why.
The other boots must leave the root's size as it was.
Exit 0 all passed, 1 some failed, 77 skipped (qemu or mmdebstrap cannot be
had here).
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "common"))
sys.path.insert(0, here)
from netcheck import Checks, check_network  # noqa: E402
from imagekit import (SKIP, CACHE, OVMF_VARS, log, run, prepare, debs, destdir,  # noqa: E402
                      build_image, image_file, overlay, instance, Boot)

# Root's keys of the two instances (well-formed ed25519 public keys; no
# one holds their private halves).
KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqXgRLKG73K+sIxs5oj3E2nhu/4FHxOcrmAd4Wv7ki7 admin@instance-a"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID4j6BYAOVlKM4lPZWThsTSLvXoAiNQsSstz7q7VnACd admin@instance-b"
OWN_KEY_MARK = "user@own"  # the key tests/image/user-script.sh adds itself
GROW = 2 << 30  # what boots 3 and 5 add to the disk (qemu-img resize)
GIB = float(1 << 30)


# ---- what a report must show ----------------------------------------------

def runs(got, name):
    """The boot ids of a script's runs so far."""
    return [r.split()[0] for r in got.get(name, "").split(";") if r.strip()]


def authorized_keys(got):
    try:
        return base64.b64decode(got.get("authorized-keys", "")).decode(errors="replace")
    except ValueError:
        return ""


def host_keys(got):
    return sorted(k for k in got.get("host-keys", "").split(";") if k)


def check_dhcp(c, name, got, vm):
    """The dhcp nic got a lease from qemu's DHCP server (10.0.2.0/24)."""
    try:
        addrs = json.loads(got.get("ip-addr", "[]"))
    except ValueError:
        addrs = []
    for nic in vm["nics"]:
        if nic.get("ip") != "dhcp":
            continue
        have = [a["local"] for link in addrs if link.get("address") == nic["mac"]
                for a in link.get("addr_info", []) if a.get("family") == "inet"]
        c.check(any(a.startswith("10.0.2.") for a in have),
                "%s: the dhcp nic %s has a lease" % (name, nic["mac"]), have)


def root_sizes(got):
    """(disk, partition's start, partition's end, file system), bytes,
    from the report; None when a line is missing or malformed."""
    try:
        disk = [int(f[1]) for f in (l.split(" ") for l in got["lsblk"].split(";"))
                if len(f) >= 3 and f[2] == "disk"][0]
        start, size = (int(v) * 512 for v in got["root-part"].split(";"))
        blocks, bsize = (int(v) for v in got["root-fs"].split(";"))
        return disk, start, start + size, blocks * bsize
    except (KeyError, ValueError, IndexError):
        return None


def grew(b):
    """growroot's lines on the boot's console."""
    return [l.strip() for l in b.text.splitlines()
            if "mdata-init" in l and ("root partition" in l or "root file system" in l)]


def check_root_kept(c, name, b, before):
    """The root's sizes are those before (the image's, or the last boot's);
    growroot said nothing."""
    if "end" not in b.report:
        return
    c.check(root_sizes(b.report) == before, "%s: the root partition and file system as they were" % name,
            (before, root_sizes(b.report), b.report.get("df-root")))
    c.check(not grew(b), "%s: growroot did nothing" % name, grew(b))


def check_root_grown(c, name, b, image_bytes, table):
    """On a disk GROW larger than the image: the root partition reaches the
    disk's end (on GPT, its backup table's 33 sectors), the file system
    fills the partition, the console says both grew."""
    if "end" not in b.report:
        return
    sizes = root_sizes(b.report)
    c.check(sizes is not None and sizes[0] == image_bytes + GROW,
            "%s: the disk is %.0f GiB larger than the image" % (name, GROW / GIB), sizes)
    if sizes is None:
        return
    disk, start, end, fs = sizes
    tail = 33 * 512 if table == "GPT" else 0
    c.check(disk - end == tail, "%s: the root partition ends at the disk's end (%s)" % (name, table),
            (disk, end))
    c.check(0 <= end - start - fs < 4096, "%s: the root file system fills its partition" % name,
            (end - start, fs, b.report.get("df-root")))
    said = grew(b)
    c.check(any("(%s) grown" % table in l for l in said) and any("root file system (ext4) grown" in l for l in said),
            "%s: the console says the root partition (%s) and file system grew" % (name, table), said)
    for l in said:
        log("  console: " + l)


def check_configured(c, name, got, vm, key):
    """Everything the metadata says, as the guest shows it."""
    if "end" not in got:
        return  # no report: the boot's failure says why
    check_network(c, got, vm)
    check_dhcp(c, name, got, vm)
    dns = got.get("dns", "")
    for r in vm["resolvers"]:
        c.check(r in dns, "%s: resolver %s in resolved" % (name, r), dns)
    c.check(vm["dns_domain"] in got.get("domain", ""), "%s: search domain %s" % (name, vm["dns_domain"]),
            got.get("domain"))
    c.check(got.get("hostname") == vm["hostname"], "%s: hostname %s" % (name, vm["hostname"]),
            got.get("hostname"))
    fqdn = "%s.%s" % (vm["hostname"], vm["dns_domain"])
    c.check(got.get("fqdn") == fqdn, "%s: hostname -f is %s" % (name, fqdn), got.get("fqdn"))
    keys = authorized_keys(got)
    c.check(key in keys, "%s: root's authorized_keys has the instance's key" % name, keys)
    hk = host_keys(got)
    c.check(len(hk) >= 2 and all("SHA256:" in k for k in hk), "%s: SSH host keys made" % name, hk)
    c.check(got.get("sshd") == "active", "%s: sshd runs" % name, got.get("sshd"))
    mid = got.get("machine-id", "")
    c.check(len(mid) == 32 and all(ch in "0123456789abcdef" for ch in mid),
            "%s: a machine-id" % name, mid)
    boot_id = got.get("boot-id")
    c.check(boot_id in runs(got, "user-script-runs"), "%s: the user-script ran in this boot" % name,
            got.get("user-script-runs"))
    c.check(boot_id in runs(got, "operator-script-runs"),
            "%s: the operator-script ran in this boot" % name, got.get("operator-script-runs"))
    c.check(got.get("failed-units") == "", "%s: no failed units" % name, got.get("failed-units"))


def boot(c, kit, name, disk, vm, serve=True, bus="virtio", uefi=None):
    b = Boot(kit["emu"], kit["work"], name, disk, vm, kit["vm-path"][vm["uuid"]], serve, bus, uefi)
    c.check(b.ok, "%s: the guest booted, reported on COM1 and powered off" % name, b.failure())
    if "uptime" in b.report:
        log("  guest uptime at its report: %s s" % b.report["uptime"])
    # Where the boot's time went (uptime, s): for the README's figures and
    # to see growroot stays off the path to the network and user-script.
    marks = []
    try:
        t0, t1 = (int(v) / 1e6 for v in b.report.get("growroot-us", "").split())
        marks.append("growroot %.2f-%.2f (%.2f s)" % (t0, t1, t1 - t0))
    except ValueError:
        pass
    if b.report.get("network-online-us", "").isdigit():
        marks.append("network-online %.2f" % (int(b.report["network-online-us"]) / 1e6))
    if "user-script-ran" in b.report:
        marks.append("user-script %s" % b.report["user-script-ran"])
    if marks:
        log("  uptime marks: " + ", ".join(marks))
    return b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root", required=True, help="the meson build with mdata-emu")
    ap.add_argument("--work", help="logs and overlays (default BUILD/tests/image/work)")
    args = ap.parse_args()
    source = os.path.abspath(args.source_root)
    build = os.path.abspath(args.build_root)

    why = prepare(source)
    if why:
        log("SKIP: " + why)
        return SKIP
    began = time.monotonic()
    work = args.work or os.path.join(build, "tests", "image", "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(CACHE, exist_ok=True)
    c = Checks()

    try:
        if os.path.isdir(os.path.join(source, "debian")):
            payload = ["--debs", debs(source, CACHE)]
        else:
            payload = ["--destdir", destdir(source, build)]
        images = build_image(source, payload)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        c.check(False, "the image builds", str(e))
        return 1
    log("ingredients ready in %.0f s" % (time.monotonic() - began))

    with open(os.path.join(source, "tests", "image", "user-script.sh")) as f:
        user_script = f.read()
    sample = os.path.join(source, "examples", "mdata-emu", "vms", "sample-vm.json")
    vm_a = instance(sample, "8d2f6a44-1c3b-4e5f-9a7d-2b6c8e0f1a3d", "guest-image-a", KEY_A, user_script)
    vm_b = instance(sample, "5c8e2b1d-7f3a-4d6e-8b9c-0a1e2f3d4c5b", "guest-image-b", KEY_B, user_script)
    kit = {"emu": os.path.join(build, "examples", "mdata-emu", "mdata-emu"), "work": work, "vm-path": {}}
    for tag, vm in (("a", vm_a), ("b", vm_b)):
        path = kit["vm-path"][vm["uuid"]] = os.path.join(work, "vm-%s.json" % tag)
        with open(path, "w") as f:
            json.dump(vm, f, indent=1)
    disk = overlay(image_file(images, "bios"), os.path.join(work, "bios.qcow2"))
    image_bytes = json.loads(run(["qemu-img", "info", "--output=json", disk]).stdout)["virtual-size"]

    log("== boot 1: first boot (SeaBIOS, virtio-blk)")
    b1 = boot(c, kit, "boot1", disk, vm_a)
    g1 = b1.report
    if "end" in g1:
        c.check((root_sizes(g1) or [None])[0] == image_bytes, "boot1: the disk is the image's size",
                root_sizes(g1))
        c.check(not grew(b1), "boot1: growroot did nothing", grew(b1))
    check_configured(c, "boot1", g1, vm_a, KEY_A)
    c.check(OWN_KEY_MARK in authorized_keys(g1), "boot1: the user's own key added by the user-script",
            authorized_keys(g1))

    log("== boot 2: reboot, same metadata")
    b2 = boot(c, kit, "boot2", disk, vm_a)
    g2 = b2.report
    check_root_kept(c, "boot2", b2, root_sizes(g1))
    check_configured(c, "boot2", g2, vm_a, KEY_A)
    c.check(len(runs(g2, "user-script-runs")) == 2, "boot2: the user-script ran again (2 runs)",
            g2.get("user-script-runs"))
    c.check(host_keys(g2) == host_keys(g1), "boot2: host keys kept", (host_keys(g1), host_keys(g2)))
    c.check(g2.get("machine-id") == g1.get("machine-id"), "boot2: machine-id kept")
    c.check(authorized_keys(g2) == authorized_keys(g1), "boot2: authorized_keys unchanged")
    f1 = set(g1.get("files", "").split(";"))
    f2 = set(g2.get("files", "").split(";"))
    c.check(f1 == f2 and len(f1) > 3, "boot2: no file rewritten (inode and mtime of %d files)" % len(f1),
            "changed: %s" % sorted(f1 ^ f2))

    log("== boot 3: a new instance (another uuid, hostname and key) on a disk %.0f GiB larger" % (GROW / GIB))
    run(["qemu-img", "resize", "-q", disk, str(image_bytes + GROW)])
    b3 = boot(c, kit, "boot3", disk, vm_b)
    g3 = b3.report
    check_root_grown(c, "boot3", b3, image_bytes, "MBR")
    check_configured(c, "boot3", g3, vm_b, KEY_B)
    c.check(not set(host_keys(g3)) & set(host_keys(g2)), "boot3: new host keys",
            (host_keys(g2), host_keys(g3)))
    c.check(g3.get("machine-id") != g2.get("machine-id"), "boot3: a new machine-id")
    keys3 = authorized_keys(g3)
    c.check(KEY_A not in keys3, "boot3: the old instance's key is gone", keys3)
    c.check(OWN_KEY_MARK in keys3, "boot3: the user's own key is kept", keys3)

    log("== boot 4: the same disk on AHCI")
    b4 = boot(c, kit, "boot4", disk, vm_b, bus="ahci")
    g4 = b4.report
    check_root_kept(c, "boot4", b4, root_sizes(g3))
    check_configured(c, "boot4", g4, vm_b, KEY_B)
    c.check(host_keys(g4) == host_keys(g3), "boot4: host keys kept")

    log("== boot 5: the UEFI variant under OVMF, on a disk %.0f GiB larger" % (GROW / GIB))
    vars_fd = os.path.join(work, "uefi-vars.fd")
    shutil.copy(OVMF_VARS, vars_fd)
    uefi_disk = overlay(image_file(images, "uefi"), os.path.join(work, "uefi.qcow2"))
    run(["qemu-img", "resize", "-q", uefi_disk, str(image_bytes + GROW)])
    b5 = boot(c, kit, "boot5", uefi_disk, vm_a, uefi=vars_fd)
    g5 = b5.report
    check_root_grown(c, "boot5", b5, image_bytes, "GPT")
    check_configured(c, "boot5", g5, vm_a, KEY_A)

    log("== boot 6: the metadata service down (nothing on COM2), the disk on NVMe")
    b6 = boot(c, kit, "boot6", disk, vm_b, serve=False, bus="nvme")
    g6 = b6.report
    if b6.ok:
        check_network(c, g6, vm_b)
    check_root_kept(c, "boot6", b6, root_sizes(g3))
    c.check(g6.get("hostname") == vm_b["hostname"], "boot6: the last hostname kept", g6.get("hostname"))
    c.check(host_keys(g6) == host_keys(g3), "boot6: host keys kept")
    c.check(g6.get("machine-id") == g3.get("machine-id"), "boot6: machine-id kept")
    c.check(KEY_B in authorized_keys(g6), "boot6: the last key block kept")
    why = [l for l in b6.text.splitlines() if "mdata-init" in l and "metadata" in l.lower()]
    c.check(bool(why), "boot6: the console says the metadata service did not answer", b6.failure())
    for l in why[:5]:
        log("  console: " + l.strip())

    log("image suite took %.0f s" % (time.monotonic() - began))
    log("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
