"""Fixtures for the Windows tests: the emulator helpers of tests/emu (loaded
under another module name, as tests/tools does), a wine prefix whose COM2 is
linked to the emulator's pty, and a runner for the cross-built .exe tools.

Wine's helper processes inherit and keep open whatever pipes a wine process
has, so the .exe output goes to files, never to pipes; every wine run has a
deadline, and the session's wineserver is stopped at the end."""
import importlib.util
import os
import shutil
import subprocess
import sys
import time

import pytest

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "emu_support", os.path.join(_here, "..", "emu", "conftest.py"))
emu_support = importlib.util.module_from_spec(_spec)
sys.modules["emu_support"] = emu_support
_spec.loader.exec_module(emu_support)

CROSS = os.environ.get("MDATA_WIN_CROSS", "")
PREFIX = os.environ.get("WINEPREFIX", "")
RUN_TIMEOUT = float(os.environ.get("MDATA_WIN_WAIT", "120"))

start_emu = emu_support.start_emu
write_vm = emu_support.write_vm

if not CROSS or not os.path.isdir(CROSS):
    pytest.skip("MDATA_WIN_CROSS is not set to the cross build",
                allow_module_level=True)
if not shutil.which("wine") or not PREFIX:
    pytest.skip("wine (Debian packages wine, wine64) or WINEPREFIX missing",
                allow_module_level=True)

EXES = {
    "mdata-get": "examples/mdata-tools/mdata-get.exe",
    "mdata-put": "examples/mdata-tools/mdata-put.exe",
    "mdata-list": "examples/mdata-tools/mdata-list.exe",
    "mdata-delete": "examples/mdata-tools/mdata-delete.exe",
    "mdata-netcfg": "examples/mdata-netcfg/mdata-netcfg.exe",
}


def wine_env(extra=None):
    e = dict(os.environ)
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "MDATA_DEVICE", "MDATA_TIMEOUT"):
        e.pop(k, None)
    e["WINEDEBUG"] = "-all"
    e["WINEDLLOVERRIDES"] = "mscoree,mshtml="
    if extra:
        e.update(extra)
    return e


@pytest.fixture(scope="session", autouse=True)
def wineserver():
    """One persistent wineserver for the session (a cold start costs about
    a second per process), killed at the end (and by run.sh's trap). It
    persists until then, not for a time after its last client: on a loaded
    machine the tests between two wine processes can outlast any such time,
    and a tool started as the server was going away once exited 1 with no
    output (a cold CI run)."""
    log = open(os.path.join(PREFIX, "wineserver.log"), "ab")
    subprocess.run(["wineserver", "-p"], stdout=log, stderr=log,
                   env=wine_env(), timeout=60)
    yield
    subprocess.run(["wineserver", "-k"], stdout=log, stderr=log,
                   env=wine_env(), timeout=60)
    log.close()


class Result:
    def __init__(self, code, out, err, took):
        self.code = code
        self.out = out
        # stderr stays a text stream on Windows: CR LF line ends
        self.err = err.decode(errors="replace").replace("\r\n", "\n")
        self.took = took

    def __repr__(self):
        return "Result(code=%r, out=%r, err=%r)" % (
            self.code, self.out[:300], self.err[-2000:])


def run_exe(tmp_path, name, *args, stdin=b"", env=None, timeout=RUN_TIMEOUT):
    """Run a cross-built tool under wine; output through files."""
    out_path = tmp_path / ("%s.stdout" % name)
    err_path = tmp_path / ("%s.stderr" % name)
    in_path = tmp_path / ("%s.stdin" % name)
    in_path.write_bytes(stdin)
    cmd = ["wine", os.path.join(CROSS, EXES[name])] + list(args)
    began = time.monotonic()
    with open(in_path, "rb") as fi, open(out_path, "wb") as fo, \
            open(err_path, "wb") as fe:
        p = subprocess.Popen(cmd, stdin=fi, stdout=fo, stderr=fe,
                             env=wine_env(env))
        try:
            code = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise
    return Result(code, out_path.read_bytes(), err_path.read_bytes(),
                  time.monotonic() - began)


def link_com2(target):
    """Point the prefix's COM2 at target (a pty), or remove it (None)."""
    link = os.path.join(PREFIX, "dosdevices", "com2")
    if os.path.lexists(link):
        os.unlink(link)
    if target is not None:
        os.symlink(target, link)


@pytest.fixture
def com2(start_emu):
    """com2(vm_path, *emu_args) -> the Emu serving the prefix's COM2."""

    def start(vm, *args):
        e = start_emu(vm, *args, socket_name=None, pty=True)
        link_com2(e.pty_path)
        return e

    yield start
    link_com2(None)


_node = []


def node_command():
    """node, with V8's baseline WebAssembly compiler only when it has the
    option: the grammar checks load tree-sitter-powershell's .wasm, which
    the optimising compiler takes about 20 s of CPU to compile (under a
    second with Liftoff alone), for a parse of a few files."""
    if not _node:
        try:
            ok = subprocess.run(["node", "--liftoff-only", "-e", "0"],
                                capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        _node.extend(["node", "--liftoff-only"] if ok else ["node"])
    return list(_node)
