"""The host agent dies in the middle of a request and comes back: the tool
(no -t, so its deadline is a day) gets its value, and says on stderr once
that it waits for the service (why, on which device, that it keeps trying
and how -t limits that) and once that the service is back. stdout and the
exit status are as without the outage.

On a zone's socket the agent's death closes the connection (the tool
reopens it while the socket refuses); on a VM's serial line nothing closes:
the line goes silent, as when the agent behind qemu's COM2 restarts, and
the tool hears that as a reply that does not come. SerialLine below is
that COM2: a pty whose slave (the guest's /dev/ttyS1) stays while the
emulator, connected to it the way the agent connects to qemu's chardev
socket, is killed and started again."""
import os
import select
import signal
import socket
import subprocess
import threading
import time
import tty

from conftest import TOOLS, WRAPPER, emu_support

VM = {"hostname": "web01", "customer_metadata": {"plain": "hello"}}
WAIT = 60


class SerialLine:
    """A VM's second serial port as qemu gives it: the pty slave stays open
    (the guest's device), and the host agent connects to a unix socket
    (qemu's -chardev socket,server=on) whose bytes go to and from the
    pty's master. While no agent is connected, what the guest writes is
    dropped, as qemu drops it."""

    def __init__(self, tmp_path):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.device = os.ttyname(self.slave)
        self.chardev = str(tmp_path / "vm.ttyb")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.chardev)
        self.listener.listen(1)
        self.stop_r, self.stop_w = os.pipe()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn = None
        while True:
            fds = [self.stop_r, self.master, conn or self.listener]
            r, _, _ = select.select(fds, [], [])
            if self.stop_r in r:
                break
            if conn is None and self.listener in r:
                conn, _ = self.listener.accept()
                continue
            if self.master in r:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    break
                if conn is not None:
                    try:
                        conn.sendall(data)
                    except OSError:
                        conn.close()
                        conn = None
            if conn is not None and conn in r:
                data = conn.recv(65536)
                if not data:  # the agent died: the guest's line stays
                    conn.close()
                    conn = None
                else:
                    os.write(self.master, data)
        if conn is not None:
            conn.close()

    def close(self):
        os.write(self.stop_w, b"x")
        self.thread.join(WAIT)
        for fd in (self.master, self.slave, self.stop_r, self.stop_w):
            os.close(fd)
        self.listener.close()


def start_host(tmp_path, vm, name, *args, line=None):
    """An emulator in tmp_path/name: on the socket meta.sock there, or
    connected to line's chardev; its exchanges in tmp_path/name.log."""
    d = tmp_path / name
    d.mkdir()
    log = str(tmp_path / (name + ".log"))
    args = ("--transcript", log) + args
    if line is None:
        e = emu_support.Emu(d, vm, *args, socket_name="../meta.sock")
    else:
        e = emu_support.Emu(d, vm, "--connect", line.chardev, *args,
                            socket_name=None)
    e.transcript = log
    return e


def wait_for_request(e, op):
    """Until the emulator has read a request op (e.g. b"GET") from the
    guest: the request is then in flight."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if os.path.exists(e.transcript):
            for rec in open(e.transcript, "rb").read().splitlines():
                if b" G>H " in rec and b" " + op in rec:
                    return
        time.sleep(0.02)
    raise TimeoutError("no %s reached the host: %s" % (op, e.stderr()))


def spawn_tool(name, *args, device):
    env = dict(os.environ)
    env.pop("MDATA_DEVICE", None)
    env.pop("MDATA_TIMEOUT", None)
    return subprocess.Popen(WRAPPER + [os.path.join(TOOLS, name), "-d", device]
                            + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def kill(e):
    e.proc.send_signal(signal.SIGKILL)
    e.proc.wait()
    e.stop()


def outage(tmp_path, vm, tool, args, op, transport, opts=()):
    """Run tool against a host that dies once its request is in and comes
    back 1 s later: (exit status, stdout, stderr lines, device)."""
    line = SerialLine(tmp_path) if transport == "pty" else None
    try:
        # slow: the reply is not written before the host dies
        first = start_host(tmp_path, vm, "first", "--fault", "slow=5000",
                           line=line)
        device = line.device if line else str(tmp_path / "meta.sock")
        p = spawn_tool(tool, *opts, *args, device=device)
        try:
            wait_for_request(first, op)
            kill(first)
            time.sleep(1.0)
            assert p.poll() is None, p.communicate()
            second = start_host(tmp_path, vm, "second", line=line)
            out, err = p.communicate(timeout=WAIT)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        assert second.stop() == 0
    finally:
        if line:
            line.close()
    return p.returncode, out, err.decode(errors="replace").splitlines(), device


def assert_notices(lines, device, why, limit):
    assert len(lines) == 2, lines
    assert lines[0] == ("%s: waiting for the metadata service on %s (%s); "
                        "trying again %s" % (lines[0].split(":")[0], device,
                                             why, limit)), lines
    assert lines[1].endswith(": the metadata service on %s answers again"
                             % device), lines


def test_get_survives_socket_host_restart(tmp_path, write_vm):
    code, out, err, dev = outage(tmp_path, write_vm(VM), "mdata-get",
                                 ["plain"], b"GET", "socket")
    assert (code, out) == (0, b"hello\n"), err
    assert_notices(err, dev, "connection lost: the host closed it",
                   "with no time limit (-t SECONDS sets one)")
    assert err[0].startswith("mdata-get: ")


def test_get_survives_serial_host_restart(tmp_path, write_vm):
    # the line goes silent: the first attempt's 3 s pass without a reply,
    # then the restarted host answers the resync and the retry
    code, out, err, dev = outage(tmp_path, write_vm(VM), "mdata-get",
                                 ["plain"], b"GET", "pty")
    assert (code, out) == (0, b"hello\n"), err
    assert_notices(err, dev, "no reply from the host in time",
                   "with no time limit (-t SECONDS sets one)")


def test_put_survives_socket_host_restart_within_t(tmp_path, write_vm):
    # with -t the notice names its bound; the restarted host applies the
    # PUT sent again
    code, out, err, dev = outage(tmp_path, write_vm(VM), "mdata-put",
                                 ["k", "v"], b"PUT", "socket",
                                 opts=("-t", "45"))
    assert (code, out) == (0, b""), err
    assert_notices(err, dev, "connection lost: the host closed it",
                   "until the 45.0 s of -t are up")
    assert err[0].startswith("mdata-put: ")


def test_delete_survives_serial_host_restart_within_t(tmp_path, write_vm):
    # (not mdata-list: KEYS over a VM's line crashes the real agent, and
    # the emulator does as it does)
    code, out, err, dev = outage(tmp_path, write_vm(VM), "mdata-delete",
                                 ["plain"], b"DELETE", "pty",
                                 opts=("-t", "45"))
    assert (code, out) == (0, b""), err
    assert_notices(err, dev, "no reply from the host in time",
                   "until the 45.0 s of -t are up")


def test_outage_past_t_is_one_notice_then_the_error(tmp_path, write_vm):
    # the host does not come back within -t: the waiting notice, then the
    # timeout error and status 2, as before
    first = start_host(tmp_path, write_vm(VM), "first", "--fault",
                       "slow=5000")
    device = str(tmp_path / "meta.sock")
    # (-t leaves the tool time to send its GET on a loaded machine)
    p = spawn_tool("mdata-get", "-t", "8", "plain", device=device)
    try:
        wait_for_request(first, b"GET")
        kill(first)
        out, err = p.communicate(timeout=WAIT)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    lines = err.decode().splitlines()
    assert (p.returncode, out) == (2, b""), lines
    assert len(lines) == 2, lines
    assert lines[0].startswith("mdata-get: waiting for the metadata service "
                               "on %s (connection lost" % device), lines
    assert lines[1].startswith("ERROR: "), lines
