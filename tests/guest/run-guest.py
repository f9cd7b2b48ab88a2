#!/usr/bin/env python3
"""A real Linux guest under qemu talks to mdata-emu through its COM2 UART.

Boots Debian's kernel (software emulation, no KVM needed) with an initramfs
made here from busybox-static, iproute2's ip and statically linked
libmdata tools. The guest's second serial port is a qemu
`-chardev socket,server=on`, served by `mdata-emu --connect`: the topology
of a SmartOS host. Three boots:
  1. every kind of key, put/list/delete, two processes at once on the
     line, mdata-netcfg -f ip applied and read back with ip -j, a 1 MiB
     GET timed at several UART speeds; then a reboot (qemu exits, as bhyve
     does, and is started again);
  2. the same emulator reconnected: a GET, then another reboot;
  3. a new emulator, from the state the first one saved, that loses and
     corrupts replies: every GET must still give the right value.
The guest prints results; this script decides. Exit 0 all passed, 1 some
failed, 77 skipped (qemu cannot run here).
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from netcheck import Checks, check_network  # noqa: E402

SKIP = 77
BOOT_TIMEOUT = float(os.environ.get("MDATA_GUEST_BOOT_TIMEOUT", "600"))


def log(msg=""):
    print(msg, flush=True)


# ---- ingredients -------------------------------------------------------

def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def kernel_and_modules(cache):
    """vmlinuz and e1000.ko from Debian's kernel package, unpacked with
    dpkg-deb (nothing installed into /boot)."""
    root = os.path.join(cache, "kroot")
    done = os.path.join(root, ".unpacked")
    if not os.path.exists(done):
        deb = os.environ.get("MDATA_GUEST_KERNEL_DEB")
        if not deb:
            deps = run(["apt-cache", "depends", "linux-image-amd64"]).stdout
            names = [l.split(":", 1)[1].strip() for l in deps.splitlines()
                     if l.strip().startswith("Depends: linux-image-")]
            if not names:
                raise RuntimeError("no linux-image package known to apt")
            subprocess.run(["apt-get", "download", names[0]], cwd=cache,
                           check=True, capture_output=True)
            debs = [f for f in os.listdir(cache) if f.startswith(names[0] + "_")]
            deb = os.path.join(cache, debs[0])
        shutil.rmtree(root, ignore_errors=True)
        run(["dpkg-deb", "-x", deb, root])
        open(done, "w").close()
    vmlinuz = [f for f in os.listdir(os.path.join(root, "boot")) if f.startswith("vmlinuz-")]
    kver = vmlinuz[0][len("vmlinuz-"):]
    e1000 = os.path.join(root, "lib", "modules", kver, "kernel", "drivers", "net",
                         "ethernet", "intel", "e1000", "e1000.ko")
    return os.path.join(root, "boot", vmlinuz[0]), e1000


def static_tools(source, out):
    """The tools, linked statically (Debian ships libuv.a and libjansson.a)."""
    if not os.path.exists(os.path.join(out, "build.ninja")):
        run(["meson", "setup", out, source, "-Ddefault_library=static",
             "-Dprefer_static=true", "-Dc_link_args=-static", "-Dtests=disabled",
             "-Dbuildtype=release"])
    targets = ["examples/mdata-tools/" + t for t in
               ("mdata-get", "mdata-put", "mdata-list", "mdata-delete")]
    targets.append("examples/mdata-netcfg/mdata-netcfg")
    run(["ninja", "-C", out] + targets)
    return [os.path.join(out, t) for t in targets]


def with_libraries(binary):
    """A dynamic binary and every library ldd names, loader included."""
    files = [os.path.realpath(binary)]
    out = run(["ldd", binary]).stdout
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and parts[parts.index("=>") + 1].startswith("/"):
            files.append(parts[parts.index("=>") + 1])
        elif parts and parts[0].startswith("/"):
            files.append(parts[0])
    return files


def cpio_newc(entries):
    """An initramfs archive: entries are (path, mode, bytes) for files and
    (path, stat.S_IFDIR | perms, None) for directories."""
    out = bytearray()
    ino = 1
    for path, mode, data in entries + [("TRAILER!!!", 0, b"")]:
        data = data or b""
        name = path.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name), 0]
        out += b"070701" + b"".join(b"%08x" % f for f in fields) + name
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
        ino += 1
    return bytes(out)


def make_initramfs(path, init, busybox, tools, e1000):
    entries = []
    dirs = set()

    def add_dir(d):
        if d in ("", "/") or d in dirs:
            return
        add_dir(os.path.dirname(d))
        dirs.add(d)
        entries.append((d.lstrip("/"), stat.S_IFDIR | 0o755, None))

    def add_file(dest, src, mode=0o755):
        add_dir(os.path.dirname(dest))
        with open(src, "rb") as f:
            entries.append((dest.lstrip("/"), stat.S_IFREG | mode, f.read()))

    for d in ("/bin", "/sbin", "/dev", "/proc", "/sys", "/tmp", "/lib/modules"):
        add_dir(d)
    add_file("/init", init)
    add_file("/bin/busybox", busybox)
    for t in tools:
        add_file("/bin/" + os.path.basename(t), t)
    add_file("/lib/modules/e1000.ko", e1000, 0o644)
    ip = shutil.which("ip") or "/sbin/ip"
    libs = with_libraries(ip)
    add_file("/opt/iproute2/ip", libs[0])
    for lib in libs[1:]:
        add_file(lib, lib)
    # The loader is looked up under the name the binary asks for.
    with open(path, "wb") as f:
        f.write(cpio_newc(entries))


def guest_vm(sample, path):
    """The sample VM plus what the scenario reads: a 1 MiB value and a
    binary one (UTF-8-valid, NULs included: the host keeps values as
    text)."""
    with open(sample) as f:
        vm = json.load(f)
    big = "".join(chr(32 + (i * 7) % 95) for i in range(4096)) * 256
    vm["customer_metadata"]["big"] = big
    vm["customer_metadata"]["medium"] = big[:65536]
    vm["customer_metadata"]["binary"] = "nul\0inside é€ and\0more\n.\n"
    with open(path, "w") as f:
        json.dump(vm, f)
    return vm


# ---- processes ---------------------------------------------------------

class Emu:
    def __init__(self, binary, vm, workdir, name, *args):
        self.log = os.path.join(workdir, name + ".log")
        self.proc = subprocess.Popen([binary, "-v"] + list(args) + [vm],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "wb"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def wait_socket(path, timeout=30):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise TimeoutError("no socket at " + path)
        time.sleep(0.05)


def boot(qemu_cmd, console, timeout):
    """One boot; returns the console text. The guest ends each boot with
    reboot -f or poweroff -f, and -no-reboot makes qemu exit either way."""
    began = time.monotonic()
    with open(console, "wb") as out:
        proc = subprocess.Popen(qemu_cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            log("  qemu killed after %.0f s" % timeout)
    with open(console, "rb") as f:
        text = f.read().decode(errors="replace")
    log("--- guest console (%.1f s) ---" % (time.monotonic() - began))
    for line in text.splitlines():
        log("| " + line.rstrip("\r"))
    log("--- end of console ---")
    return text


def results(text):
    """The guest's "@@ name rest" lines as {name: rest}."""
    got = {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith("@@ "):
            parts = line[3:].split(" ", 1)
            got[parts[0]] = parts[1] if len(parts) > 1 else ""
    return got


def md5(data):
    return hashlib.md5(data).hexdigest()


# ---- what the guest should have seen ----------------------------------

def host_tool(tools_dir, sock, *args, stdin=b""):
    p = subprocess.run([os.path.join(tools_dir, args[0]), "-d", sock, "-t", "30"] + list(args[1:]),
                       input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout


def expectations(emu_bin, tools_dir, vm_path, workdir):
    """Ask a second emulator serving the same VM, over a socket, with the
    host build of the tools: the bytes the guest's tools must print."""
    sock = os.path.join(workdir, "ref.sock")
    ref = Emu(emu_bin, vm_path, workdir, "emu-ref", "--socket", sock)
    try:
        wait_socket(sock)
        exp = {}
        for name, key in (("uuid", "sdc:uuid"), ("nics", "sdc:nics"), ("routes", "sdc:routes"),
                          ("user-script", "user-script"), ("binary", "binary"), ("big", "big"),
                          ("medium", "medium")):
            rc, out = host_tool(tools_dir, sock, "mdata-get", key)
            exp[name] = (rc, md5(out))
        exp["missing"] = host_tool(tools_dir, sock, "mdata-get", "no-such-key")[0]
        host_tool(tools_dir, sock, "mdata-put", "guest-put", "written by the guest")
        rc, out = host_tool(tools_dir, sock, "mdata-list")
        exp["list"] = (rc, md5(out))
        exp["get-put"] = (0, md5(b"written by the guest\n"))
        return exp
    finally:
        ref.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root", required=True, help="the meson build with mdata-emu and the tools")
    ap.add_argument("--work", help="work directory (default: a new temporary one)")
    ap.add_argument("--cache", help="where the kernel and static build are kept")
    args = ap.parse_args()

    qemu = shutil.which("qemu-system-x86_64")
    busybox = shutil.which("busybox") or "/bin/busybox"
    if qemu is None:
        log("SKIP: qemu-system-x86_64 is not installed")
        return SKIP
    if not os.path.exists(busybox) or subprocess.run(["ldd", busybox], capture_output=True).returncode == 0:
        log("SKIP: a static busybox (busybox-static) is not installed")
        return SKIP
    probe = subprocess.run([qemu, "-machine", "help"], capture_output=True)
    if probe.returncode != 0:
        log("SKIP: qemu-system-x86_64 cannot run here: %s" % probe.stderr.decode(errors="replace"))
        return SKIP

    emu_bin = os.path.join(args.build_root, "examples", "mdata-emu", "mdata-emu")
    tools_dir = os.path.join(args.build_root, "examples", "mdata-tools")
    cache = args.cache or os.path.join(args.build_root, "tests", "guest", "cache")
    os.makedirs(cache, exist_ok=True)
    work = args.work or tempfile.mkdtemp(prefix="mdata-guest-")
    os.makedirs(work, exist_ok=True)
    c = Checks()
    t_start = time.monotonic()

    vmlinuz, e1000 = kernel_and_modules(cache)
    tools = static_tools(args.source_root, os.path.join(cache, "static"))
    initrd = os.path.join(work, "initrd.cpio")
    make_initramfs(initrd, os.path.join(args.source_root, "tests", "guest", "guest-init.sh"),
                   busybox, tools, e1000)
    vm_path = os.path.join(work, "vm.json")
    vm = guest_vm(os.path.join(args.source_root, "examples", "mdata-emu", "vms", "sample-vm.json"), vm_path)
    exp = expectations(emu_bin, tools_dir, vm_path, work)
    log("ingredients ready in %.1f s" % (time.monotonic() - t_start))

    sock = os.path.join(work, "vm.ttyb")
    saved = os.path.join(work, "saved-vm.json")
    qemu_cmd = [qemu, "-nodefaults", "-no-reboot", "-display", "none", "-m", "256",
                "-kernel", vmlinuz, "-initrd", initrd,
                "-append", "console=ttyS0 quiet panic=-1",
                "-serial", "file:" + os.path.join(work, "console.txt"),
                "-chardev", "socket,id=mdata,path=%s,server=on,wait=off" % sock,
                "-serial", "chardev:mdata"]
    for i, nic in enumerate(vm["nics"]):
        # A NIC on a hub of its own: the guest sees a real e1000 with the
        # nic's MAC, and nothing it sends leaves qemu.
        qemu_cmd += ["-netdev", "hubport,id=hp%d,hubid=%d" % (i, i),
                     "-device", "e1000,netdev=hp%d,mac=%s" % (i, nic["mac"])]
    console = os.path.join(work, "console.txt")

    emu = Emu(emu_bin, vm_path, work, "emu-a", "--connect", sock, "--save", saved,
              "--transcript", os.path.join(work, "transcript-a.txt"))
    try:
        log("== boot 1: keys, put/list/delete, two processes, network, UART speeds")
        got = results(boot(qemu_cmd, console, BOOT_TIMEOUT))
        c.check(got.get("phase") == "1", "first boot runs phase 1", got.get("phase"))
        for name in ("uuid", "nics", "routes", "user-script", "binary", "big", "list", "get-put"):
            want = "%d %s" % exp[name]
            c.check(got.get(name) == want, "guest %s" % name, "got %r want %r" % (got.get(name), want))
        c.check((got.get("missing") or "").startswith("%d " % exp["missing"]), "guest missing key exits 1",
                got.get("missing"))
        for name in ("put", "delete"):
            c.check((got.get(name) or "").startswith("0 "), "guest %s" % name, got.get(name))
        c.check((got.get("get-deleted") or "").startswith("1 "), "guest get after delete exits 1",
                got.get("get-deleted"))
        for name in ("concurrent-a", "concurrent-b"):
            c.check(got.get(name) == "%d %s" % exp["medium"], "guest %s (two processes, one line)" % name,
                    got.get(name))
        c.check(got.get("netcfg") == "0", "mdata-netcfg -f ip", got.get("netcfg"))
        c.check(got.get("netcfg-apply") == "0", "the ip script applies cleanly", got.get("netcfg-apply"))
        check_network(c, got, vm)
        log("1 MiB GET by UART speed (guest clock, 10 ms resolution):")
        for line in console_lines(console, "@@ baud "):
            f = line.split()
            if len(f) >= 6 and f[3] != "unsupported":
                baud, rc, t0, t1, digest = f[2], int(f[3]), float(f[4]), float(f[5]), f[6]
                secs = max(t1 - t0, 0.01)
                wire = (len(vm["customer_metadata"]["big"]) + 2) // 3 * 4
                log("  %8s baud: %.2f s, %.1f KiB/s of base64 on the wire (%d bytes for the 1 MiB value)"
                    % (baud, secs, wire / secs / 1024, wire))
                c.check(rc == 0 and digest == exp["big"][1], "1 MiB GET at %s baud is byte-exact" % baud)
            else:
                log("  " + line)
        c.check(got.get("put-phase", "").startswith("0 "), "guest stores its phase", got.get("put-phase"))

        log("== boot 2: after a reboot, the same emulator reconnects")
        got = results(boot(qemu_cmd, console, BOOT_TIMEOUT))
        c.check(got.get("phase") == "2", "second boot reads phase 2 from metadata", got.get("phase"))
        c.check(got.get("uuid-after-reboot") == "%d %s" % exp["uuid"], "GET after the reconnect",
                got.get("uuid-after-reboot"))
        c.check(got.get("put-phase", "").startswith("0 "), "guest stores phase 3", got.get("put-phase"))
    finally:
        rc = emu.stop()
    c.check(rc == 0, "emulator A stops cleanly", rc)
    with open(os.path.join(work, "emu-a.log"), "rb") as f:
        reconnects = f.read().decode(errors="replace").count("connected to")
    log("emulator A log: %d connections made" % reconnects)

    emu = Emu(emu_bin, saved, work, "emu-b", "--connect", sock,
              "--fault", "drop=5", "--fault", "corrupt=7", "--fault", "junk=3",
              "--transcript", os.path.join(work, "transcript-b.txt"))
    try:
        log("== boot 3: lost, corrupted and junk replies (drop=5 corrupt=7 junk=3)")
        got = results(boot(qemu_cmd, console, BOOT_TIMEOUT))
        c.check(got.get("phase") == "3", "third boot reads phase 3 from the saved state", got.get("phase"))
        bad = [(k, v) for k, v in got.items() if k.startswith("fault-uuid-") and v != "%d %s" % exp["uuid"]]
        bad += [(k, v) for k, v in got.items()
                if k.startswith("fault-script-") and v != "%d %s" % exp["user-script"]]
        n = len([k for k in got if k.startswith("fault-")])
        c.check(n == 41 and not bad, "%d GETs through faults, all right" % n, bad)
        c.check(got.get("fault-medium") == "%d %s" % exp["medium"], "64 KiB GET through faults",
                got.get("fault-medium"))
        c.check("done" in got, "the scenario ran to its end")
    finally:
        rc = emu.stop()
    c.check(rc == 0, "emulator B stops cleanly", rc)
    log("guest test took %.1f s" % (time.monotonic() - t_start))
    log("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


def console_lines(path, prefix):
    with open(path, "rb") as f:
        return [l.rstrip("\r") for l in f.read().decode(errors="replace").splitlines()
                if l.startswith(prefix)]


if __name__ == "__main__":
    sys.exit(main())
