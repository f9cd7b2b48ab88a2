"""The parts of the image tests (tests/image/run-image.py) and the image
benchmark (tests/bench/image-bench.py) in common: libmdata's Debian
packages and the image built from this tree (examples/image), VM objects
for the emulator, and one boot under qemu, the way a SmartOS host runs a
bhyve or KVM guest."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

SKIP = 77
# Software emulation on a loaded 2-core machine: minutes per boot at worst.
BOOT_TIMEOUT = float(os.environ.get("MDATA_IMAGE_BOOT_TIMEOUT", "900"))
CACHE = os.environ.get("LIBMDATA_IMAGE_CACHE", "/var/cache/libmdata-image")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"

# What the kit and the boots need, by the Debian package that brings it.
TOOLS = {
    "qemu-system-x86_64": "qemu-system-x86", "qemu-img": "qemu-utils",
    "mmdebstrap": "mmdebstrap", "mkfs.ext4": "e2fsprogs", "sfdisk": "fdisk",
    "grub-mkimage": "grub-common", "mkfs.vfat": "dosfstools", "mcopy": "mtools",
    "dpkg-buildpackage": "dpkg-dev",
}
PACKAGES = sorted(set(TOOLS.values()) | {"ovmf", "grub-pc-bin", "grub-efi-amd64-bin"})

def log(msg=""):
    print(msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def tail(text, n=60):
    return "\n".join("| " + l.rstrip("\r") for l in text.splitlines()[-n:])


# ---- ingredients -------------------------------------------------------

def missing_tools():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not os.path.exists(OVMF_CODE):
        missing.append(OVMF_CODE)
    return missing


def prepare(source_root):
    """Install what is missing (as root, with apt-get); returns why the
    image cannot be built and booted here, or None."""
    if os.geteuid() != 0:
        return "building the image needs root (mmdebstrap, chroot)"
    if missing_tools():
        subprocess.run(["sh", os.path.join(source_root, "tests", "install-missing.sh"), "image"]
                       + PACKAGES)
    missing = missing_tools()
    if missing:
        return "cannot be had here: %s" % " ".join(missing)
    probe = subprocess.run(["qemu-system-x86_64", "-machine", "help"], capture_output=True)
    if probe.returncode != 0:
        return "qemu-system-x86_64 cannot run here: %s" % probe.stderr.decode(errors="replace")
    return None


def debian_env():
    """Debian's own tools: not a user's pyenv or /usr/local, nor make
    flags meant for another build."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "DESTDIR", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    return env


def source_files(source):
    """The files of the source tree: git's list when it is a checkout."""
    try:
        out = run(["git", "-C", source, "ls-files", "-z", "-co", "--exclude-standard"]).stdout
        return sorted(f for f in out.split("\0") if f and os.path.isfile(os.path.join(source, f)))
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = []
        for d, subdirs, names in os.walk(source):
            subdirs[:] = [s for s in subdirs if not s.startswith(("build", "."))]
            files += [os.path.relpath(os.path.join(d, n), source) for n in names]
        return sorted(files)


def debs(source, cache):
    """libmdata's .deb files built with dpkg-buildpackage from a copy of
    the tree (nothing written into it), cached by the tree's content."""
    files = source_files(source)
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0")
        with open(os.path.join(source, f), "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
    out = os.path.join(cache, "debs-" + h.hexdigest()[:16])
    if os.path.exists(os.path.join(out, ".done")):
        log("packages: cached in %s" % out)
        return out
    if subprocess.run(["dpkg-checkbuilddeps"], cwd=source, capture_output=True).returncode != 0:
        # debian/control's Build-Depends, from Debian's mirror.
        subprocess.run(["apt-get", "build-dep", "-y", "-q", "--no-install-recommends", "./"],
                       cwd=source, capture_output=True, env=dict(debian_env(), DEBIAN_FRONTEND="noninteractive"))
    missing = subprocess.run(["dpkg-checkbuilddeps"], cwd=source, capture_output=True, text=True)
    if missing.returncode != 0:
        raise RuntimeError("build dependencies missing: %s" % missing.stderr.strip())
    began = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="tmp-debs-", dir=cache)
    try:
        src = os.path.join(tmp, "libmdata")
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
            shutil.copy2(os.path.join(source, f), os.path.join(src, f))
        env = dict(debian_env(), DEB_BUILD_OPTIONS="nocheck parallel=%d" % (os.cpu_count() or 2))
        p = subprocess.run(["nice", "dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("dpkg-buildpackage failed:\n%s" % (p.stdout + p.stderr)[-4000:])
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(tmp):
            if f.endswith(".deb"):
                shutil.move(os.path.join(tmp, f), os.path.join(out, f))
        open(os.path.join(out, ".done"), "w").close()
        # The newest few builds are enough (each tree gets its own).
        old = sorted((d for d in os.listdir(cache) if d.startswith("debs-")),
                     key=lambda d: os.path.getmtime(os.path.join(cache, d)))
        for d in old[:-3]:
            shutil.rmtree(os.path.join(cache, d), ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log("packages: built in %.0f s: %s" % (time.monotonic() - began, " ".join(sorted(os.listdir(out)))))
    return out


def destdir(source, build_root):
    """Until debian/ exists: the project installed into a tree (prefix /usr)."""
    build = os.path.join(build_root, "tests", "image", "payload-build")
    tree = os.path.join(build_root, "tests", "image", "payload")
    if not os.path.exists(os.path.join(build, "build.ninja")):
        run(["meson", "setup", build, source, "--prefix=/usr", "-Dtests=disabled",
             "-Dbuildtype=release"])
    run(["nice", "ninja", "-C", build])
    shutil.rmtree(tree, ignore_errors=True)
    run(["meson", "install", "-C", build, "--destdir", tree])
    return tree


def image_file(images, variant):
    """The qcow2 file of a variant in build-image.sh's result directory."""
    return [os.path.join(images, f) for f in os.listdir(images) if f.endswith("-%s.qcow2" % variant)][0]


def overlay(base, path):
    """A copy-on-write disk over the image: boots never change the image."""
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, path])
    return path


def build_image(source, payload_args, extra=()):
    began = time.monotonic()
    p = subprocess.run(["nice", os.path.join(source, "examples", "image", "build-image.sh")]
                       + payload_args + list(extra),
                       capture_output=True, text=True, env=debian_env())
    if p.returncode != 0:
        raise RuntimeError("build-image.sh failed:\n%s" % (p.stderr[-4000:]))
    result = p.stdout.strip().splitlines()[-1]
    log("image: %s (%.0f s)" % (result, time.monotonic() - began))
    return result


def instance(sample, uuid, hostname, key, user_script):
    """A VM object from the sample: its nics, routes and resolvers, this
    instance's identity, the test's scripts."""
    with open(sample) as f:
        vm = json.load(f)
    vm["uuid"] = uuid
    vm["alias"] = vm["hostname"] = hostname
    cm = vm["customer_metadata"]
    cm["root_authorized_keys"] = key + "\n"
    cm["user-script"] = user_script
    for k in ("cloud-init:user-data", "user-data"):
        cm.pop(k, None)
    vm["internal_metadata"]["operator-script"] = (
        "#!/bin/sh\nmkdir -p /var/lib/image-test\n"
        "cat /proc/sys/kernel/random/boot_id >>/var/lib/image-test/operator-script.runs\n")
    return vm


# ---- one boot ------------------------------------------------------------

class Emu:
    def __init__(self, binary, vm_path, sock, logdir, name):
        self.log = os.path.join(logdir, name + ".emu.log")
        self.proc = subprocess.Popen(
            [binary, "-v", "--connect", sock, "--transcript", os.path.join(logdir, name + ".ttyb.log"),
             vm_path], stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def qemu_command(disk, vm, console, sock, bus="virtio", uefi=None):
    cmd = ["qemu-system-x86_64", "-nodefaults", "-no-reboot", "-display", "none", "-m", "1024", "-smp", "2",
           # SmartOS gives a guest the host's CPU (cpu_type host), RDRAND
           # included, so the kernel's randomness is ready at once; qemu64
           # without it leaves a first boot waiting for entropy, which
           # emulation makes slow.
           "-cpu", os.environ.get("MDATA_IMAGE_CPU", "qemu64,+rdrand"),
           "-uuid", vm["uuid"],
           "-smbios", "type=1,manufacturer=Joyent,product=SmartDC HVM,uuid=%s" % vm["uuid"],
           "-serial", "file:" + console,
           "-chardev", "socket,id=com2,path=%s,server=on,wait=off" % sock,
           "-serial", "chardev:com2",
           "-drive", "id=disk0,if=none,format=qcow2,file=" + disk]
    if uefi:
        cmd += ["-machine", "q35",
                "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                "-drive", "if=pflash,format=raw,file=" + uefi]
    if bus == "virtio":
        cmd += ["-device", "virtio-blk-pci,drive=disk0"]
    elif bus == "ahci":
        cmd += ["-device", "ahci,id=ahci0", "-device", "ide-hd,drive=disk0,bus=ahci0.0"]
    elif bus == "nvme":
        cmd += ["-device", "nvme,drive=disk0,serial=mdata0disk0"]
    for i, nic in enumerate(vm["nics"]):
        if nic.get("ip") == "dhcp":
            # qemu's own DHCP server, as KVM on SmartOS has one (bhyve has none).
            cmd += ["-netdev", "user,id=n%d,restrict=on" % i]
        else:
            # A hub of its own: nothing the guest sends leaves qemu.
            cmd += ["-netdev", "hubport,id=n%d,hubid=%d" % (i, i)]
        cmd += ["-device", "virtio-net-pci,netdev=n%d,mac=%s" % (i, nic["mac"])]
    return cmd


def report(text):
    """The "@@ name value" lines of the console as {name: value}; where a
    name repeats, the last one counts, and in a line, the last "@@ " (a
    line cut short by a hangup is written again after it)."""
    got = {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        at = line.rfind("@@ ")
        if at >= 0:
            parts = line[at + 3:].split(" ", 1)
            got[parts[0]] = parts[1] if len(parts) > 1 else ""
    return got


class Boot:
    """One boot, until the guest powers off (qemu -no-reboot exits) or
    BOOT_TIMEOUT passes. The console is read while qemu runs, so marks
    holds the seconds from qemu's start to the first "@@ NAME" line of
    each name."""

    def __init__(self, emu_bin, work, name, disk, vm, vm_path, serve=True, bus="virtio",
                 uefi=None):
        self.name = name
        self.console = os.path.join(work, name + ".console.log")
        sock = os.path.join(work, "com2.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        emu = Emu(emu_bin, vm_path, sock, work, name) if serve else None
        cmd = qemu_command(disk, vm, self.console, sock, bus, uefi)
        self.marks = {}
        began = time.monotonic()
        qemu_out = open(os.path.join(work, name + ".qemu.log"), "w+b")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qemu_out,
                                stderr=subprocess.STDOUT)
        self.killed = False
        try:
            while proc.poll() is None:
                if time.monotonic() - began > BOOT_TIMEOUT:
                    proc.kill()
                    proc.wait()
                    self.killed = True
                    break
                self._note_marks(time.monotonic() - began)
                time.sleep(0.2)
        finally:
            if emu:
                emu.stop()
        self.seconds = time.monotonic() - began
        self.returncode = proc.returncode
        qemu_out.seek(0)
        self.qemu_said = qemu_out.read().decode(errors="replace").strip()
        qemu_out.close()
        self.text = self._read()
        self._note_marks(self.seconds)
        self.report = report(self.text)
        self.ok = not self.killed and proc.returncode == 0 and self.report.get("end") == "ok"
        how = ("killed after %.0f s" % self.seconds if self.killed
               else "exited %d after %.0f s" % (proc.returncode, self.seconds))
        log("  qemu %s; console in %s" % (how, self.console))

    def _read(self):
        try:
            with open(self.console, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _note_marks(self, now):
        for name in report(self._read()):
            self.marks.setdefault(name, now)

    def failure(self):
        """Why the boot did not end as it should, with the console's end."""
        return "\n  qemu said: %s\n  last lines of COM1 (%s):\n%s" % (
            self.qemu_said, self.console, tail(self.text))
