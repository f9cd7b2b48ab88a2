"""Fixtures for the tool tests: the emulator helpers of tests/emu (loaded
under another module name), the built tools, and a runner with a deadline."""
import importlib.util
import os
import subprocess
import sys

import pytest

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "emu_support", os.path.join(_here, "..", "emu", "conftest.py"))
emu_support = importlib.util.module_from_spec(_spec)
sys.modules["emu_support"] = emu_support
_spec.loader.exec_module(emu_support)

TOOLS = os.environ.get("MDATA_TOOLS_DIR", "")
RUN_TIMEOUT = float(os.environ.get("MDATA_TOOLS_WAIT", "60"))
# Optional wrapper for the tools, e.g. "valgrind --error-exitcode=99 -q".
WRAPPER = os.environ.get("MDATA_TOOLS_WRAPPER", "").split()


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr.decode(errors="replace")
        self.err_bytes = proc.stderr

    def __repr__(self):
        return "Result(code=%r, out=%r, err=%r)" % (self.code, self.out, self.err)


def run_tool(name, *args, device=None, stdin=b"", env=None, timeout=RUN_TIMEOUT,
             user=None, preexec=None):
    """Run a built tool; stdin is bytes (a pipe) or a file descriptor;
    user: run it as that uid (and gid), e.g. to be refused a device;
    preexec: called in the child before the tool starts (e.g. to enter a
    cgroup)."""
    assert TOOLS, "MDATA_TOOLS_DIR must point at the built tools"
    e = dict(os.environ)
    e.pop("MDATA_DEVICE", None)
    e.pop("MDATA_TIMEOUT", None)
    if env:
        e.update(env)
    cmd = WRAPPER + [os.path.join(TOOLS, name)]
    if device is not None:
        cmd += ["-d", device]
    cmd += list(args)
    kw = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
    if user is not None:
        kw.update(user=user, group=user, extra_groups=[])
    if preexec is not None:
        kw.update(preexec_fn=preexec)
    proc = subprocess.run(cmd, capture_output=True, env=e, timeout=timeout, **kw)
    return Result(proc)


start_emu = emu_support.start_emu
write_vm = emu_support.write_vm
vm_path = emu_support.vm_path


@pytest.fixture(params=["socket", "pty"])
def transport(request):
    return request.param


@pytest.fixture
def host(start_emu, transport):
    """host(vm, *emu_args) -> device path of a running emulator on the
    parametrised transport."""

    def start(vm, *args):
        if transport == "socket":
            return start_emu(vm, *args).sock_path
        return start_emu(vm, *args, socket_name=None, pty=True).pty_path

    return start
