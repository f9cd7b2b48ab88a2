"""mdata-emu's command line: VM.json errors, signals, --save, --connect,
--transcript, and every --fault verifiably happening."""
import base64
import datetime
import errno
import json
import os
import re
import select
import signal
import socket
import subprocess
import time
import zlib

import pytest

from conftest import EMU, WAIT, Peer, b64, frame, reply_frame, vm_path
from test_protocol import A12_V1, A12_V2

D1 = vm_path("d1-zone.json")
GET_HOST = frame("abcdef12", "GET", "sdc:hostname")
HOST_REPLY = reply_frame("abcdef12", "SUCCESS", "web01")


def run_emu(*args):
    return subprocess.run([EMU] + list(args), capture_output=True, timeout=WAIT)


def crc_ok(line):
    m = re.match(rb"V2 (\d+) ([0-9a-f]{8}) (.*)\n$", line)
    assert m, line
    body = m.group(3)
    return int(m.group(1)) == len(body) and int(m.group(2), 16) == zlib.crc32(body)


def transcript_records(path):
    """[(time, conn, dir, bytes)] from a --transcript file."""
    out = []
    for line in open(path, "rb").read().decode().splitlines():
        m = re.match(r'(\S+)Z c(\d+) (G>H|H>G) (\d+) "(.*)"$', line)
        if not m:
            continue
        raw = m.group(5).encode().decode("unicode_escape").encode("latin-1")
        assert len(raw) == int(m.group(4)), line
        when = datetime.datetime.fromisoformat(m.group(1))
        out.append((when, int(m.group(2)), m.group(3), raw))
    return out


# ---- VM.json and usage errors ---------------------------------------------

def test_vm_json_not_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"uuid": "x",\n "nics": [}\n')
    r = run_emu("--socket", str(tmp_path / "s"), str(bad))
    assert r.returncode == 2
    err = r.stderr.decode()
    assert str(bad) in err and "not valid JSON" in err and ":2:" in err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("text,kind", [("[1, 2]", "an array"), ('"vm"', "a string"), ("null", "null"), ("7", "a number")])
def test_vm_json_not_an_object(tmp_path, text, kind):
    p = tmp_path / "vm.json"
    p.write_text(text)
    r = run_emu("--socket", str(tmp_path / "s"), str(p))
    assert r.returncode == 2
    assert "must be a JSON object" in r.stderr.decode() and kind in r.stderr.decode()


def test_usage_errors(tmp_path):
    assert run_emu(D1).returncode == 2  # no topology
    assert run_emu("--socket", str(tmp_path / "s"), str(tmp_path / "missing.json")).returncode == 2
    r = run_emu("--fault", "explode=1", "--socket", str(tmp_path / "s"), D1)
    assert r.returncode == 2 and "unknown fault" in r.stderr.decode()
    assert run_emu("--fault", "drop=0", "--socket", str(tmp_path / "s"), D1).returncode == 2
    assert run_emu("--link", str(tmp_path / "l"), "--socket", str(tmp_path / "s"), D1).returncode == 2
    assert run_emu("--help").returncode == 0


def test_help_lists_every_fault_of_the_man_page():
    man = open(os.path.join(os.path.dirname(__file__), "..", "..", "doc",
                            "mdata-emu.1")).read()
    section = man.split(".SH FAULTS", 1)[1].split("\n.SH ", 1)[0]
    names = re.findall(r"^\.TP\n\.B[IR]? ([a-z\\-]+)", section, re.M)
    names = [n.replace("\\-", "-") for n in names]
    assert len(names) >= 15, names
    r = run_emu("--help")
    usage = r.stdout.decode() + r.stderr.decode()
    listed = set(re.findall(r"[a-z-]+", usage.split("--fault", 1)[1]
                            .split("--max-line", 1)[0]))
    assert [n for n in names if n not in listed] == [], usage


# ---- signals, --save ---------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(start_emu, signum, tmp_path):
    link = str(tmp_path / "ttyb")
    e = start_emu(D1, "--pty", "--link", link)
    c = e.connect()
    c.exchange(GET_HOST, HOST_REPLY)
    assert os.path.exists(e.sock_path) and os.path.islink(link)
    assert e.signal(signum) == 0
    assert not os.path.exists(e.sock_path)
    assert not os.path.lexists(link)


def test_stale_socket_replaced(start_emu, tmp_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(tmp_path / "meta.sock"))
    s.close()
    e = start_emu(D1)
    e.connect().exchange(GET_HOST, HOST_REPLY)


def test_save(start_emu, tmp_path):
    vm = tmp_path / "vm.json"
    vm.write_bytes(open(D1, "rb").read())
    os.chmod(vm, 0o640)
    e = start_emu(str(vm), "--save", str(vm))
    c = e.connect()
    c.exchange(frame("01", "PUT", b64("saved") + " " + b64("yes")), reply_frame("01", "SUCCESS", "OK"))
    c.exchange(frame("02", "PUT", b64("new_pw") + " " + b64("pw")), reply_frame("02", "SUCCESS", "OK"))
    c.exchange(frame("03", "DELETE", "dotty"), reply_frame("03", "SUCCESS", "OK"))
    saved = json.loads(vm.read_text())
    assert saved["customer_metadata"]["saved"] == "yes"
    assert "dotty" not in saved["customer_metadata"]
    assert saved["internal_metadata"]["new_pw"] == "pw"
    assert saved["nics"] == json.load(open(D1))["nics"]
    assert os.stat(vm).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == sorted(["vm.json", "meta.sock", "emu.stderr"])
    e.stop()
    # a restarted emulator serves what the guest stored
    e2 = start_emu(str(vm), socket_name="again.sock")
    c2 = e2.connect()
    c2.exchange(frame("04", "GET", "saved"), reply_frame("04", "SUCCESS", "yes"))
    c2.exchange(frame("05", "GET", "dotty"), reply_frame("05", "NOTFOUND"))


def test_save_failure_is_reported_and_undone(start_emu, tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    e = start_emu(D1, "--save", str(d / "missing-dir" / "vm.json"))
    c = e.connect()
    c.send(frame("06", "PUT", b64("k") + " " + b64("v")))
    line = c.recv_line()
    assert b" 06 FAILURE " in line and crc_ok(line)
    c.exchange(frame("07", "GET", "k"), reply_frame("07", "NOTFOUND"))


# ---- --connect (qemu chardev server) ---------------------------------------

def accept(listener):
    r, _, _ = select.select([listener], [], [], WAIT)
    assert r, "emulator never connected"
    conn, _ = listener.accept()
    return Peer(conn.fileno(), conn.close), conn


def test_connect_retries_and_reconnects(start_emu, tmp_path):
    path = str(tmp_path / "vm.ttyb")
    e = start_emu(D1, "--connect", path, socket_name=None)
    time.sleep(0.3)  # let it fail a few times (ENOENT) first
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    try:
        for _ in range(3):  # guest reboots: qemu drops and accepts again
            p, conn = accept(listener)
            p.exchange(b"\n", b"invalid command\n")
            p.exchange(b"NEGOTIATE V2\n", b"V2_OK\n")
            p.exchange(GET_HOST, HOST_REPLY)
            conn.close()
        # and doc/protocol.md §9.2 in full over this topology too
        p, conn = accept(listener)
        for req, want in A12_V1 + A12_V2:
            p.exchange(req, want)
        conn.close()
    finally:
        listener.close()
    assert e.proc.poll() is None


# ---- --transcript -----------------------------------------------------------

def test_transcript(start_emu, tmp_path):
    ts = tmp_path / "t.log"
    e = start_emu(D1, "--transcript", str(ts))
    c = e.connect()
    c.exchange(b"NEGOTIATE V2\n", b"V2_OK\n")
    c.exchange(GET_HOST, HOST_REPLY)
    c.close()
    e.peers.remove(c)
    deadline = time.monotonic() + WAIT
    while b"closed" not in ts.read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    recs = [(d, b) for _, _, d, b in transcript_records(ts)]
    assert recs == [("G>H", b"NEGOTIATE V2\n"), ("H>G", b"V2_OK\n"), ("G>H", GET_HOST), ("H>G", HOST_REPLY)]
    text = ts.read_text()
    assert "--- connected (socket)" in text and "--- closed (closed by the peer)" in text


# ---- faults -----------------------------------------------------------------

def test_raw_value(start_emu, tmp_path):
    """--raw KEY=FILE serves the file's bytes for KEY, V2 and V1 alike,
    whatever the VM holds; other keys are untouched."""
    data = b"[" + b"{}," * 5000 + b"{}]\x00\xff"
    (tmp_path / "raw").write_bytes(data)
    e = start_emu(D1, "--raw", "sdc:nics=%s" % (tmp_path / "raw"))
    c = e.connect()
    body = "0a GET " + base64.b64encode(b"sdc:nics").decode()
    c.send(("V2 %d %08x %s\n" % (len(body), zlib.crc32(body.encode()), body)).encode())
    f = c.recv_line().split()
    assert f[3:5] == [b"0a", b"SUCCESS"] and base64.b64decode(f[5]) == data
    c.exchange(GET_HOST, HOST_REPLY)
    r = run_emu("--socket", str(tmp_path / "x.sock"), "--raw", "nokeyfile", D1)
    assert r.returncode == 2 and b"--raw needs KEY=FILE" in r.stderr


def test_fault_drop(start_emu):
    e = start_emu(D1, "--fault", "drop=2")
    c = e.connect()
    for i in range(1, 7):
        req = frame("%02x" % i, "GET", "sdc:hostname")
        if i % 2:
            c.exchange(req, reply_frame("%02x" % i, "SUCCESS", "web01"))
        else:
            c.send(req)
            c.assert_silent()  # V1 lines are not counted
    # a dropped PUT is not applied either
    c.exchange(frame("07", "PUT", b64("a") + " " + b64("1")), reply_frame("07", "SUCCESS", "OK"))
    c.send(frame("08", "PUT", b64("b") + " " + b64("2")))
    c.assert_silent()
    c.exchange(frame("09", "GET", "b"), reply_frame("09", "NOTFOUND"))


def test_fault_corrupt(start_emu):
    e = start_emu(D1, "--fault", "corrupt=2")
    c = e.connect()
    c.exchange(GET_HOST, HOST_REPLY)
    c.send(GET_HOST)
    bad = c.recv_line()
    assert len(bad) == len(HOST_REPLY) and bad != HOST_REPLY
    diff = [a ^ b for a, b in zip(bad, HOST_REPLY) if a != b]
    assert diff == [1]  # one bit
    assert not crc_ok(bad)
    c.exchange(GET_HOST, HOST_REPLY)
    c.exchange(b"GET sdc:hostname\n", b"SUCCESS\nweb01\n.\n")  # V1 untouched


def test_fault_junk(start_emu):
    e = start_emu(D1, "--fault", "junk=1")
    c = e.connect()
    c.send(GET_HOST)
    junk = c.recv_line()
    assert junk != HOST_REPLY and not junk.startswith(b"V2 ")
    c.expect(HOST_REPLY)
    c.exchange(b"\n", b"invalid command\n")


def test_fault_wrongid(start_emu):
    e = start_emu(D1, "--fault", "wrongid=1")
    c = e.connect()
    c.send(GET_HOST)
    other = c.recv_line()
    assert crc_ok(other)
    assert other.split()[3] == b"543210ed" and other.split()[3] != b"abcdef12"
    c.expect(HOST_REPLY)


def test_fault_hostile(start_emu):
    e = start_emu(D1, "--fault", "hostile=2")
    c = e.connect()
    c.exchange(GET_HOST, HOST_REPLY)
    c.send(GET_HOST)
    evil = c.recv_line()
    assert crc_ok(evil)
    f = evil.split()
    assert f[3:5] == [b"abcdef12", b"FAILURE"]
    msg = base64.b64decode(f[5])
    assert msg.startswith(b"\x1b[2J\x1b]0;pwned\x07 \xc2\x9b31m") and b"\x7f\n" in msg
    c.exchange(GET_HOST, HOST_REPLY)


def test_fault_delay(start_emu, tmp_path):
    ts = tmp_path / "t.log"
    e = start_emu(D1, "--fault", "delay=300", "--transcript", str(ts))
    c = e.connect()
    c.send(GET_HOST + b"\n" + b"KEYS\n")
    c.expect(HOST_REPLY)  # order kept
    c.expect(b"invalid command\n")
    assert c.recv_line() == b"SUCCESS\n"
    recs = transcript_records(ts)
    t_in = next(t for t, _, d, _ in recs if d == "G>H")
    t_out = next(t for t, _, d, _ in recs if d == "H>G")
    assert (t_out - t_in).total_seconds() >= 0.29


def test_fault_slow_keeps_reading(start_emu):
    """slow=MS: every V2 request is answered MS after it came, the
    handshake at once, and requests sent meanwhile are read and answered
    in turn (a busy host, not a stuck one)."""
    e = start_emu(D1, "--fault", "slow=600")
    c = e.connect()
    began = time.monotonic()
    c.exchange(b"\n", b"invalid command\n")
    c.exchange(b"NEGOTIATE V2\n", b"V2_OK\n")
    assert time.monotonic() - began < 0.5
    first = time.monotonic()
    c.send(frame("01", "GET", "sdc:hostname"))
    time.sleep(0.3)
    c.send(frame("02", "GET", "sdc:hostname"))
    c.expect(reply_frame("01", "SUCCESS", "web01"))
    got1 = time.monotonic() - first
    c.expect(reply_frame("02", "SUCCESS", "web01"))
    got2 = time.monotonic() - first
    assert 0.55 <= got1 < 0.85  # not one after the other: 0.6 + 0.6
    assert 0.85 <= got2 < 1.15
    # V1 answers are not slowed
    began = time.monotonic()
    c.exchange(b"GET sdc:hostname\n", b"SUCCESS\nweb01\n.\n")
    assert time.monotonic() - began < 0.5


def test_fault_v1_slow_one_after_another(start_emu):
    """v1-slow=MS: the handshake at once; from the first V1 GET on, every
    V1 line (probes too) is answered MS after the answer before it, in
    order: a V1 agent whose lookups block it."""
    e = start_emu(D1, "--fault", "v1only,v1-slow=600")
    c = e.connect()
    began = time.monotonic()
    c.exchange(b"\n", b"invalid command\n")
    c.exchange(b"NEGOTIATE V2\n", b"FAILURE\n")
    assert time.monotonic() - began < 0.5
    first = time.monotonic()
    c.send(b"GET sdc:hostname\n\n")
    c.expect(b"SUCCESS\nweb01\n.\n")
    got1 = time.monotonic() - first
    c.expect(b"invalid command\n")
    got2 = time.monotonic() - first
    assert 0.55 <= got1 < 0.9
    assert 1.15 <= got2 < 1.5  # after the GET's answer, not beside it


def test_fault_damaged_copy_first(start_emu):
    e = start_emu(D1, "--fault", "damaged=1")
    c = e.connect()
    c.send(GET_HOST)
    copy = c.recv_line()
    assert copy == HOST_REPLY[:-2] + b"\n"  # the last byte lost
    f = copy.split()
    assert int(f[1]) != len(copy) - len(b" ".join(f[:3])) - 2
    assert f[3] == b"abcdef12"
    c.expect(HOST_REPLY)


def test_fault_upper_crc(start_emu):
    e = start_emu(D1, "--fault", "upper-crc,wrongid=1")
    c = e.connect()
    c.send(GET_HOST)
    other = c.recv_line()
    assert other.split()[2] == other.split()[2].upper()
    line = c.recv_line()
    f = HOST_REPLY.split(b" ")
    assert line == b" ".join(f[:2] + [f[2].upper()] + f[3:])
    assert f[2] != f[2].upper()  # the test means something: a-f digits
    c.exchange(b"\n", b"invalid command\n")


def test_fault_bytewise(start_emu, tmp_path):
    ts = tmp_path / "t.log"
    e = start_emu(D1, "--fault", "bytewise=0", "--transcript", str(ts))
    c = e.connect()
    c.exchange(GET_HOST, HOST_REPLY)
    c.exchange(b"GET dotty\n", b"SUCCESS\n..leading dot\n..\nmid\n.\n")
    outs = [b for _, _, d, b in transcript_records(ts) if d == "H>G"]
    assert all(len(b) == 1 for b in outs)
    assert b"".join(outs) == HOST_REPLY + b"SUCCESS\n..leading dot\n..\nmid\n.\n"


def test_fault_v1only(start_emu):
    e = start_emu(D1, "--fault", "v1only")
    c = e.connect()
    c.exchange(b"\n", b"invalid command\n")
    c.exchange(b"NEGOTIATE V2\n", b"FAILURE\n")
    c.exchange(GET_HOST, b"FAILURE\n")
    c.exchange(b"GET sdc:hostname\n", b"SUCCESS\nweb01\n.\n")
    c.exchange(b"KEYS\n", b"SUCCESS\nuser-script\nbar:foo\ndotty\nempty\nfoo:bar\nadmin_pw\n.\n")


def test_fault_ignore_probes(start_emu):
    e = start_emu(D1, "--fault", "ignore-probes=2")
    c = e.connect()
    c.send(b"\n\n\nGET sdc:hostname\n\n")
    c.expect(b"invalid command\nSUCCESS\nweb01\n.\ninvalid command\n")
    # counters are per connection
    c2 = e.connect()
    c2.send(b"\n\nNEGOTIATE V2\n\n")
    c2.expect(b"V2_OK\ninvalid command\n")


def test_fault_hangup_socket(start_emu):
    e = start_emu(D1, "--fault", "hangup=2")
    c = e.connect()
    c.exchange(b"NEGOTIATE V2\n", b"V2_OK\n")  # V1: not counted
    c.exchange(GET_HOST, HOST_REPLY)
    c.send(GET_HOST)
    c.expect(HOST_REPLY)
    c.expect_eof()
    e.connect().exchange(GET_HOST, HOST_REPLY)


def test_fault_hangup_pty_resets_session(start_emu, tmp_path):
    ts = tmp_path / "t.log"
    e = start_emu(D1, "--fault", "hangup=1", "--transcript", str(ts), pty=True, socket_name=None)
    c = e.open_pty()
    c.exchange(GET_HOST, HOST_REPLY)
    # a serial line cannot hang up: the session is reset and goes on
    c.exchange(GET_HOST, HOST_REPLY)
    assert "session reset (hangup fault)" in ts.read_text()


def test_fault_hangup_connect_reconnects(start_emu, tmp_path):
    path = str(tmp_path / "vm.ttyb")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    try:
        start_emu(D1, "--connect", path, "--fault", "hangup=1", socket_name=None)
        p, conn = accept(listener)
        p.exchange(GET_HOST, HOST_REPLY)
        p.expect_eof()
        conn.close()
        p2, conn2 = accept(listener)
        p2.exchange(GET_HOST, HOST_REPLY)
        conn2.close()
    finally:
        listener.close()


def test_fault_gone_socket(start_emu):
    e = start_emu(D1, "--fault", "gone=2")
    c = e.connect()
    c.exchange(GET_HOST, HOST_REPLY)
    c.exchange(GET_HOST, HOST_REPLY)
    c.expect_eof()
    deadline = time.monotonic() + WAIT
    while os.path.exists(e.sock_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists(e.sock_path)
    assert e.proc.poll() is None  # the emulator itself keeps running


def test_fault_gone_pty_link_gives_eio(start_emu, tmp_path):
    link = str(tmp_path / "ttyS1")
    e = start_emu(D1, "--link", link, "--fault", "gone=1", pty=True,
                  socket_name=None)
    c = e.open_pty(link)
    c.exchange(GET_HOST, HOST_REPLY)
    c.expect_eof()  # the master closed: the guest's line is hung up
    assert os.path.islink(link) and os.readlink(link) != e.pty_path
    with pytest.raises(OSError) as ei:
        os.open(link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    assert ei.value.errno == errno.EIO
    assert not os.path.exists(e.pty_path)
    assert e.proc.poll() is None
    e.stop()
    assert not os.path.lexists(link)


def test_fault_crlf(start_emu):
    e = start_emu(D1, "--fault", "crlf")
    c = e.connect()
    c.exchange(b"\n", b"invalid command\r\n")
    c.exchange(GET_HOST, HOST_REPLY[:-1] + b"\r\n")
    c.exchange(b"GET dotty\n", b"SUCCESS\r\n..leading dot\r\n..\r\nmid\r\n.\r\n")


def test_fault_combined_spec(start_emu):
    e = start_emu(D1, "--fault", "drop=2,crlf", "--fault", "junk=2")
    c = e.connect()
    c.exchange(frame("01", "GET", "sdc:hostname"), reply_frame("01", "SUCCESS", "web01")[:-1] + b"\r\n")
    c.send(frame("02", "GET", "sdc:hostname"))
    c.send(b"\n")
    c.expect(b"invalid command\r\n")
    # the second V2 reply (the dropped request had none) gets the junk line
    c.send(frame("03", "GET", "sdc:hostname"))
    c.expect(b"#mdata-emu junk line (fault injection)\r\n")
    c.expect(reply_frame("03", "SUCCESS", "web01")[:-1] + b"\r\n")
