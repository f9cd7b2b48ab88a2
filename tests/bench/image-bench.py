#!/usr/bin/env python3
"""libmdata's image against the same base image with Debian's cloud-init.

Two images from one base (examples/image/build-image.sh, BIOS variant):
ours (libmdata's packages, mdata-init) and the peer (Debian's cloud-init
with `datasource_list: [ SmartOS ]`, no libmdata). Both carry the same
console mark, a unit that prints "@@ network-online UPTIME" on COM1 once
network-online.target is reached. Each boots on the same metadata (the
sample VM and tests/image/user-script.sh, which marks its start and
installs the reporter that prints the guest's state and powers off),
alternately, ROUNDS times each, in one run. Reported: seconds from qemu's
start to the network mark and to the user-script, the bytes each adds to
the base, and every difference between the two guests' addresses, routes,
DNS and host name, with which one the metadata asks for.

Needs root (the image build). Run: ninja -C BUILD bench-image.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "image"))
from imagekit import (CACHE, log, prepare, debs, build_image, image_file, overlay,  # noqa: E402
                      instance, Boot)

MARK_UNIT = """[Unit]
Description=Benchmark mark: network-online.target reached (tests/bench/image-bench.py)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "@@ network-online $(cut -d" " -f1 /proc/uptime)" >/dev/ttyS0'

[Install]
WantedBy=multi-user.target
"""


def mark_overlay(path):
    units = os.path.join(path, "etc", "systemd", "system")
    os.makedirs(os.path.join(units, "multi-user.target.wants"))
    with open(os.path.join(units, "bench-network-mark.service"), "w") as f:
        f.write(MARK_UNIT)
    os.symlink("../bench-network-mark.service",
               os.path.join(units, "multi-user.target.wants", "bench-network-mark.service"))
    return path


# ---- the guest's network as sets of comparable facts ----------------------

def facts(report, vm):
    """Addresses, routes, DNS and names, with interfaces named by the
    metadata's nic (net0, net1...) found by MAC."""
    nic_of = {}
    out = set()
    try:
        links = json.loads(report.get("ip-link", "[]"))
        addrs = json.loads(report.get("ip-addr", "[]"))
        routes = (json.loads(report.get("ip-route4", "[]"))
                  + json.loads(report.get("ip-route6", "[]")))
    except ValueError:
        return {("report", "unreadable")}
    macs = {n["mac"]: n["interface"] for n in vm["nics"]}
    for link in links:
        if link.get("address") in macs:
            nic_of[link["ifname"]] = macs[link["address"]]
            out.add(("mtu", nic_of[link["ifname"]], str(link.get("mtu"))))
    for link in addrs:
        nic = nic_of.get(link["ifname"])
        for a in link.get("addr_info", []):
            if nic and a.get("scope") == "global":
                dhcp = a["local"].startswith("10.0.2.")  # qemu's DHCP lease
                out.add(("address", nic, "(dhcp lease)" if dhcp else "%s/%d" % (a["local"], a["prefixlen"])))
    for r in routes:
        dev = nic_of.get(r.get("dev"), r.get("dev"))
        if r.get("dst", "").startswith("fe80:") or r.get("type") in ("multicast", "broadcast"):
            continue
        dst = r.get("dst")
        if dst == "default" and "gateway" in r and r["gateway"].startswith("10.0.2."):
            dst, gw = "default", "(dhcp router)"
        else:
            gw = r.get("gateway", "on-link")
        if dst.startswith("10.0.2."):
            dst = "(dhcp subnet)"
        out.add(("route", dst, "via %s dev %s" % (gw, dev)))
    for part in report.get("dns", "").split(";"):
        label, _, servers = part.partition(":")
        where = label.strip()
        for ifname, nic in nic_of.items():
            where = where.replace("(%s)" % ifname, "(%s)" % nic)
        for s in servers.split():
            out.add(("dns server", "10.0.2.3 (dhcp)" if s == "10.0.2.3" else s, where))
    for part in report.get("domain", "").split(";"):
        for d in part.partition(":")[2].split():
            out.add(("search domain", d, ""))
    out.add(("hostname", report.get("hostname", ""), ""))
    out.add(("hostname -f", report.get("fqdn", ""), ""))
    return out


def expected(vm):
    """What the metadata asks for, in the same terms (DNS without its link)."""
    want = set()
    for nic in vm["nics"]:
        for ip in nic.get("ips", []):
            if ip not in ("dhcp", "addrconf"):
                want.add(("address", nic["interface"], ip))
        if "mtu" in nic:
            want.add(("mtu", nic["interface"], str(nic["mtu"])))
        if nic.get("primary"):
            for gw in nic.get("gateways", []):
                want.add(("route", "default", "via %s dev %s" % (gw, nic["interface"])))
    by_mac = {n["mac"].lower(): n for n in vm["nics"]}
    for dst, gw in vm.get("routes", {}).items():
        d = dst  # ip prints a host route without /32, as the metadata names it
        if gw.startswith("nics["):
            nic = vm["nics"][int(gw[5:-1])]
        elif gw.startswith("macs["):
            nic = by_mac[gw[5:-1].lower()]
        else:
            want.add(("route", d, "via %s dev *" % gw))
            continue
        if nic.get("ip") != "dhcp":  # a route through a dhcp nic: the host drops it
            want.add(("route", d, "via on-link dev %s" % nic["interface"]))
    for r in vm.get("resolvers", []):
        want.add(("dns server", r, "*"))
    want.add(("search domain", vm["dns_domain"], ""))
    want.add(("hostname", vm["hostname"], ""))
    want.add(("hostname -f", "%s.%s" % (vm["hostname"], vm["dns_domain"]), ""))
    return want


def asked(fact, want):
    """Whether the metadata asks for this fact (wildcards: any link/dev)."""
    kind, a, b = fact
    for w in want:
        if w[0] != kind or w[1] != a:
            continue
        if w[2] == b or w[2] == "*" or (w[2].endswith("dev *") and b.startswith(w[2][:-1])):
            return True
    return False


def judge(ours, theirs, want):
    lines = []
    for fact in sorted(ours ^ theirs):
        side = "libmdata only  " if fact in ours else "cloud-init only"
        other = theirs if fact in ours else ours
        if fact[0] == "dns server" and any(f[0] == "dns server" and f[1] == fact[1] for f in other):
            verdict = "a server both have, on other links: both resolve"
        elif asked(fact, want):
            verdict = "asked for by the metadata: %s right" % (
                "libmdata" if fact in ours else "cloud-init")
        else:
            verdict = "not in the metadata: %s wrong" % ("libmdata" if fact in ours else "cloud-init")
        lines.append("  %s  %-13s %-28s %-34s %s" % (side, fact[0], fact[1], fact[2], verdict))
    missing = [w for w in sorted(want) if not asked_any(w, ours) or not asked_any(w, theirs)]
    for w in missing:
        who = [n for n, got in (("libmdata", ours), ("cloud-init", theirs)) if not asked_any(w, got)]
        lines.append("  missing in %s: %s %s %s" % (" and ".join(who), w[0], w[1], w[2]))
    return lines


def asked_any(w, got):
    return any(asked(f, {w}) for f in got)


# ---- where the time went --------------------------------------------------

def phases(results):
    """Each image's time to its user-script in three parts (medians): from
    qemu's start to the kernel's (firmware, GRUB, the kernel unpacking
    itself), the kernel and initramfs up to systemd's start, and systemd's
    units up to the user-script; then when the units on the way ran."""
    out = ["where the time to the user-script went (medians; seconds):",
           "                           firmware+GRUB+unpacking   kernel+initramfs   systemd to the script"]
    chains = []
    for name, boots in results.items():
        pre, kern, user = [], [], []
        for b in boots:
            try:
                up = float(b.report["user-script-ran"].split()[0])
                started = int(b.report["userspace-start-us"]) / 1e6
                pre.append(b.marks["user-script-ran"] - up)
            except (KeyError, ValueError, IndexError):
                continue
            kern.append(started)
            user.append(up - started)
        out.append("  %-24s %12s %22s %20s" % (name, fmt(pre), fmt(kern), fmt(user)))
        if boots and boots[0].report.get("unit-times"):
            chains.append("  %s: %s" % (name, "; ".join(boots[0].report["unit-times"].split(";"))))
        if boots and boots[0].report.get("systemd-start"):
            # GeneratorsStart=US;GeneratorsFinish=US;UnitsLoadStart=US;UnitsLoadFinish=US
            t = dict(kv.split("=", 1) for kv in boots[0].report["systemd-start"].split(";") if "=" in kv)
            try:
                chains.append("  %s: systemd's generators %.2f-%.2f, unit loading %.2f-%.2f" % (
                    name, int(t["GeneratorsStart"]) / 1e6, int(t["GeneratorsFinish"]) / 1e6,
                    int(t["UnitsLoadStart"]) / 1e6, int(t["UnitsLoadFinish"]) / 1e6))
            except (KeyError, ValueError):
                pass
    out.append("units on the way, first boot (seconds of uptime: started-up):")
    return out + (chains or ["  (not reported)"]) + [""]


# ---- the run ----------------------------------------------------------------

def fmt(xs):
    return "%.1f" % statistics.median(xs) if xs else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root", required=True)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("IMAGE_BENCH_ROUNDS", "1")))
    ap.add_argument("--out", help="also write the table here")
    args = ap.parse_args()
    source = os.path.abspath(args.source_root)
    build = os.path.abspath(args.build_root)
    why = prepare(source)
    if why:
        log("image-bench: " + why)
        return 1
    work = os.path.join(build, "tests", "bench", "image-work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    overlay_dir = mark_overlay(tempfile.mkdtemp(prefix="mark-", dir=work))

    t0 = time.monotonic()
    pkgs = debs(source, CACHE)
    images = {
        "libmdata": build_image(source, ["--debs", pkgs, "--overlay", overlay_dir, "--variants", "bios"]),
        "cloud-init": build_image(source, ["--cloud-init", "--overlay", overlay_dir, "--variants", "bios"]),
    }
    log("images ready in %.0f s" % (time.monotonic() - t0))

    with open(os.path.join(source, "tests", "image", "user-script.sh")) as f:
        user_script = f.read()
    sample = os.path.join(source, "examples", "mdata-emu", "vms", "sample-vm.json")
    with open(sample) as f:
        key = json.load(f)["customer_metadata"]["root_authorized_keys"].strip()
    vm = instance(sample, "8d2f6a44-1c3b-4e5f-9a7d-2b6c8e0f1a3d", "guest-bench", key, user_script)
    vm_path = os.path.join(work, "vm.json")
    with open(vm_path, "w") as f:
        json.dump(vm, f)
    emu = os.path.join(build, "examples", "mdata-emu", "mdata-emu")

    results = {name: [] for name in images}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load0 = open("/proc/loadavg").read().split()[:3]
    for r in range(args.rounds):
        for name in ("libmdata", "cloud-init") if r % 2 == 0 else ("cloud-init", "libmdata"):
            log("== round %d: %s" % (r + 1, name))
            disk = overlay(image_file(images[name], "bios"), os.path.join(work, "%s-%d.qcow2" % (name, r)))
            b = Boot(emu, work, "%s-%d" % (name, r), disk, vm, vm_path)
            if not b.ok:
                log("  the boot did not end as it should:" + b.failure())
            results[name].append(b)
            log("  network mark %s s, user-script %s s after qemu's start" % (
                b.marks.get("network-online"), b.marks.get("user-script-ran")))
    load1 = open("/proc/loadavg").read().split()[:3]

    def kib(name, what):
        with open(os.path.join(images[name], what)) as f:
            return int(f.read())

    base = kib("libmdata", "root-base-kib")
    added = {"libmdata": kib("libmdata", "root-kib") - base,
             "cloud-init": kib("cloud-init", "root-kib") - base}

    def series(name, mark):
        return [b.marks[mark] for b in results[name] if mark in b.marks]

    def guest(name, mark):
        vals = []
        for b in results[name]:
            v = b.report.get(mark)
            try:
                vals.append(float(v.split()[0]))
            except (AttributeError, ValueError, IndexError):
                pass
        return vals

    out = ["libmdata image vs Debian's cloud-init on the same base, %s" % started,
           "machine: %d cpus; qemu software emulation, 2 vCPUs, 1 GiB; load average %s -> %s" % (
               os.cpu_count(), " ".join(load0), " ".join(load1)),
           "medians of %d boot(s) each, alternating; seconds from qemu's start (guest uptime in brackets)" % (
               args.rounds),
           "",
           "                           libmdata           cloud-init         cloud-init / libmdata (uptime)"]
    for label, mark in (("network-online mark", "network-online"), ("user-script running", "user-script-ran")):
        a, b = series("libmdata", mark), series("cloud-init", mark)
        ga, gb = guest("libmdata", mark), guest("cloud-init", mark)
        ratio = "%.1fx" % (statistics.median(b) / statistics.median(a)) if a and b else "-"
        gratio = "%.1fx" % (statistics.median(gb) / statistics.median(ga)) if ga and gb else "-"
        out.append("  %-24s %6s s (%6s)   %6s s (%6s)   %s (%s)" % (
            label, fmt(a), fmt(ga), fmt(b), fmt(gb), ratio, gratio))
    out.append("  %-24s %6.1f MB           %6.1f MB           %.0fx" % (
        "bytes added to the base", added["libmdata"] / 1024, added["cloud-init"] / 1024,
        added["cloud-init"] / max(added["libmdata"], 1)))
    out.append("  (installed files, apparent size; the base without either: %.0f MB)" % (base / 1024))
    out.append("")
    out += phases(results)
    ok = {n: [b for b in results[n] if b.ok] for n in results}
    if ok["libmdata"] and ok["cloud-init"]:
        want = expected(vm)
        ours, theirs = facts(ok["libmdata"][0].report, vm), facts(ok["cloud-init"][0].report, vm)
        for name in ("libmdata", "cloud-init"):
            out.append("failed units, %-10s: %s" % (name, ok[name][0].report.get("failed-units") or "none"))
        out.append("network and names, libmdata vs cloud-init (facts only one of them has):")
        diff = judge(ours, theirs, want)
        out += diff or ["  none"]
    else:
        out.append("no comparison of the network: a boot failed (see above)")
    text = "\n".join(out)
    log("")
    log(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
