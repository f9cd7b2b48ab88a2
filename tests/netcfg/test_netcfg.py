"""mdata-netcfg: golden files, the formats' own checkers, output rules, and
the end-to-end run against mdata-emu.

Run through meson (`meson test --suite netcfg`), which sets NETCFG_BIN to
the built tool and MDATA_EMU to the built emulator. Regenerate the golden
files after a deliberate change with

    NETCFG_REGEN=1 meson test -C BUILD --suite netcfg

and review the diff (`git diff tests/netcfg/golden`) against the rules in
doc/mdata-netcfg.8 before committing it.
"""
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
GOLDEN = os.path.join(HERE, "golden")
BIN = os.environ.get("NETCFG_BIN", "")
EMU = os.environ.get("MDATA_EMU", "")
UNIT = os.environ.get("NETCFG_UNIT", "")
DROPIN = os.environ.get("NETCFG_NETPLAN_DROPIN", "")
BINDIR = os.environ.get("NETCFG_BINDIR", "")
SAMPLE_VM = os.environ.get("NETCFG_SAMPLE_VM", "")
REGEN = os.environ.get("NETCFG_REGEN") == "1"

FORMATS = ["networkd", "netplan", "ifupdown", "nm", "ip", "freebsd",
           "resolv", "json", "hostname", "powershell"]
EMPTY = ".empty"  # marks a golden directory of a format that wrote nothing
NAMED = {"ip", "ifupdown", "freebsd"}  # formats that name kernel interfaces
CASE_NAMES = sorted(os.listdir(CASES))

if not BIN or not os.access(BIN, os.X_OK):
    pytest.skip("NETCFG_BIN is not set to the built mdata-netcfg",
                allow_module_level=True)


def case_input(case):
    """The --from-file argument of a case: its directory, or its one JSON
    object file."""
    path = os.path.join(CASES, case, "metadata.json")
    return path if os.path.exists(path) else os.path.join(CASES, case)


def has_ifnames(case):
    return os.path.exists(os.path.join(CASES, case, "ifnames"))


def make_sysfs(case, root):
    """A fake /sys/class/net from the case's "ifnames" file (MAC NAME
    lines); empty when the case has none."""
    sysfs = os.path.join(root, "sysfs")
    os.makedirs(sysfs, exist_ok=True)
    path = os.path.join(CASES, case, "ifnames")
    if os.path.exists(path):
        for line in open(path):
            mac, name = line.split()
            os.makedirs(os.path.join(sysfs, name, "device"), exist_ok=True)
            with open(os.path.join(sysfs, name, "address"), "w") as f:
                f.write(mac + "\n")
    return sysfs


def run(args, **kw):
    return subprocess.run([BIN] + args, capture_output=True, text=True,
                          timeout=60, **kw)


def render(case, fmt, tmp_path):
    os.makedirs(tmp_path, exist_ok=True)
    out = tmp_path / fmt
    # A case with "ifnames" is a live system; one without is rendered
    # offline (SmartOS names).
    live = ["--sysfs", make_sysfs(case, str(tmp_path))] \
        if has_ifnames(case) else []
    r = run(["-f", fmt, "--from-file", case_input(case), "-o", str(out)] +
            live)
    assert r.returncode == 0, r.stderr
    return out, r.stderr


def tree(path):
    """{name: (bytes, mode)} of the regular files in path."""
    res = {}
    for name in sorted(os.listdir(path)):
        if name == EMPTY:
            continue
        st = os.stat(os.path.join(path, name))
        with open(os.path.join(path, name), "rb") as f:
            res[name] = (f.read(), stat.S_IMODE(st.st_mode))
    return res


def compare_golden(case, fmt, out):
    golden = os.path.join(GOLDEN, case, fmt)
    if REGEN:
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(out, golden)
        if not os.listdir(golden):
            open(os.path.join(golden, EMPTY), "w").close()
        return
    assert os.path.isdir(golden), "no golden files: regenerate (see top)"
    got, want = tree(out), tree(golden)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name][0].decode() == want[name][0].decode(), name


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASE_NAMES)
def test_golden(case, fmt, tmp_path):
    out, _ = render(case, fmt, tmp_path)
    compare_golden(case, fmt, out)


# --- the formats' own checkers ---------------------------------------

def need(path, what):
    if not os.access(path, os.X_OK):
        pytest.skip("%s not installed (%s): check skipped" % (path, what))


@pytest.mark.parametrize("case", CASE_NAMES)
def test_check_netplan(case, tmp_path):
    gen = "/usr/lib/netplan/generate"
    need(gen, "Debian package netplan.io")
    out, _ = render(case, "netplan", tmp_path)
    root = tmp_path / "root"
    os.makedirs(root / "etc" / "netplan")
    for name in os.listdir(out):
        shutil.copy2(out / name, root / "etc" / "netplan" / name)
    r = subprocess.run([gen, "--root-dir", str(root)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "rror" not in r.stderr, r.stderr
    produced = os.listdir(root / "run" / "systemd" / "network")
    assert len([n for n in produced if n.endswith(".network")]) == \
        len(json.loads(run_json(case))["interfaces"])


def run_json(case):
    r = run(["-q", "-f", "json", "--from-file", case_input(case)])
    assert r.returncode == 0, r.stderr
    return r.stdout


def networkd_parse(files_dir, tmp_path):
    """Run systemd-networkd's own parser over the files: networkd in new
    mount and network namespaces, with the files as its only config. It
    logs each problem as '<path>:<line>: ...'. Returns that output."""
    networkd = "/lib/systemd/systemd-networkd"
    need(networkd, "Debian package systemd")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("networkd check needs root and unshare(1)")
    script = (
        "set -e; mount -t tmpfs tmpfs /run/systemd/network 2>/dev/null || "
        "{ mkdir -p /run/systemd/network && "
        "mount -t tmpfs tmpfs /run/systemd/network; }; "
        "mount -t tmpfs tmpfs /etc/systemd/network; "
        "cp \"$1\"/* /run/systemd/network/; "
        "SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=info "
        "timeout 3 %s || true" % networkd)
    r = subprocess.run(["unshare", "-m", "-n", "sh", "-c", script, "sh",
                        str(files_dir)], capture_output=True, text=True,
                       timeout=30)
    if "Operation not permitted" in r.stderr and "unshare" in r.stderr:
        pytest.skip("unshare not permitted here: networkd check skipped")
    return r.stdout + r.stderr


def test_check_networkd(tmp_path):
    """Every case's .network files through networkd's parser, in one run
    (file names prefixed with the case)."""
    every = tmp_path / "every"
    os.makedirs(every)
    for case in CASE_NAMES:
        out, _ = render(case, "networkd", tmp_path / case)
        for name in os.listdir(out):
            shutil.copy2(out / name, every / ("%s--%s" % (case, name)))
    log = networkd_parse(every, tmp_path)
    assert "/run/systemd/network/" not in log, log


def test_check_networkd_catches_errors(tmp_path):
    """The networkd check is live: a bad file does produce complaints."""
    bad = tmp_path / "bad"
    os.makedirs(bad)
    (bad / "99-bad.network").write_text(
        "[Match]\nName=x\n[Network]\nAddress=not-an-address\n")
    assert "99-bad.network" in networkd_parse(bad, tmp_path)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_check_ifupdown(case, tmp_path):
    ifquery = shutil.which("ifquery") or "/usr/sbin/ifquery"
    need(ifquery, "Debian package ifupdown")
    out, _ = render(case, "ifupdown", tmp_path)
    path = str(out / "interfaces")
    r = subprocess.run([ifquery, "-i", path, "--list", "--allow", "auto"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    names = r.stdout.split()
    assert names[0] == "lo"
    ifup = shutil.which("ifup") or "/usr/sbin/ifup"
    for name in names:
        q = subprocess.run([ifquery, "-i", path, name], capture_output=True,
                           text=True, timeout=30)
        assert q.returncode == 0 and q.stderr == "", (name, q.stderr)
        # ifup's dry run also checks each method's required options.
        q = subprocess.run([ifup, "--no-act", "--force", "-i", path, name],
                           capture_output=True, text=True, timeout=30)
        assert q.returncode == 0, (name, q.stderr)


@pytest.mark.parametrize("case", CASE_NAMES)
@pytest.mark.parametrize("fmt", ["ip", "freebsd"])
def test_check_sh_syntax(case, fmt, tmp_path):
    """The ip script, and rc.conf (which rc(8) sources), parse as sh."""
    out, _ = render(case, fmt, tmp_path)
    for name in os.listdir(out):
        r = subprocess.run(["sh", "-n", str(out / name)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
    if fmt == "ip":
        assert os.access(out / "mdata-network.sh", os.X_OK)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_check_json(case):
    text = run_json(case)
    assert text.isascii()
    model = json.loads(text)
    assert set(model) >= {"hostname", "nameservers", "interfaces",
                          "warnings"}


def libnm():
    """NetworkManager's own keyfile reader (libnm through GObject
    introspection), or a skip."""
    try:
        import gi
        gi.require_version("NM", "1.0")
        from gi.repository import NM, GLib
    except (ImportError, ValueError) as e:
        pytest.skip("libnm introspection not installed (Debian packages "
                    "gir1.2-nm-1.0, python3-gi): keyfile check skipped "
                    "(%s)" % e)
    return NM, GLib


@pytest.mark.parametrize("case", CASE_NAMES)
def test_check_nm(case, tmp_path):
    """Each keyfile through libnm's keyfile reader (what NetworkManager
    loads them with) and the connection's own verify()."""
    NM, GLib = libnm()
    out, _ = render(case, "nm", tmp_path)
    model = json.loads(run_json(case))
    assert len(os.listdir(out)) == len(model["interfaces"])
    for name in sorted(os.listdir(out)):
        assert stat.S_IMODE(os.stat(out / name).st_mode) == 0o600
        kf = GLib.KeyFile()
        kf.load_from_file(str(out / name), GLib.KeyFileFlags.NONE)
        warnings = []

        def handler(keyfile, conn, kind, data, error):
            if kind == NM.KeyfileHandlerType.WARN:
                warnings.append(data.warn_get()[0])
            return True

        conn = NM.keyfile_read(kf, str(out), NM.KeyfileHandlerFlags.NONE,
                               handler, None)
        assert warnings == [], (name, warnings)
        assert conn.verify(), name
        iface = [i for i in model["interfaces"]
                 if name == "mdata-%s.nmconnection" % i["name"]][0]
        wired = conn.get_setting_wired()
        assert wired.get_mac_address().lower() == iface["mac"]
        ip4 = conn.get_setting_ip4_config()
        ip6 = conn.get_setting_ip6_config()
        got = ["%s/%d" % (a.get_address(), a.get_prefix())
               for s in (ip4, ip6) for a in
               (s.get_address(k) for k in range(s.get_num_addresses()))]
        assert sorted(got) == sorted(iface["addresses"])
        assert (ip4.get_gateway() or None) == iface["gateway4"]
        assert (ip6.get_gateway() or None) == iface["gateway6"]
        assert ip4.get_num_routes() + ip6.get_num_routes() == \
            len(iface["routes"])


def unit_lines(path, key):
    """The values of key= lines of a unit file, in order."""
    prefix = key + "="
    return [line[len(prefix):].strip() for line in open(path)
            if line.startswith(prefix)]


def unit_command(line, root):
    """A unit's mdata-netcfg command line, run here: the built binary for
    the configured one, every absolute output directory under root, and
    the sample VM's saved metadata instead of the service."""
    argv = line.split()
    assert argv[0] == os.path.join(BINDIR, "mdata-netcfg"), argv[0]
    out = [BIN]
    for a in argv[1:]:
        if a.startswith("/"):
            a = str(root) + a
            os.makedirs(a, exist_ok=True)
        elif a.startswith("hostname:/"):
            a = "hostname:" + str(root) + a[len("hostname:"):]
            os.makedirs(a[len("hostname:"):], exist_ok=True)
        out.append(a)
    # --timeout applies to the service; saved metadata replaces it.
    i = out.index("--timeout")
    del out[i:i + 2]
    return out + ["--from-file", case_input("sample-vm"), "--sysfs",
                  make_sysfs("sample-vm", str(root))]


def need_unit():
    if not UNIT or not DROPIN or not BINDIR:
        pytest.skip("NETCFG_UNIT/NETCFG_NETPLAN_DROPIN/NETCFG_BINDIR not "
                    "set: unit checks skipped")


def test_check_unit(tmp_path):
    """The generated unit, with its netplan drop-in beside it, passes
    systemd-analyze verify (the binary path made the built one)."""
    need_unit()
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze missing (Debian package systemd): "
                    "unit check skipped")
    for dropin in (False, True):
        d = tmp_path / ("with-dropin" if dropin else "plain")
        os.makedirs(d)
        configured = os.path.join(BINDIR, "mdata-netcfg")
        (d / "mdata-netcfg.service").write_text(
            open(UNIT).read().replace(configured, BIN))
        if dropin:
            os.makedirs(d / "mdata-netcfg.service.d")
            (d / "mdata-netcfg.service.d" / "netplan.conf").write_text(
                open(DROPIN).read().replace(configured, BIN))
        r = subprocess.run([analyze, "verify", "--man=no",
                            str(d / "mdata-netcfg.service")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr


def test_unit_one_run_writes_network_and_hostname(tmp_path):
    """One ExecStart (one connection at boot) naming the configured
    bindir; that command writes the networkd files and /etc/hostname, and
    marks the dhcp nic not required for online."""
    need_unit()
    # Written before networkd starts, and networkd pulled in.
    assert "systemd-networkd.service" in " ".join(unit_lines(UNIT, "Before"))
    assert "systemd-networkd.service" in " ".join(unit_lines(UNIT, "Wants"))
    starts = unit_lines(UNIT, "ExecStart")
    assert len(starts) == 1, starts
    r = subprocess.run(unit_command(starts[0], tmp_path),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    net = tmp_path / "etc" / "systemd" / "network"
    assert sorted(os.listdir(net)) == sorted(
        os.listdir(os.path.join(GOLDEN, "sample-vm", "networkd")))
    assert (tmp_path / "etc" / "hostname").read_text() == \
        "guest-test-01\n"
    dhcp = (net / "10-mdata-net2.network").read_text()
    assert "RequiredForOnline=no" in dhcp
    assert "RequiredForOnline" not in \
        (net / "10-mdata-net0.network").read_text()


def test_unit_netplan_dropin(tmp_path):
    """The netplan drop-in replaces ExecStart (still one run) and runs
    netplan generate after it: with netplan's own CLI over the written
    YAML, the networkd files netplan generates match every nic by MAC,
    carry the primary's addresses, and leave the dhcp nic optional."""
    need_unit()
    netplan = shutil.which("netplan") or "/usr/sbin/netplan"
    need(netplan, "Debian package netplan.io")
    starts = unit_lines(DROPIN, "ExecStart")
    assert starts[0] == "" and len(starts) == 2, starts
    posts = unit_lines(DROPIN, "ExecStartPost")
    assert posts == ["/usr/sbin/netplan generate"], posts
    r = subprocess.run(unit_command(starts[1], tmp_path),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "etc" / "hostname").exists()
    r = subprocess.run([netplan, "generate", "--root-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    gen = tmp_path / "run" / "systemd" / "network"
    files = {n: (gen / n).read_text() for n in os.listdir(gen)
             if n.endswith(".network")}
    model = json.loads(run_json("sample-vm"))
    assert len(files) == len(model["interfaces"])
    for iface in model["interfaces"]:
        text = files["10-netplan-%s.network" % iface["name"]]
        assert "MACAddress=%s" % iface["mac"] in text
        for a in iface["addresses"]:
            assert "Address=%s" % a in text
        assert ("RequiredForOnline=no" in text) == iface["optional"]
    assert sum(i["optional"] for i in model["interfaces"]) == 1


# --- output rules ----------------------------------------------------

def test_output_atomic_and_unchanged(tmp_path):
    case = "d1-zone-routes"
    out, _ = render(case, "networkd", tmp_path)
    before = {n: os.stat(out / n) for n in os.listdir(out)}
    time.sleep(0.01)
    out2, _ = render(case, "networkd", tmp_path)
    assert out2 == out
    after = {n: os.stat(out / n) for n in os.listdir(out)}
    for n in before:  # untouched: same inode, same mtime
        assert before[n].st_ino == after[n].st_ino
        assert before[n].st_mtime_ns == after[n].st_mtime_ns
    # A changed file is replaced by rename (new inode); no temp files left.
    (out / "10-mdata-net1.network").write_text("stale\n")
    ino = os.stat(out / "10-mdata-net1.network").st_ino
    r = run(["-q", "-v", "-f", "networkd", "--from-file", case_input(case),
             "-o", str(out)])
    assert r.returncode == 0
    assert "wrote %s/10-mdata-net1.network" % out in r.stderr
    assert "10-mdata-net0.network unchanged" in r.stderr
    assert os.stat(out / "10-mdata-net1.network").st_ino != ino
    assert sorted(os.listdir(out)) == sorted(before)


def test_output_modes(tmp_path):
    for fmt, name, mode in [("nm", "mdata-net0.nmconnection", 0o600),
                            ("netplan", "50-mdata.yaml", 0o600),
                            ("ip", "mdata-network.sh", 0o755),
                            ("networkd", "10-mdata-net0.network", 0o644)]:
        out, _ = render("d1-zone-routes", fmt, tmp_path)
        assert stat.S_IMODE(os.stat(out / name).st_mode) == mode, fmt


@pytest.mark.parametrize("fmt", ["netplan", "ifupdown", "resolv", "json"])
def test_stdout_equals_file(fmt, tmp_path):
    out, _ = render("d2-bhyve-dualstack", fmt, tmp_path)
    sysfs = make_sysfs("d2-bhyve-dualstack", str(tmp_path))
    r = run(["-q", "-f", fmt, "--from-file", case_input("d2-bhyve-dualstack"),
             "--sysfs", sysfs])
    (name,) = os.listdir(out)
    assert r.stdout == (out / name).read_text()


def test_stdout_several_files():
    r = run(["-q", "-f", "networkd", "--from-file",
             case_input("d1-zone-routes")])
    assert r.returncode == 0
    assert r.stdout.count("### 10-mdata-net") == 3


def test_dir_and_json_inputs_agree(tmp_path):
    """--from-file DIR and --from-file JSON-object give the same model."""
    d = os.path.join(CASES, "d2-bhyve-dualstack")
    obj = {}
    for name in os.listdir(d):
        if name.startswith("sdc:"):
            obj[name] = open(os.path.join(d, name)).read()
    path = tmp_path / "md.json"
    path.write_text(json.dumps(obj))
    a = run(["-f", "json", "--from-file", d])
    b = run(["-f", "json", "--from-file", str(path)])
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


def test_ifname_resolution(tmp_path):
    sysfs = make_sysfs("d1-zone-routes", str(tmp_path))
    r = run(["-f", "ip", "--from-file", case_input("d1-zone-routes"),
             "--sysfs", sysfs])
    assert r.returncode == 0 and r.stderr == ""
    assert "dev 'eth1' scope link" in r.stdout
    empty = tmp_path / "empty"
    os.makedirs(empty)
    r = run(["-f", "ip", "--from-file", case_input("d1-zone-routes"),
             "--sysfs", str(empty)])
    assert r.returncode == 0
    # Looking at a system without the nics: both are left out.
    assert "no interface with MAC aa:bb:cc:12:34:57" in r.stderr
    assert "dev '" not in r.stdout
    r = run(["-f", "ip", "--from-file", case_input("d1-zone-routes")])
    assert r.returncode == 0 and "rendering offline" in r.stderr
    assert "dev 'net1' scope link" in r.stdout
    r = run(["-f", "ip", "--from-file", case_input("d1-zone-routes"),
             "--sysfs", str(tmp_path / "missing")])
    assert r.returncode == 1 and "cannot read --sysfs" in r.stderr


def test_warnings_on_stderr_and_quiet():
    r = run(["-f", "resolv", "--from-file", case_input("odd-routes")])
    assert r.returncode == 0
    assert "warning: route to 192.168.0.0/16 skipped" in r.stderr
    r = run(["-q", "-f", "resolv", "--from-file", case_input("odd-routes")])
    assert r.returncode == 0 and r.stderr == ""


def test_errors(tmp_path):
    r = run(["-f", "nope", "--from-file", case_input("d1-zone-routes")])
    assert r.returncode == 2
    empty = tmp_path / "nothing"
    os.makedirs(empty)
    r = run(["--from-file", str(empty)])
    assert r.returncode == 1 and "sdc:nics is not set" in r.stderr
    (empty / "sdc:nics").write_text('[{"interface":"net0"}]')
    r = run(["--from-file", str(empty)])
    assert r.returncode == 1 and "sdc:nics" in r.stderr
    r = run(["--from-file", str(tmp_path / "missing")])
    assert r.returncode == 1
    r = run(["-d", str(tmp_path / "no-such-socket"), "-t", "2"])
    assert r.returncode == 1 and r.stderr.startswith("mdata-netcfg: ")
    for bad in ("hostname", "nope:" + str(tmp_path), ":" + str(tmp_path),
                "hostname:"):
        r = run(["--also", bad, "--from-file", case_input("sample-vm")])
        assert r.returncode == 2 and "--also" in r.stderr, (bad, r.stderr)
    r = run(["--from-file", case_input("sample-vm")] +
            ["--also", "hostname:" + str(tmp_path)] * 5)
    assert r.returncode == 2 and "at most 4" in r.stderr


def test_help_names_the_timeout_unit():
    # -t takes seconds, as mdata-get's does and the man page says
    r = run(["--help"])
    assert r.returncode == 0, r
    usage = r.stdout + r.stderr
    assert "[-t SECS]" in usage and "-t, --timeout SECS" in usage, usage


def test_also_equals_separate_runs(tmp_path):
    """--also writes exactly what a separate run of that format writes;
    a format that names kernel interfaces gets them resolved."""
    case = "sample-vm"
    sysfs = make_sysfs(case, str(tmp_path))
    args = ["--from-file", case_input(case), "--sysfs", sysfs]
    r = run(args + ["-f", "networkd", "-o", str(tmp_path / "a"),
                    "--also", "ifupdown:" + str(tmp_path / "b"),
                    "--also", "hostname:" + str(tmp_path / "c")])
    assert r.returncode == 0, r.stderr
    for fmt, sub in (("networkd", "a"), ("ifupdown", "b"),
                     ("hostname", "c")):
        got = tree(tmp_path / sub)
        assert got == tree(os.path.join(GOLDEN, case, fmt)), fmt


# --- end to end: mdata-emu -> mdata-netcfg -> files -------------------

@pytest.fixture
def emulator(tmp_path):
    if not EMU or not os.access(EMU, os.X_OK) or not SAMPLE_VM:
        pytest.skip("MDATA_EMU / NETCFG_SAMPLE_VM not set: end-to-end test "
                    "skipped")
    path = str(tmp_path / "metadata.sock")
    proc = subprocess.Popen([EMU, "-q", "--socket", path, SAMPLE_VM],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("mdata-emu did not start: %s" %
                            proc.stderr.read().decode())
            time.sleep(0.05)
        finally:
            s.close()
    yield path
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("fmt", FORMATS)
def test_end_to_end(emulator, fmt, tmp_path):
    sysfs = make_sysfs("sample-vm", str(tmp_path))
    out = tmp_path / "out"
    r = run(["-d", emulator, "-t", "20", "-f", fmt, "--sysfs", sysfs,
             "-o", str(out)])
    assert r.returncode == 0, r.stderr
    if REGEN:
        return  # test_golden writes sample-vm's golden files
    compare_golden("sample-vm", fmt, out)


def test_end_to_end_notfound_is_absence(tmp_path):
    """A VM without hostname, dns_domain and routes: the host answers
    NOTFOUND for those keys, which the tool reads as absence."""
    if not EMU or not os.access(EMU, os.X_OK) or not SAMPLE_VM:
        pytest.skip("MDATA_EMU / NETCFG_SAMPLE_VM not set: end-to-end test "
                    "skipped")
    vm = json.load(open(SAMPLE_VM))
    for key in ("hostname", "dns_domain", "routes"):
        vm.pop(key, None)
    vmpath = tmp_path / "vm.json"
    vmpath.write_text(json.dumps(vm))
    path = str(tmp_path / "md.sock")
    proc = subprocess.Popen([EMU, "-q", "--socket", path, str(vmpath)],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        r = run(["-d", path, "-t", "20", "-f", "json"])
        assert r.returncode == 0, r.stderr
        model = json.loads(r.stdout)
        assert model["hostname"] is None and model["dns_domain"] is None
        assert [i["routes"] for i in model["interfaces"]] == [[], [], []]
        assert model["interfaces"][0]["gateway4"] == "192.0.2.1"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_end_to_end_serial(tmp_path):
    """The same over a serial line: mdata-emu on a pseudo-terminal, as a
    bhyve guest sees its COM2."""
    if not EMU or not os.access(EMU, os.X_OK) or not SAMPLE_VM:
        pytest.skip("MDATA_EMU / NETCFG_SAMPLE_VM not set: end-to-end test "
                    "skipped")
    proc = subprocess.Popen([EMU, "-q", "--pty", SAMPLE_VM],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        pty = proc.stdout.readline().strip()
        assert pty.startswith("/dev/"), pty
        out = tmp_path / "out"
        r = run(["-d", pty, "-t", "20", "-f", "json", "-o", str(out)])
        assert r.returncode == 0, r.stderr
        if not REGEN:
            compare_golden("sample-vm", "json", out)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_ifname_without_sysfs(tmp_path):
    """Where /sys/class/net is missing (FreeBSD), names come from
    getifaddrs(3): checked on Linux by hiding /sys/class in a mount
    namespace."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare(1)")
    macs = {}
    for name in sorted(os.listdir("/sys/class/net")):
        try:
            mac = open("/sys/class/net/%s/address" % name).read().strip()
        except OSError:
            continue
        if len(mac) == 17 and mac != "00:00:00:00:00:00":
            macs.setdefault(mac, []).append(name)
    unique = [(names[0], mac) for mac, names in macs.items()
              if len(names) == 1]
    real = unique[0] if unique else None
    if real is None:
        pytest.skip("no interface with a MAC on this machine")
    d = tmp_path / "md"
    os.makedirs(d)
    (d / "sdc:nics").write_text(json.dumps([
        {"interface": "net0", "mac": real[1], "ips": ["192.0.2.9/24"],
         "primary": True}]))
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         "mount -t tmpfs tmpfs /sys/class && exec \"$@\"", "sh", BIN,
         "-f", "ip", "--from-file", str(d), "--sysfs", "/sys/class/net"],
        capture_output=True, text=True, timeout=30)
    if "mount" in r.stderr and r.returncode != 0:
        pytest.skip("cannot hide /sys/class here: %s" % r.stderr.strip())
    assert r.returncode == 0, r.stderr
    assert "dev '%s'" % real[0] in r.stdout


@pytest.mark.parametrize("fmt,stale,mine", [
    ("networkd", "10-mdata-net9.network", "10-mdata-local.network"),
    ("nm", "mdata-net9.nmconnection", "mdata-local.nmconnection")])
def test_prune(fmt, stale, mine, tmp_path):
    """--prune removes only files this tool wrote (by name and header) for
    nics that are gone; without it nothing is removed."""
    out, _ = render("d1-zone-routes", fmt, tmp_path)
    header = "# Generated by mdata-netcfg from SmartOS metadata; changes " \
             "will be overwritten.\n"
    (out / stale).write_text(header + "[Match]\n")
    (out / mine).write_text("# written by hand\n" + header)
    (out / "other.conf").write_text(header)
    args = ["-q", "-v", "-f", fmt, "--from-file",
            case_input("d1-zone-routes"), "-o", str(out)]
    r = run(args)
    assert r.returncode == 0 and (out / stale).exists()
    r = run(args + ["--prune"])
    assert r.returncode == 0, r.stderr
    assert "removed %s/%s" % (out, stale) in r.stderr
    assert not (out / stale).exists()
    assert (out / mine).exists() and (out / "other.conf").exists()
    assert len([n for n in os.listdir(out) if n.startswith("10-mdata-net")
                or n.startswith("mdata-net")]) == 3


# --- terminal safety: host strings in warnings and errors -------------

def test_host_strings_reach_stderr_escaped(tmp_path):
    """Control characters in the host's strings (an interface name, a
    route gateway, the hostname, broken JSON) never reach stderr raw."""
    def clean(data):
        text = data.decode("utf-8", errors="surrogateescape")
        return not [c for c in text if (ord(c) < 0x20 and c != "\n") or
                    0x7f <= ord(c) <= 0x9f or 0xdc80 <= ord(c) <= 0xdcff]

    d = tmp_path / "md"
    os.makedirs(d)
    (d / "sdc:nics").write_bytes(
        b'[{"interface":"\\u001b[2Jnet0","mac":"aa:bb:cc:00:00:01",'
        b'"ips":["10.0.0.2/24"],"primary":true}]')
    (d / "sdc:routes").write_bytes(
        b'[{"dst":"10.1.0.0/16","gateway":"\\u001b]0;pwned\\u0007\xc2\x9b"}]')
    (d / "sdc:hostname").write_bytes(b"web\x1b[31m01")
    r = subprocess.run([BIN, "-f", "json", "--from-file", str(d)],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"unusable interface name" in r.stderr
    assert b"sdc:routes ignored: routes[0].gateway: " in r.stderr
    assert clean(r.stderr), r.stderr
    (d / "sdc:nics").write_bytes(b'[{"mac":"\x1b[2J\x9b\x7f"}]')
    r = subprocess.run([BIN, "--from-file", str(d)], capture_output=True,
                       timeout=60)
    assert r.returncode == 1 and b"sdc:nics" in r.stderr
    assert clean(r.stderr), r.stderr


# --- hostile sizes: bounded memory, a quick clear error ---------------

# KiB of peak RSS allowed per MiB of bound below: ASan's shadow memory and
# redzones make everything several times bigger
RSS_SCALE = 1 if os.environ.get("NETCFG_SANITIZE", "none") == "none" else 4


def run_measured(args):
    """Run mdata-netcfg under GNU time (a fork of this big python process
    would count python's pages as the child's peak): (returncode, stderr,
    seconds, peak RSS in KiB)."""
    if not os.access("/usr/bin/time", os.X_OK):
        pytest.skip("GNU time (Debian package time) is not installed")
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss=%M", BIN] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)
    lines = r.stderr.decode(errors="replace").splitlines()
    last = lines.pop() if lines else ""
    assert last.startswith("maxrss="), r.stderr
    err = "".join(l + "\n" for l in lines if not l.startswith(
        "Command exited with non-zero status"))
    return r.returncode, err, time.monotonic() - t0, int(last[7:])


def hostile_nics(size):
    """size bytes of a JSON array of empty objects: "[{},{},...,{}]"."""
    n = size // 3
    return b"[" + b"{}," * (n - 1) + b"{}]"


def test_hostile_64mib_nics_from_the_host(tmp_path):
    """A compromised host serving sdc:nics as 64 MiB of {} (this took 5 GB
    and 20 s before): refused at once with bounded memory."""
    if not EMU or not os.access(EMU, os.X_OK) or not SAMPLE_VM:
        pytest.skip("MDATA_EMU / NETCFG_SAMPLE_VM not set")
    raw = tmp_path / "nics"
    raw.write_bytes(hostile_nics(64 << 20))
    path = str(tmp_path / "h.sock")
    emu = subprocess.Popen([EMU, "-q", "--socket", path, "--raw",
                            "sdc:nics=" + str(raw), SAMPLE_VM])
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            assert emu.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        code, err, secs, rss = run_measured(["-d", path, "-t", "60"])
    finally:
        emu.terminate()
        emu.wait()
    assert code == 1, err
    assert err == ("mdata-netcfg: GET sdc:nics: line or value exceeds the "
                   "configured maximum size\n")
    assert secs < 30, secs
    assert rss < 32 * 1024 * RSS_SCALE, rss  # KiB (2 MiB measured)


def test_hostile_16mib_from_file(tmp_path):
    """--from-file with 16 MiB of {} (1.3 GB before), as one JSON object and
    as a per-key file: refused in well under a second's work, small."""
    doc = tmp_path / "md.json"
    doc.write_bytes(b'{"sdc:nics":' + hostile_nics((16 << 20) - 64) + b"}")
    code, err, secs, rss = run_measured(["--from-file", str(doc)])
    assert code == 1 and err == ("mdata-netcfg: %s: more than 41216 JSON "
                                 "values\n" % doc), err
    assert rss < 64 * 1024 * RSS_SCALE, rss
    d = tmp_path / "md"
    os.makedirs(d)
    (d / "sdc:nics").write_bytes(hostile_nics((16 << 20) - 64))
    code, err, secs, rss = run_measured(["--from-file", str(d)])
    assert code == 1 and "sdc:nics: nics: 5592384 entries, at most 32 " \
        "allowed" in err, err
    assert rss < 96 * 1024 * RSS_SCALE, rss


@pytest.mark.parametrize("t", ["0", "-1", "abc", "1s", "86401"])
def test_bad_timeout_refused(t):
    """--timeout takes seconds, 0 < t <= 86400; anything else is a usage
    error before any connection is tried."""
    r = run(["--timeout", t, "--device", "/nonexistent"])
    assert r.returncode == 2, r.stderr
    assert r.stderr == ("mdata-netcfg: bad timeout '%s' (seconds, "
                        "0 < t <= 86400)\n" % t), r.stderr
