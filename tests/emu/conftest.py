"""Fixtures and helpers for the mdata-emu integration tests.

The tests start the built emulator (MDATA_EMU) and talk to it over a real
unix socket, a real pseudo-terminal, or a socket the emulator connects to,
asserting the exact bytes. Every wait has a deadline (WAIT seconds, generous
for a loaded machine); nothing asserts on timing except ordering and lower
bounds of injected delays.
"""
import base64
import json
import os
import select
import signal
import socket
import subprocess
import time
import tty
import zlib

import pytest

EMU = os.environ.get("MDATA_EMU", "")
VMS = os.environ.get(
    "MDATA_EMU_VMS",
    os.path.join(os.path.dirname(__file__), "..", "..", "examples", "mdata-emu", "vms"),
)
WAIT = float(os.environ.get("MDATA_EMU_WAIT", "30"))
# Optional wrapper for the emulator, e.g. "valgrind --error-exitcode=99 -q".
WRAPPER = os.environ.get("MDATA_EMU_WRAPPER", "").split()


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def frame(reqid, cmd, arg=None, raw_arg=None):
    """A V2 request line as a well-behaved client builds it."""
    body = "%s %s" % (reqid, cmd)
    if raw_arg is not None:
        body += " " + raw_arg
    elif arg is not None:
        body += " " + b64(arg)
    return ("V2 %d %08x %s\n" % (len(body), zlib.crc32(body.encode()) & 0xFFFFFFFF, body)).encode()


def reply_frame(reqid, code, payload=None):
    """The reply the agent builds: payload omitted when empty."""
    body = "%s %s" % (reqid, code)
    if payload:
        body += " " + b64(payload)
    return ("V2 %d %08x %s\n" % (len(body), zlib.crc32(body.encode()) & 0xFFFFFFFF, body)).encode()


def vm_path(name):
    return os.path.join(VMS, name)


class Peer:
    """One byte stream to the emulator (socket or pty fd), with deadlines."""

    def __init__(self, fd, closer):
        self.fd = fd
        self._close = closer
        self.buf = b""

    def send(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.fd], [], [], left)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            raise EOFError("peer closed; got %r so far" % self.buf)
        self.buf += chunk
        return True

    def recv_exact(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise TimeoutError("wanted %d bytes, have %r" % (n, self.buf))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_line(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if not self._fill(deadline):
                raise TimeoutError("no full line, have %r" % self.buf)
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def expect(self, want, timeout=WAIT):
        got = self.recv_exact(len(want), timeout)
        assert got == want
        return got

    def exchange(self, request, want):
        self.send(request)
        return self.expect(want)

    def expect_eof(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        try:
            while True:
                if not self._fill(deadline):
                    raise TimeoutError("no EOF; have %r" % self.buf)
        except EOFError:
            return self.buf

    def assert_silent(self):
        """Prove the previous request got no answer: the next bytes are the
        answer to a reset probe sent after it (replies keep request order
        for everything but PUT/DELETE)."""
        self.send(b"\n")
        assert self.recv_line() == b"invalid command\n"

    def close(self):
        self._close()


class Emu:
    """A running mdata-emu process."""

    def __init__(self, tmp_path, vm, *args, socket_name="meta.sock", pty=False, wait_socket=True):
        assert EMU, "MDATA_EMU must point at the built mdata-emu"
        self.tmp = tmp_path
        self.sock_path = str(tmp_path / socket_name) if socket_name else None
        self.vm = vm
        self.stderr_path = str(tmp_path / "emu.stderr")
        cmd = WRAPPER + [EMU] + list(args)
        if self.sock_path:
            cmd += ["--socket", self.sock_path]
        if pty:
            cmd += ["--pty"]
        cmd.append(vm)
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr)
        self.peers = []
        self.pty_path = None
        if pty:
            self.pty_path = self.read_stdout_line().strip()
        if self.sock_path and wait_socket:
            self.wait_listening()

    def read_stdout_line(self):
        deadline = time.monotonic() + WAIT
        line = b""
        fd = self.proc.stdout.fileno()
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            if not r:
                raise TimeoutError("no line on stdout: %r %s" % (line, self.stderr()))
            c = os.read(fd, 1)
            if not c:
                raise EOFError("stdout closed: %r %s" % (line, self.stderr()))
            line += c
        return line.decode()

    def wait_listening(self):
        deadline = time.monotonic() + WAIT
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.sock_path)
                s.close()
                return
            except OSError:
                s.close()
                if self.proc.poll() is not None:
                    raise RuntimeError("emulator exited: %s" % self.stderr())
                if time.monotonic() > deadline:
                    raise TimeoutError("socket never came up")
                time.sleep(0.02)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock_path)
        p = Peer(s.fileno(), s.close)
        p.sock = s
        self.peers.append(p)
        return p

    def open_pty(self, path=None):
        fd = os.open(path or self.pty_path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        p = Peer(fd, lambda: os.close(fd))
        self.peers.append(p)
        return p

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, signum):
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def stop(self):
        for p in self.peers:
            try:
                p.close()
            except OSError:
                pass
        self.peers = []
        if self.proc.poll() is None:
            rc = self.signal(signal.SIGTERM)
        else:
            rc = self.proc.returncode
        self.proc.stdout.close()
        self._stderr.close()
        return rc


@pytest.fixture
def start_emu(tmp_path):
    """start_emu(vm, *args, **kw) -> Emu; stopped (SIGTERM) at teardown,
    which must succeed with exit status 0 (or valgrind's verdict)."""
    emus = []

    def start(vm, *args, **kw):
        e = Emu(tmp_path, vm, *args, **kw)
        emus.append(e)
        return e

    yield start
    for e in emus:
        rc = e.stop()
        assert rc == 0, "emulator exit status %r: %s" % (rc, e.stderr())


@pytest.fixture
def write_vm(tmp_path):
    """write_vm(obj_or_text, name) -> path of a VM.json in tmp_path."""

    def write(obj, name="vm.json"):
        path = tmp_path / name
        text = obj if isinstance(obj, str) else json.dumps(obj)
        path.write_text(text)
        return str(path)

    return write
