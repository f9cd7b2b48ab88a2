"""Fixtures for the mdata-init tests: the emulator helpers of tests/emu
(loaded under another module name), a VM builder, and a runner of the
built agent with --root on a temporary directory."""
import importlib.util
import os
import subprocess
import sys

import pytest

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "emu_support_init", os.path.join(_here, "..", "emu", "conftest.py"))
emu_support = importlib.util.module_from_spec(_spec)
sys.modules["emu_support_init"] = emu_support
_spec.loader.exec_module(emu_support)

INIT = os.environ.get("MDATA_INIT", "")
RUN_TIMEOUT = float(os.environ.get("MDATA_INIT_WAIT", "120"))
# Optional wrapper, e.g. "valgrind --error-exitcode=99 -q".
WRAPPER = os.environ.get("MDATA_INIT_WRAPPER", "").split()

start_emu = emu_support.start_emu
write_vm = emu_support.write_vm


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout.decode(errors="replace")
        self.err = proc.stderr.decode(errors="replace")

    def __repr__(self):
        return "Result(code=%r,\nout=%s\nerr=%s)" % (self.code, self.out, self.err)


def run_init(*args, timeout=RUN_TIMEOUT, prefix=()):
    """Run the built mdata-init; prefix: a command it runs under (e.g.
    setpriv with fewer privileges)."""
    assert INIT, "MDATA_INIT must point at the built mdata-init"
    env = dict(os.environ)
    env.pop("MDATA_DEVICE", None)
    proc = subprocess.run(list(prefix) + WRAPPER + [INIT] + [str(a) for a in args],
                          capture_output=True, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return Result(proc)


@pytest.fixture(params=["socket", "pty"])
def transport(request):
    return request.param


@pytest.fixture
def host(start_emu, write_vm, transport):
    """host(vm_dict, name) -> device path of an emulator serving it on the
    parametrised transport."""
    count = [0]

    def start(vm, *args):
        count[0] += 1
        path = write_vm(vm, "vm%d.json" % count[0])
        if transport == "socket":
            return start_emu(path, *args, socket_name="meta%d.sock" % count[0]).sock_path
        return start_emu(path, *args, socket_name=None, pty=True).pty_path

    return start


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    r.mkdir()
    return r
