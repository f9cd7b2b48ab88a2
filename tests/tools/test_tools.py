"""mdata-get/put/list/delete as processes against mdata-emu, over a unix
socket and a pty: every behaviour row of doc/protocol.md §8.2, exit codes,
stdin handling, binary values, and the emulator's faults."""
import os
import pty
import time

import pytest

from conftest import run_tool

VM = {
    "uuid": "3b1a2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "hostname": "web01",
    "resolvers": ["8.8.8.8", "8.8.4.4"],
    "customer_metadata": {
        "plain": "hello",
        "ends-nl": "line\n",
        "empty": "",
        "dotty": ".leading dot\n.\n\nmid\n",
        "user-script": "\n\n#!/bin/sh\necho hi\n",
    },
    "internal_metadata": {"admin_pw": "secret"},
    "internal_metadata_namespaces": ["foo"],
}


@pytest.fixture
def dev(host, write_vm):
    return host(write_vm(VM))


# ---- mdata-get -----------------------------------------------------------

def test_get_adds_newline_unless_value_ends_in_one(dev):
    r = run_tool("mdata-get", "plain", device=dev)
    assert (r.code, r.out, r.err) == (0, b"hello\n", "")
    r = run_tool("mdata-get", "ends-nl", device=dev)
    assert (r.code, r.out) == (0, b"line\n")


def test_get_empty_value_prints_one_newline(dev):
    r = run_tool("mdata-get", "empty", device=dev)
    assert (r.code, r.out) == (0, b"\n")


def test_get_sdc_keys_and_internal_routing(dev):
    assert run_tool("mdata-get", "sdc:hostname", device=dev).out == b"web01\n"
    assert run_tool("mdata-get", "sdc:resolvers", device=dev).out == b'["8.8.8.8","8.8.4.4"]\n'
    assert run_tool("mdata-get", "admin_pw", device=dev).out == b"secret\n"


def test_get_leading_blank_lines_and_dots_kept(dev):
    r = run_tool("mdata-get", "user-script", device=dev)
    assert r.out == b"\n\n#!/bin/sh\necho hi\n"
    assert run_tool("mdata-get", "dotty", device=dev).out == b".leading dot\n.\n\nmid\n"


def test_get_not_found_exit_1(dev):
    r = run_tool("mdata-get", "nosuchkey", device=dev)
    assert (r.code, r.out, r.err) == (1, b"", "No metadata for 'nosuchkey'\n")


def test_get_host_failure_exit_2_with_message(dev):
    # A non-string value: the host answers FAILURE with no message.
    r = run_tool("mdata-get", "sdc:customer_metadata", device=dev)
    assert (r.code, r.out) == (2, b"")
    assert r.err == "Error getting metadata for key 'sdc:customer_metadata': \n"


def test_get_usage_errors_exit_3(dev):
    r = run_tool("mdata-get", device=dev)
    assert r.code == 3
    assert "mdata-get: Usage: " in r.err and r.err.endswith(" <keyname>\n")
    for bad in ["", " padded", "trailing ", "two\nlines"]:
        r = run_tool("mdata-get", "--", bad, device=dev)
        assert r.code == 3, (bad, r)
        assert "Usage" in r.err
    r = run_tool("mdata-get", "--bogus", "k", device=dev)
    assert r.code == 3 and "unknown option" in r.err


def test_help_and_version_exit_0():
    for tool in ["mdata-get", "mdata-put", "mdata-list", "mdata-delete"]:
        r = run_tool(tool, "--help")
        assert r.code == 0 and b"Usage: " + tool.encode() in r.out
        r = run_tool(tool, "-V")
        assert r.code == 0 and r.out.startswith(tool.encode() + b" (libmdata) ")


def test_double_dash_allows_keys_starting_with_dash(dev):
    assert run_tool("mdata-put", "--", "-odd", "x", device=dev).code == 0
    assert run_tool("mdata-get", "--", "-odd", device=dev).out == b"x\n"


# ---- mdata-list ----------------------------------------------------------

def test_list_keys_with_final_newline(dev):
    r = run_tool("mdata-list", device=dev)
    assert r.code == 0
    assert r.out == b"plain\nends-nl\nempty\ndotty\nuser-script\nadmin_pw\n"


def test_list_no_keys_prints_nothing(host, write_vm):
    d = host(write_vm({"customer_metadata": {}, "internal_metadata": {}}))
    r = run_tool("mdata-list", "ignored", "operands", device=d)
    assert (r.code, r.out, r.err) == (0, b"", "")


# ---- mdata-put / mdata-delete ---------------------------------------------

def test_put_from_argv_then_get(dev):
    r = run_tool("mdata-put", "k1", "v a l", device=dev)
    assert (r.code, r.out, r.err) == (0, b"", "")
    assert run_tool("mdata-get", "k1", device=dev).out == b"v a l\n"


def test_put_from_stdin_keeps_newline_and_binary(dev):
    assert run_tool("mdata-put", "k2", device=dev, stdin=b"foo\n").code == 0
    assert run_tool("mdata-get", "k2", device=dev).out == b"foo\n"
    # Any bytes that are UTF-8, NULs included: the host keeps values as
    # text and replaces invalid UTF-8 with U+FFFD, as the next test shows.
    blob = bytes(range(128)) * 4 + "é€😀".encode() + b"\x00tail"
    assert run_tool("mdata-put", "bin", device=dev, stdin=blob).code == 0
    r = run_tool("mdata-get", "bin", device=dev)
    assert r.code == 0 and r.out == blob + b"\n"


def test_put_empty_refused_like_the_host(dev):
    for kw in ({"stdin": b""}, {}):
        args = ["mdata-put", "emptyval"] + ([] if kw else [""])
        r = run_tool(*args, device=dev, **kw)
        assert r.code == 2, r
        assert r.err == "Error putting metadata for key 'emptyval': Invalid PUT Request\n"


def test_put_refuses_tty_stdin(dev):
    master, slave = pty.openpty()
    try:
        r = run_tool("mdata-put", "k", device=dev, stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert r.code == 2
    assert r.err == ("ERROR: either specify the metadata value as the second "
                     "command-line argument, or pipe content to stdin.\n")


def test_put_sdc_namespace_refused(dev):
    r = run_tool("mdata-put", "sdc:hostname", "x", device=dev)
    assert r.code == 2
    assert r.err == "Error putting metadata for key 'sdc:hostname': Cannot update the \"sdc\" Namespace.\n"
    r = run_tool("mdata-put", "foo:bar", "x", device=dev)
    assert r.err == "Error putting metadata for key 'foo:bar': Cannot update the \"foo\" Namespace.\n"


def test_delete_then_get_not_found_and_missing_key_ok(dev):
    assert run_tool("mdata-delete", "plain", device=dev).code == 0
    assert run_tool("mdata-get", "plain", device=dev).code == 1
    r = run_tool("mdata-delete", "never-existed", device=dev)
    assert (r.code, r.out, r.err) == (0, b"", "")


def test_delete_sdc_refused(dev):
    r = run_tool("mdata-delete", "sdc:uuid", device=dev)
    assert r.code == 2
    assert r.err == "Error deleting metadata key 'sdc:uuid': Cannot update the \"sdc\" Namespace.\n"


def test_put_non_utf8_is_mangled_by_the_host_not_by_us(dev):
    assert run_tool("mdata-put", "latin1", device=dev, stdin=b"caf\xe9").code == 0
    assert run_tool("mdata-get", "latin1", device=dev).out == b"caf\xef\xbf\xbd\n"


def test_one_mib_value_round_trip(dev):
    blob = (bytes(range(1, 128)) * 8300)[:1 << 20]
    assert run_tool("mdata-put", "big", device=dev, stdin=blob).code == 0
    r = run_tool("mdata-get", "big", device=dev)
    assert r.code == 0 and r.out == blob + b"\n"


# ---- V1-only host ----------------------------------------------------------

def test_v1_host_get_and_list_work_put_delete_refused(host, write_vm):
    d = host(write_vm(VM), "--fault", "v1only")
    assert run_tool("mdata-get", "user-script", device=d).out == b"\n\n#!/bin/sh\necho hi\n"
    assert run_tool("mdata-get", "dotty", device=d).out == b".leading dot\n.\n\nmid\n"
    assert run_tool("mdata-get", "nosuch", device=d).code == 1
    assert run_tool("mdata-list", device=d).code == 0
    r = run_tool("mdata-put", "k", "v", device=d)
    assert (r.code, r.err) == (2, "ERROR: host does not support PUT\n")
    r = run_tool("mdata-delete", "k", device=d)
    assert (r.code, r.err) == (2, "ERROR: host does not support DELETE\n")


# ---- faults ----------------------------------------------------------------

@pytest.mark.parametrize("fault", [
    "drop=2", "drop=3", "corrupt=2", "junk=1", "wrongid=1",
    "delay=300", "bytewise", "crlf", "ignore-probes=2", "hangup=2",
])
def test_get_survives_fault(host, write_vm, fault):
    d = host(write_vm(VM), "--fault", fault)
    for _ in range(3):
        r = run_tool("mdata-get", "-v", "plain", device=d)
        assert (r.code, r.out) == (0, b"hello\n"), (fault, r)


def test_get_every_reply_damaged_ends_promptly(host, write_vm):
    # Only damaged replies: each attempt listens 250 ms for a good copy,
    # then resyncs and retries; after 4 attempts, status 2.
    d = host(write_vm(VM), "--fault", "corrupt=1")
    began = time.monotonic()
    r = run_tool("mdata-get", "-v", "plain", device=d, timeout=120)
    took = time.monotonic() - began
    assert (r.code, r.out) == (2, b""), r
    assert "ERROR: no usable reply to GET from the metadata service on " + d in r.err
    assert " attempts=4 retries=3 timeouts=0 " in r.err, r.err
    assert took < 10, took  # 4 x 250 ms + backoffs + resyncs; no attempt waits out its timeout


def test_get_every_reply_lost_ends_with_error_not_hang(start_emu, write_vm):
    # The host answers the handshake but no request, and there is no -t:
    # the attempts wait 3, 6, 12 and 48 s, then status 2 (about 70 s; one
    # transport only, it is slow by design).
    d = start_emu(write_vm(VM), "--fault", "drop=1").sock_path
    began = time.monotonic()
    r = run_tool("mdata-get", "plain", device=d, timeout=150)
    took = time.monotonic() - began
    assert (r.code, r.out) == (2, b""), r
    # once that the host went silent (its answers to the resync's probes
    # are no answer to the request), then the error
    lines = r.err.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("mdata-get: waiting for the metadata service on "
                               "%s (no reply from the host in time)" % d), lines
    assert lines[1].startswith("ERROR: no usable reply to GET from the metadata service on " + d)
    assert 68 < took < 110, took


# ---- slow and noisy hosts ----------------------------------------------------

def emu_device(start_emu, transport, *args):
    if transport == "socket":
        return start_emu(*args).sock_path
    return start_emu(*args, socket_name=None, pty=True).pty_path


@pytest.mark.parametrize("ms,transport,opts", [
    (3500, "pty", []),
    (7000, "socket", ["-t", "60"]),
    (15000, "socket", []),
])
def test_get_from_a_slow_host(start_emu, write_vm, ms, transport, opts):
    # A busy host answers every V2 request after ms (and the handshake at
    # once): the answer to the first attempt completes the request as soon
    # as it comes, though retries with longer waits went out meanwhile.
    d = emu_device(start_emu, transport, write_vm(VM), "--fault", "slow=%d" % ms)
    began = time.monotonic()
    r = run_tool("mdata-get", "-v", *opts, "plain", device=d, timeout=90)
    took = time.monotonic() - began
    assert (r.code, r.out) == (0, b"hello\n"), r
    assert " late=1" in r.err, r.err
    assert ms / 1000 - 0.1 < took < ms / 1000 + 6, took


def test_get_from_a_host_slow_to_answer_anything(start_emu, write_vm):
    # Every line, the handshake too, answered 3.5 s late: the first 5 s try
    # hears the host but cannot finish the handshake (two round trips); the
    # next try is given twice as long, and the request is answered.
    d = start_emu(write_vm(VM), "--fault", "delay=3500").sock_path
    began = time.monotonic()
    r = run_tool("mdata-get", "plain", device=d, timeout=90)
    took = time.monotonic() - began
    assert (r.code, r.out) == (0, b"hello\n"), r
    # two waits, each told once: for the handshake, then for the request's
    # reply (3.5 s, past its first attempt's 3 s)
    lines = r.err.splitlines()
    assert len(lines) == 4, lines
    assert "waiting for the metadata service on %s (deadline expired" % d in lines[0]
    assert lines[1] == "mdata-get: the metadata service on %s answers again" % d
    assert "(no reply from the host in time)" in lines[2]
    assert lines[3] == lines[1]
    assert 12 < took < 30, took


def test_put_answered_after_12_s(start_emu, write_vm):
    # The host's update takes 12 s: the PUT's first attempt (10 s) is
    # retried, and the answer to the first completes it.
    d = start_emu(write_vm(VM), "--update-delay-ms", "12000", socket_name=None, pty=True).pty_path
    began = time.monotonic()
    r = run_tool("mdata-put", "-v", "slow-key", "slow value", device=d, timeout=90)
    took = time.monotonic() - began
    assert (r.code, r.out) == (0, b""), r
    assert " late=1" in r.err, r.err
    assert 11.9 < took < 18, took
    assert run_tool("mdata-get", "slow-key", device=d).out == b"slow value\n"


@pytest.mark.parametrize("fault", ["junk=1,wrongid=1,damaged=1", "damaged=1,crlf", "upper-crc"])
def test_get_noisy_host_first_attempt(host, write_vm, fault):
    # A junk line, a frame for another id and a damaged copy (bad length)
    # before the good reply; or a CRC in upper-case hex: taken on the first
    # attempt, nothing resent.
    d = host(write_vm(VM), "--fault", fault)
    began = time.monotonic()
    r = run_tool("mdata-get", "-v", "plain", device=d)
    took = time.monotonic() - began
    assert (r.code, r.out) == (0, b"hello\n"), r
    assert "counters: requests=2 attempts=1 retries=0 timeouts=0 resyncs=0 " in r.err, r.err
    assert took < 2.5, took


# ---- no service ------------------------------------------------------------

def test_missing_device_is_a_clear_error(tmp_path):
    # (a missing path outside /dev may be a socket still to come: waited
    # for, see test_device_open.py)
    r = run_tool("mdata-get", "k", device="/dev/mdata-test-nope")
    assert r.code == 2
    assert r.err.startswith("ERROR: could not initialise protocol: ")
    r = run_tool("mdata-get", "k", device=str(tmp_path))
    assert r.code == 2
    assert r.err.startswith("ERROR: could not initialise protocol: ")
    assert "neither a unix socket nor a character device" in r.err


def test_waits_for_the_service_then_times_out(tmp_path):
    # A socket nobody serves: the tool waits, says so, and -t ends it.
    import socket
    path = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    try:
        began = time.monotonic()
        r = run_tool("mdata-get", "-t", "2", "k", device=path)
        took = time.monotonic() - began
    finally:
        s.close()
    assert r.code == 2, r
    assert "waiting for the metadata service on " + path in r.err
    assert "ERROR: timed out after 2.0 s" in r.err
    assert took < 30


def test_timeout_from_environment(tmp_path):
    import socket
    path = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    try:
        r = run_tool("mdata-list", env={"MDATA_DEVICE": path, "MDATA_TIMEOUT": "1"})
    finally:
        s.close()
    assert r.code == 2 and "timed out after 1.0 s" in r.err


def test_service_slow_to_answer_is_waited_for(start_emu, write_vm):
    # The host ignores the first probes, as an agent still starting would:
    # the tool says it is waiting, keeps probing, and gets the value. (On a
    # serial line: the emulator counts ignored probes per connection, and
    # only a serial line stays the same connection across tries.)
    d = start_emu(write_vm(VM), "--fault", "ignore-probes=4", socket_name=None, pty=True).pty_path
    r = run_tool("mdata-get", "-t", "60", "plain", device=d)
    assert (r.code, r.out) == (0, b"hello\n"), r
    assert "waiting for the metadata service on " + d in r.err


# ---- terminal safety: the host's text is escaped, values are not ---------

def no_terminal_controls(data):
    """No C0 control but LF, no DEL, no C1 (raw or UTF-8) in data."""
    text = data.decode("utf-8", errors="surrogateescape")
    return not [c for c in text if (ord(c) < 0x20 and c != "\n") or
                0x7f <= ord(c) <= 0x9f or 0xdc80 <= ord(c) <= 0xdcff]


def test_host_failure_message_is_escaped(host, write_vm):
    d = host(write_vm(VM), "--fault", "hostile=1")
    r = run_tool("mdata-get", "plain", device=d)
    assert (r.code, r.out) == (2, b"")
    assert no_terminal_controls(r.err_bytes), r.err_bytes
    assert r.err_bytes == (b"Error getting metadata for key 'plain': "
                           b"\\x1b[2J\\x1b]0;pwned\\x07 \\u009b31mred\\x9b0m\\x7f\n"
                           b"second line\n")
    r = run_tool("mdata-list", device=d)
    assert r.code == 2 and no_terminal_controls(r.err_bytes), r.err_bytes
    assert "\\x1b[2J" in r.err


@pytest.mark.parametrize("v1", [False, True])
def test_values_with_controls_stay_exact_and_trace_is_escaped(host, write_vm, v1):
    evil = "\x1b]0;pwned\x07\x1b[2J\u009b\x7fok"
    d = host(write_vm(dict(VM, customer_metadata={"evil": evil})),
             *(["--fault", "v1only"] if v1 else []))
    r = run_tool("mdata-get", "-v", "evil", device=d)
    assert (r.code, r.out) == (0, evil.encode() + b"\n"), r
    assert no_terminal_controls(r.err_bytes), r.err_bytes
    if v1:  # V1 carries the value as raw text: the trace shows it escaped
        assert "<- \\x1b]0;pwned\\x07\\x1b[2J\\u009b\\x7fok" in r.err, r.err


def test_verbose_shows_the_exchange_and_counters(dev):
    r = run_tool("mdata-get", "-v", "plain", device=dev)
    assert (r.code, r.out) == (0, b"hello\n")
    lines = r.err.splitlines()
    assert lines[:4] == ["mdata-get: -> ", "mdata-get: <- invalid command",
                         "mdata-get: -> NEGOTIATE V2", "mdata-get: <- V2_OK"]
    assert lines[4].startswith("mdata-get: -> V2 ") and " GET cGxhaW4=" in lines[4]
    assert lines[5].startswith("mdata-get: <- V2 ") and lines[5].endswith(" SUCCESS aGVsbG8=")
    assert lines[6].startswith("mdata-get: device " + dev + ", protocol V2, done after ")
    assert lines[7].startswith("mdata-get: counters: requests=2 attempts=1 retries=0")


def test_verbose_cuts_long_lines(dev):
    assert run_tool("mdata-put", "long", device=dev, stdin=b"y" * 3000).code == 0
    r = run_tool("mdata-get", "-v", "long", device=dev)
    assert r.code == 0 and r.out == b"y" * 3000 + b"\n"
    got = [l for l in r.err.splitlines() if " SUCCESS " in l]
    assert len(got) == 1 and got[0].endswith(" bytes)")
