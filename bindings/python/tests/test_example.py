"""The example script, and installing the package with pip offline."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BINDINGS, vm_path


def run(args, env_extra=None, **kw):
    env = dict(os.environ)
    env["PYTHONPATH"] = BINDINGS
    env.pop("MDATA_DEVICE", None)
    env.update(env_extra or {})
    return subprocess.run(args, capture_output=True, text=True, env=env,
                          timeout=120, **kw)


def test_show_network(host):
    dev = host(vm_path("sample-vm.json"))
    r = run([sys.executable, os.path.join(BINDINGS, "examples", "show_network.py"),
             dev])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "host guest-test-01.example.com",
        "nic net0 90:b8:d0:ae:64:51 vlan 324 mtu 1500 (primary)",
        "  address 192.0.2.51/24",
        "  address 2001:db8:324::51/64",
        "  gateway 192.0.2.1",
        "nic net1 90:b8:d0:bd:4f:9c vlan 600 mtu 9000 ",
        "  address 10.210.1.217/24",
        "nic net2 90:b8:d0:0a:51:31 (dhcp)",
        "route 10.0.0.0/8 via 10.210.1.1",
        "route 198.51.100.0/24 via 192.0.2.254",
        "route 10.220.0.5/32 dev-of 10.210.1.217",
        "route 169.254.169.254/32 dev-of 192.0.2.51",
        "nameserver 192.0.2.53",
        "nameserver 2001:db8::53",
    ]


def test_show_network_device_from_environment_and_errors(start_emu, tmp_path):
    emu = start_emu(vm_path("d1-zone.json"))
    script = os.path.join(BINDINGS, "examples", "show_network.py")
    r = run([sys.executable, script], {"MDATA_DEVICE": emu.sock_path})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("host web01.example.com\n")
    r = run([sys.executable, script, "/dev/mdata-test-nope"])
    assert r.returncode == 1
    assert r.stderr.startswith("show_network: no metadata device or socket found")


def test_pip_install_offline_from_the_source_tree(tmp_path):
    # (checked in a child: importing setuptools inside pytest trips over
    # its distutils shim)
    if run([sys.executable, "-c", "import setuptools, wheel, pip"]).returncode:
        pytest.skip("pip, setuptools or wheel missing (Debian: python3-pip, "
                    "python3-setuptools, python3-wheel)")
    # Build from a copy: setuptools writes build/ and *.egg-info in place.
    src = tmp_path / "src"
    shutil.copytree(BINDINGS, src, ignore=shutil.ignore_patterns(
        "__pycache__", "build", "*.egg-info", ".pytest_cache"))
    target = tmp_path / "site"
    r = run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
             "--no-index", "--no-deps", "--disable-pip-version-check",
             "--target", str(target), str(src)],
            {"PIP_NO_CACHE_DIR": "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert (target / "mdata" / "__init__.py").exists()
    assert (target / "mdata" / "py.typed").exists()
    r = run([sys.executable, "-c",
             "import mdata; print(mdata.__file__); print(mdata.library_version())"],
            {"PYTHONPATH": str(target)}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == str(target / "mdata" / "__init__.py")
