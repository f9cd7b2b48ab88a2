"""A cgroup in which one character device may not be opened: open(2) of it
fails with EPERM there, as /dev/ttyS1 does in a container that was not
given it. Two kinds, as the machine has them:

- cgroup v1's devices controller: a "c MAJOR:MINOR rwm" line in
  devices.deny;
- cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup
  (cgroup v2 has no devices file): eight instructions, loaded with the
  bpf(2) system call, that say no to that major:minor and yes to the rest.

DeniedDevice(kind, path) makes the cgroup (ValueError when the machine
cannot: no such hierarchy, not root, bpf refused); .enter() moves the
calling process into it (for subprocess's preexec_fn); .remove() removes it
once its processes have exited."""
import ctypes
import os
import platform
import struct

V1_DEVICES = "/sys/fs/cgroup/devices"
BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}
BPF_PROG_LOAD, BPF_PROG_ATTACH = 5, 8
BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE = 15, 6


def cgroup2_root():
    """Where the cgroup v2 hierarchy is mounted, or None."""
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return fields[1]
    return None


def insn(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def deny_program(major, minor):
    """struct bpf_cgroup_dev_ctx { u32 access_type, major, minor; } in r1;
    r0 = 0 refuses the access, 1 allows it."""
    ldx_w, jne_k, mov64_k, exit_ = 0x61, 0x55, 0xb7, 0x95
    return b"".join([
        insn(ldx_w, dst=2, src=1, off=4),       # r2 = ctx->major
        insn(jne_k, dst=2, off=4, imm=major),   # another major: allow
        insn(ldx_w, dst=2, src=1, off=8),       # r2 = ctx->minor
        insn(jne_k, dst=2, off=2, imm=minor),   # another minor: allow
        insn(mov64_k, dst=0, imm=0),            # this device: refuse
        insn(exit_),
        insn(mov64_k, dst=0, imm=1),
        insn(exit_),
    ])


def bpf(cmd, attr):
    nr = BPF_SYSCALL.get(platform.machine())
    if nr is None:
        raise ValueError("bpf(2) number unknown on " + platform.machine())
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(attr.ljust(128, b"\0"), 128)
    rc = libc.syscall(ctypes.c_long(nr), ctypes.c_int(cmd), buf, ctypes.c_uint(128))
    if rc < 0:
        raise ValueError("bpf(%d): %s" % (cmd, os.strerror(ctypes.get_errno())))
    return rc


class DeniedDevice:
    def __init__(self, kind, path, name):
        rdev = os.stat(path).st_rdev
        major, minor = os.major(rdev), os.minor(rdev)
        if kind == "v1":
            if not os.access(os.path.join(V1_DEVICES, "cgroup.procs"), os.W_OK):
                raise ValueError("no writable cgroup v1 devices controller")
            self.dir = os.path.join(V1_DEVICES, name)
            os.mkdir(self.dir)
            with open(os.path.join(self.dir, "devices.deny"), "w") as f:
                f.write("c %d:%d rwm\n" % (major, minor))
        else:
            root = cgroup2_root()
            if root is None or not os.access(os.path.join(root, "cgroup.procs"), os.W_OK):
                raise ValueError("no writable cgroup v2 hierarchy")
            self.dir = os.path.join(root, name)
            os.mkdir(self.dir)
            try:
                self._attach(major, minor)
            except ValueError:
                os.rmdir(self.dir)
                raise
        self.procs = os.path.join(self.dir, "cgroup.procs")

    def _attach(self, major, minor):
        prog = ctypes.create_string_buffer(deny_program(major, minor))
        license = ctypes.create_string_buffer(b"GPL")
        # prog_type, insn_cnt, insns, license (the rest of bpf_attr zero)
        prog_fd = bpf(BPF_PROG_LOAD, struct.pack(
            "<IIQQ", BPF_PROG_TYPE_CGROUP_DEVICE, 8,
            ctypes.addressof(prog), ctypes.addressof(license)))
        cg_fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            # target_fd, attach_bpf_fd, attach_type, attach_flags
            bpf(BPF_PROG_ATTACH, struct.pack("<IIII", cg_fd, prog_fd,
                                             BPF_CGROUP_DEVICE, 0))
        finally:
            os.close(cg_fd)
            os.close(prog_fd)  # the cgroup holds the program now

    def enter(self):
        with open(self.procs, "w") as f:
            f.write(str(os.getpid()))

    def remove(self):
        os.rmdir(self.dir)
