#!/usr/bin/python3
"""mdata-init's early phase next to cloud-init's own SmartOS client, in one
run: the driver behind `ninja -C BUILD bench-init`.

Starts mdata-emu on a pty with the sample VM, then alternates:
  A  `mdata-init early --root R` on an image root that already booted once
     (a reboot: every key read, every file compared, nothing to write);
  B  a python3 process that imports cloud-init's DataSourceSmartOS and
     fetches the same eleven keys with its JoyentMetadataLegacySerialClient
     over the same pty, as its datasource does (open, flush, negotiate, one
     GET per key, base64 marker handling, close) -- fetching only, no files.
Each figure is the median of --runs runs; syscalls are counted once per
side with `strace -f -c`. Side B is skipped (and said so) where Debian's
cloud-init package or strace is missing. Nothing here is pass/fail.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CLOUDINIT_FETCH = r'''
import sys, time
t0 = time.monotonic()
from cloudinit.sources import DataSourceSmartOS as ds
t1 = time.monotonic()
c = ds.JoyentMetadataLegacySerialClient(sys.argv[1], timeout=60,
                                        smartos_type=ds.SMARTOS_ENV_KVM)
c.open_transport()
md = {}
for k in ("sdc:uuid", "hostname", "sdc:hostname", "sdc:dns_domain",
          "root_authorized_keys", "user-script", "sdc:operator-script",
          "user-data"):
    md[k] = c.get(k)
for k in ("sdc:nics", "sdc:routes", "sdc:resolvers"):
    md[k] = c.get_json(k)
c.close_transport()
t2 = time.monotonic()
assert md["sdc:uuid"], md
print("%f %f" % (t1 - t0, t2 - t1))
'''

PY = "/usr/bin/python3"


def have_cloudinit():
    if not os.path.exists(PY):
        return False
    r = subprocess.run([PY, "-c", "import cloudinit.sources.DataSourceSmartOS, serial"],
                       capture_output=True)
    return r.returncode == 0


def strace_calls(cmd, tmp):
    """Total syscalls of cmd and its children, or None without strace."""
    if shutil.which("strace") is None:
        return None
    out = os.path.join(tmp, "strace.txt")
    r = subprocess.run(["strace", "-f", "-c", "-o", out] + cmd,
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        return None
    for line in open(out):
        t = line.split()
        if t and t[-1] == "total":
            return int(t[3])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--out")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="mdata-init-bench-")
    vm = os.path.join(a.source, "examples", "mdata-emu", "vms", "sample-vm.json")
    emu = subprocess.Popen([a.emu, "--pty", vm], stdout=subprocess.PIPE,
                           stderr=open(os.path.join(tmp, "emu.log"), "wb"))
    lines = []
    try:
        pty = emu.stdout.readline().decode().strip()
        root = os.path.join(tmp, "root")
        os.makedirs(os.path.join(root, "etc"))
        with open(os.path.join(root, "etc", "mdata-init.conf"), "w") as f:
            f.write("ssh_host_keys = no\nmachine_id = no\n")
        init_cmd = [a.init, "early", "--root", root, "-d", pty, "-t", "30"]
        # The first boot writes the files; every measured run is a reboot.
        r = subprocess.run(init_cmd, capture_output=True, timeout=120)
        if r.returncode != 0:
            sys.exit("mdata-init early failed: %s" % r.stderr.decode())

        ci = have_cloudinit()
        ci_cmd = [PY, "-c", CLOUDINIT_FETCH, pty]
        walls = {"init": [], "ci": [], "ci_fetch": [], "ci_import": []}
        for _ in range(a.runs):
            t0 = time.monotonic()
            r = subprocess.run(init_cmd, capture_output=True, timeout=120)
            walls["init"].append(time.monotonic() - t0)
            assert r.returncode == 0, r.stderr
            if ci:
                t0 = time.monotonic()
                r = subprocess.run(ci_cmd, capture_output=True, timeout=120)
                walls["ci"].append(time.monotonic() - t0)
                assert r.returncode == 0, r.stderr
                imp, fetch = map(float, r.stdout.split())
                walls["ci_import"].append(imp)
                walls["ci_fetch"].append(fetch)
        med = {k: statistics.median(v) for k, v in walls.items() if v}
        sys_init = strace_calls(init_cmd, tmp)
        sys_ci = strace_calls(ci_cmd, tmp) if ci else None

        lines.append("mdata-init early phase vs cloud-init's SmartOS client, "
                     "mdata-emu over a pty, median of %d runs" % a.runs)
        lines.append("%-44s %10s %10s" % ("", "wall ms", "syscalls"))
        lines.append("%-44s %10.1f %10s" % (
            "mdata-init early (11 keys + 13 markers, files)",
            med["init"] * 1000, sys_init if sys_init is not None else "n/a"))
        if ci:
            lines.append("%-44s %10.1f %10s" % (
                "cloud-init client, whole process (11 keys)",
                med["ci"] * 1000, sys_ci if sys_ci is not None else "n/a"))
            lines.append("%-44s %10.1f" % ("  of which importing the datasource",
                                           med["ci_import"] * 1000))
            lines.append("%-44s %10.1f" % ("  of which open+flush+fetch+close",
                                           med["ci_fetch"] * 1000))
            lines.append("ratio cloud-init / mdata-init: wall %.1fx (fetch alone "
                         "%.1fx)%s" % (
                             med["ci"] / med["init"], med["ci_fetch"] / med["init"],
                             ", syscalls %.1fx" % (sys_ci / sys_init)
                             if sys_init and sys_ci else ""))
        else:
            lines.append("cloud-init side skipped: %s with cloudinit and serial "
                         "(Debian's cloud-init package) not found" % PY)
    finally:
        emu.terminate()
        emu.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
