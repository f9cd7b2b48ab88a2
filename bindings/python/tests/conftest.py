"""Fixtures for the binding tests: the emulator helpers of tests/emu
(loaded under another module name), devices over a socket and a pty, and
the VM files the emulator serves."""
import importlib.util
import json
import os
import sys

import pytest

_here = os.path.dirname(os.path.abspath(__file__))
_top = os.path.normpath(os.path.join(_here, "..", "..", ".."))
_spec = importlib.util.spec_from_file_location(
    "emu_support_py", os.path.join(_top, "tests", "emu", "conftest.py"))
emu_support = importlib.util.module_from_spec(_spec)
sys.modules["emu_support_py"] = emu_support
_spec.loader.exec_module(emu_support)

# The package under test: from the source tree unless PYTHONPATH says
# otherwise (meson sets it to bindings/python).
sys.path.insert(0, os.path.normpath(os.path.join(_here, "..")))

BINDINGS = os.path.normpath(os.path.join(_here, ".."))
start_emu = emu_support.start_emu
write_vm = emu_support.write_vm
vm_path = emu_support.vm_path


def load_vm(name_or_path):
    path = name_or_path if os.path.sep in name_or_path else vm_path(name_or_path)
    with open(path) as f:
        return json.load(f)


@pytest.fixture(params=["socket", "pty"])
def transport(request):
    return request.param


@pytest.fixture
def host(start_emu, transport):
    """host(vm_path, *emu_args) -> device path of a running emulator on the
    fixture's transport."""

    count = [0]

    def start(vm, *args):
        count[0] += 1
        if transport == "socket":
            name = "meta%d.sock" % count[0]
            return start_emu(vm, *args, socket_name=name).sock_path
        return start_emu(vm, *args, socket_name=None, pty=True).pty_path

    return start


@pytest.fixture
def sample_dev(host):
    return host(vm_path("sample-vm.json"))
