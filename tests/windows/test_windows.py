"""The cross-built Windows tools (mdata-get/put/list/delete.exe,
mdata-netcfg.exe) under wine, COM2 linked to the pty of mdata-emu: every
operation, a 1 MiB value, lost and corrupted replies, a busy port, a
missing port, exit codes; mdata-netcfg.exe's output against the golden
files the Linux build is checked with."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import link_com2, node_command, run_exe

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
GOLDEN = os.path.join(TOP, "tests", "netcfg", "golden")
CASES = os.path.join(TOP, "tests", "netcfg", "cases")
SAMPLE_VM = os.path.join(TOP, "examples", "mdata-emu", "vms", "sample-vm.json")

VM = {
    "uuid": "3b1a2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "hostname": "win01",
    "resolvers": ["8.8.8.8", "8.8.4.4"],
    "customer_metadata": {
        "plain": "hello",
        "ends-nl": "line\n",
        "user-script": "\n\n#!/bin/sh\necho hi\n",
    },
    "internal_metadata": {"administrator_pw": "secret"},
}


@pytest.fixture
def emu(com2, write_vm):
    return com2(write_vm(VM))


# ---- every operation ------------------------------------------------------

def test_get(emu, tmp_path):
    r = run_exe(tmp_path, "mdata-get", "plain")
    assert (r.code, r.out, r.err) == (0, b"hello\n", ""), r
    assert run_exe(tmp_path, "mdata-get", "ends-nl").out == b"line\n"
    r = run_exe(tmp_path, "mdata-get", "user-script")
    assert r.out == b"\n\n#!/bin/sh\necho hi\n", r
    assert run_exe(tmp_path, "mdata-get", "administrator_pw").out == b"secret\n"


def test_get_sdc_keys(emu, tmp_path):
    assert run_exe(tmp_path, "mdata-get", "sdc:hostname").out == b"win01\n"
    r = run_exe(tmp_path, "mdata-get", "sdc:resolvers")
    assert json.loads(r.out) == ["8.8.8.8", "8.8.4.4"], r


def test_verbose_reports_com2_and_v2(emu, tmp_path):
    r = run_exe(tmp_path, "mdata-get", "-v", "plain")
    assert r.code == 0, r
    assert "device \\\\.\\COM2, protocol V2, done" in r.err, r


def test_list(emu, tmp_path):
    r = run_exe(tmp_path, "mdata-list")
    assert r.code == 0, r
    assert sorted(r.out.decode().split()) == [
        "administrator_pw", "ends-nl", "plain", "user-script"]


def test_put_get_delete(emu, tmp_path):
    assert run_exe(tmp_path, "mdata-put", "color", "blue").code == 0
    assert run_exe(tmp_path, "mdata-get", "color").out == b"blue\n"
    assert "color" in run_exe(tmp_path, "mdata-list").out.decode().split()
    assert run_exe(tmp_path, "mdata-delete", "color").code == 0
    r = run_exe(tmp_path, "mdata-get", "color")
    assert (r.code, r.out) == (1, b""), r
    assert r.err == "No metadata for 'color'\n"


def test_put_from_stdin_binary_mode(emu, tmp_path):
    # CR LF and ^Z stay as they are: stdin and stdout are binary.
    value = b"a\r\nb\nc\x1a d\n"
    assert run_exe(tmp_path, "mdata-put", "crlf", stdin=value).code == 0
    assert run_exe(tmp_path, "mdata-get", "crlf").out == value


def test_one_mib_value_round_trip(emu, tmp_path):
    blob = (bytes(range(1, 128)) * 8300)[:1 << 20]
    r = run_exe(tmp_path, "mdata-put", "big", stdin=blob)
    assert r.code == 0, r
    r = run_exe(tmp_path, "mdata-get", "big")
    assert r.code == 0 and r.out == blob + b"\n", r


# ---- exit codes -----------------------------------------------------------

def test_not_found_exit_1(emu, tmp_path):
    r = run_exe(tmp_path, "mdata-get", "nosuchkey")
    assert (r.code, r.out, r.err) == (1, b"", "No metadata for 'nosuchkey'\n")


def test_host_refusal_exit_2(emu, tmp_path):
    r = run_exe(tmp_path, "mdata-put", "sdc:nics", "x")
    assert r.code == 2 and r.err.startswith("Error putting metadata"), r


def test_usage_exit_3(tmp_path):
    r = run_exe(tmp_path, "mdata-get")
    assert r.code == 3 and "Usage:" in r.err, r
    r = run_exe(tmp_path, "mdata-get", "--bogus", "k")
    assert r.code == 3, r
    assert run_exe(tmp_path, "mdata-netcfg", "-f", "nosuch").code == 2


def test_version_exit_0(tmp_path):
    r = run_exe(tmp_path, "mdata-get", "-V")
    assert r.code == 0 and r.out.startswith(b"mdata-get (libmdata) "), r


def test_no_com2_exits_2_at_once(tmp_path):
    # A missing serial port is not a slow service: no waiting, even
    # without -t (issue 14). (Generous bound: wine starts slowly.)
    link_com2(None)
    r = run_exe(tmp_path, "mdata-get", "plain")
    assert r.code == 2, r
    assert r.err.startswith("ERROR: could not initialise protocol: "), r
    assert "waiting" not in r.err, r
    assert r.took < 30


# ---- faults ---------------------------------------------------------------

@pytest.mark.parametrize("fault", ["drop=2", "corrupt=2"])
def test_get_survives_lost_or_corrupted_reply(com2, write_vm, tmp_path, fault):
    com2(write_vm(VM), "--fault", fault)
    for _ in range(3):
        r = run_exe(tmp_path, "mdata-get", "-v", "plain")
        assert (r.code, r.out) == (0, b"hello\n"), (fault, r)
    counter = "timeouts=" if fault.startswith("drop") else "crc_errors="
    assert counter + "0 " not in r.err + " ", r


@pytest.mark.parametrize("fault", ["drop=1", "corrupt=1"])
def test_every_reply_lost_ends_with_exit_2(com2, write_vm, tmp_path, fault):
    com2(write_vm(VM), "--fault", fault)
    r = run_exe(tmp_path, "mdata-get", "plain", timeout=180)
    assert (r.code, r.out) == (2, b""), r
    assert "no usable reply to GET" in r.err, r


def test_v1_host_get_works_put_refused(com2, write_vm, tmp_path):
    com2(write_vm(VM), "--fault", "v1only")
    r = run_exe(tmp_path, "mdata-get", "user-script")
    assert (r.code, r.out) == (0, b"\n\n#!/bin/sh\necho hi\n"), r
    r = run_exe(tmp_path, "mdata-put", "k", "v")
    assert (r.code, r.err) == (2, "ERROR: host does not support PUT\n"), r


def test_busy_port_is_waited_for(emu, tmp_path):
    # Wine does not enforce exclusive COM opens: the transport's test hook
    # makes the first opens see the port busy, as a second process would.
    r = run_exe(tmp_path, "mdata-get", "plain",
                env={"MDATA_TEST_COM_BUSY": "4"})
    assert (r.code, r.out) == (0, b"hello\n"), r


def test_busy_port_bounded_by_timeout(emu, tmp_path):
    r = run_exe(tmp_path, "mdata-get", "-t", "2", "plain",
                env={"MDATA_TEST_COM_BUSY": "1000000"})
    assert r.code == 2, r
    assert "COM2 is in use by another process" in r.err, r
    assert r.took < 30


# ---- mdata-netcfg.exe -----------------------------------------------------

def golden(case, fmt, name):
    with open(os.path.join(GOLDEN, case, fmt, name), "rb") as f:
        return f.read()


@pytest.mark.parametrize("fmt,name", [("json", "network.json"),
                                      ("powershell", "mdata-network.ps1")])
def test_netcfg_from_com2_matches_golden(com2, tmp_path, fmt, name):
    com2(SAMPLE_VM)
    r = run_exe(tmp_path, "mdata-netcfg", "-f", fmt)
    assert r.code == 0, r
    assert r.out == golden("sample-vm", fmt, name)


def test_netcfg_from_file_matches_golden(tmp_path):
    src = os.path.join(CASES, "json-file", "metadata.json")
    (tmp_path / "m.json").write_bytes(open(src, "rb").read())
    for fmt, name in [("json", "network.json"),
                      ("powershell", "mdata-network.ps1")]:
        r = run_exe(tmp_path, "mdata-netcfg", "-q", "-f", fmt, "--from-file",
                    "Z:" + str(tmp_path / "m.json").replace("/", "\\"))
        assert r.code == 0, r
        assert r.out == golden("json-file", fmt, name), fmt


def test_netcfg_output_dir(com2, tmp_path):
    com2(SAMPLE_VM)
    out = tmp_path / "out"
    win = "Z:" + str(out).replace("/", "\\")
    r = run_exe(tmp_path, "mdata-netcfg", "-f", "powershell", "-o", win, "-v")
    assert r.code == 0, r
    assert (out / "mdata-network.ps1").read_bytes() == \
        golden("sample-vm", "powershell", "mdata-network.ps1")
    r = run_exe(tmp_path, "mdata-netcfg", "-f", "powershell", "-o", win, "-v")
    assert r.code == 0 and "unchanged" in r.err, r


def test_netcfg_no_service_exit_1(tmp_path):
    link_com2(None)
    r = run_exe(tmp_path, "mdata-netcfg", "-t", "2")
    assert r.code == 1 and r.out == b"", r


# ---- PowerShell files parse -----------------------------------------------

def ps_files():
    found = []
    for root in (os.path.join(TOP, "bindings", "powershell"), GOLDEN, HERE):
        for d, _, names in os.walk(root):
            found += [os.path.join(d, n) for n in sorted(names)
                      if n.endswith((".ps1", ".psm1"))]
    return sorted(found)


def pscheck(*files):
    node_path = os.environ.get("MDATA_PSCHECK_NODE_PATH", "")
    if not shutil.which("node") or not os.path.isdir(node_path):
        pytest.skip("node or the npm packages web-tree-sitter and "
                    "tree-sitter-powershell missing (setup.sh installs "
                    "them with npm): .ps1 check skipped")
    env = dict(os.environ, NODE_PATH=node_path)
    return subprocess.run(node_command() + [os.path.join(HERE, "pscheck.cjs")] +
                          list(files), capture_output=True, text=True,
                          env=env, timeout=120)


def test_every_powershell_file_parses():
    files = ps_files()
    assert len(files) >= 6
    r = pscheck(*files)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count(": ok\n") == len(files)


def test_powershell_check_is_live(tmp_path):
    bad = tmp_path / "bad.ps1"
    bad.write_text("function f( {\n    $x = \n}\n")
    r = pscheck(str(bad))
    assert r.returncode == 1 and "bad.ps1:1:" in r.stdout, r.stdout + r.stderr
