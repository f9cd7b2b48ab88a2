"""doc/protocol.md §2-§5 and §9.2 over a real unix socket and a real pty:
the exact bytes the SmartOS agent writes, quirks included."""
import time
import zlib

import pytest

from conftest import WAIT, b64, frame, reply_frame, vm_path

D1 = vm_path("d1-zone.json")
KEYS_D1 = "user-script\nbar:foo\ndotty\nempty\nfoo:bar\nadmin_pw"

# doc/protocol.md §9.2, verbatim (reqid abcdef12), on the D.1 zone.
A12_V2 = [
    (b"V2 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l\n", b"V2 25 c02a042a abcdef12 SUCCESS d2ViMDE=\n"),
    (b"V2 33 c75c8f4a abcdef12 GET c2RjOnJlc29sdmVycw==\n", b"V2 45 f5d7c3e7 abcdef12 SUCCESS WyI4LjguOC44IiwiOC44LjQuNCJd\n"),
    (b"V2 41 3fb04fb1 abcdef12 GET c2RjOmN1c3RvbWVyX21ldGFkYXRh\n", b"V2 16 5a7ebfc9 abcdef12 FAILURE\n"),
    (b"V2 12 ab805412 abcdef12 GET\n", b"V2 45 03e68a95 abcdef12 FAILURE SW52YWxpZCBHRVQgUmVxdWVzdA==\n"),
    (b"V2 13 b1212727 abcdef12 FROB\n", b"V2 45 d5bbf2c1 abcdef12 FAILURE VW5rbm93biBjb21tYW5kIEZST0I=\n"),
    (b"V2 33 70350640 abcdef12 PUT YzJSak9uZz0gZVE9PQ==\n", b"V2 65 46e538a3 abcdef12 FAILURE Q2Fubm90IHVwZGF0ZSB0aGUgInNkYyIgTmFtZXNwYWNlLg==\n"),
    (b"V2 33 45d491b1 abcdef12 PUT Wm05dk9uZz0gZVE9PQ==\n", b"V2 65 ee2b2436 abcdef12 FAILURE Q2Fubm90IHVwZGF0ZSB0aGUgImZvbyIgTmFtZXNwYWNlLg==\n"),
    (b"V2 25 2cdc3c6e abcdef12 PUT Ym05d1pRPT0=\n", b"V2 45 a130dbb2 abcdef12 FAILURE SW52YWxpZCBQVVQgUmVxdWVzdA==\n"),
    (b"V2 28 ada3c3dc abcdef12 DELETE c2RjOnV1aWQ=\n", b"V2 65 46e538a3 abcdef12 FAILURE Q2Fubm90IHVwZGF0ZSB0aGUgInNkYyIgTmFtZXNwYWNlLg==\n"),
    (b"V2 21 7e8398a8 abcdef12 GET ZW1wdHk=\n", b"V2 16 14e563ba abcdef12 SUCCESS\n"),
    (b"V2 25 5bec74d8 abcdef12 GET c29tZV9rZXk=\n", b"V2 17 ee6c7f16 abcdef12 NOTFOUND\n"),
    (b"V2 13 2c0adf2a abcdef12 KEYS\n", reply_frame("abcdef12", "SUCCESS", KEYS_D1)),
    (b"V2 25 63d826e2 abcdef12 PUT YXc9PSBkZz09\n", b"V2 21 c9fe4e1e abcdef12 SUCCESS T0s=\n"),
    (b"V2 20 d38c4746 abcdef12 DELETE aw==\n", b"V2 21 c9fe4e1e abcdef12 SUCCESS T0s=\n"),
    (b"xxV2 29 a115d356 00000002 GET c2RjOmhvc3RuYW1l\n", b"FAILURE\n"),
]
A12_SILENT = [
    b"V2 29 deadbeef abcdef12 GET c2RjOmhvc3RuYW1l\n",  # bad CRC
    b"V2 28 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l\n",  # bad clen
    b"V2 29 838A0962 abcdef12 GET c2RjOmhvc3RuYW1l\n",  # uppercase CRC
    b"V2 13 f5864f1e 0000001e GET \n",  # trailing space trimmed: 13 != 12
    b"V2\n",
    b"V2 garbage\n",
]
A12_V1 = [
    (b"\n", b"invalid command\n"),
    (b"   \n", b"invalid command\n"),
    (b" GET hostname\n", b"invalid command\n"),
    (b"GET\n", b"invalid command\n"),
    (b"GET \n", b"invalid command\n"),
    (b"NEGOTIATE\n", b"invalid command\n"),
    (b"NEGOTIATE V2\n", b"V2_OK\n"),
    (b"NEGOTIATE V2\n", b"V2_OK\n"),
    (b"NEGOTIATE V3\n", b"FAILURE\n"),
    (b"FOO\n", b"FAILURE\n"),
    (b"PUT a b\n", b"FAILURE\n"),
    (b"DELETE a\n", b"FAILURE\n"),
    (b"get sdc:uuid\n", b"FAILURE\n"),
    (b"GET sdc:hostname\n", b"SUCCESS\nweb01\n.\n"),
    (b"GET dotty\n", b"SUCCESS\n..leading dot\n..\nmid\n.\n"),
    (b"GET empty\n", b"SUCCESS\n\n.\n"),
    (b"GET nope\n", b"NOTFOUND\n"),
    (b"GET  sdc:uuid\n", b"SUCCESS\n5b3c1a2e-9f8d-4c7b-a6e5-d4c3b2a19080\n.\n"),
    (b"GET\tsdc:uuid\n", b"SUCCESS\n5b3c1a2e-9f8d-4c7b-a6e5-d4c3b2a19080\n.\n"),
    (b"KEYS\n", b"SUCCESS\n" + KEYS_D1.encode() + b"\n.\n"),
    (b"GET user-script\n", b"SUCCESS\n#!/bin/sh\necho hi\n\n.\n"),
]

D1_ROUTES = ('[{"linklocal":true,"dst":"172.21.1.1","gateway":"172.20.1.2"},'
             '{"linklocal":false,"dst":"172.22.2.0/24","gateway":"172.19.1.1"},'
             '{"linklocal":true,"dst":"172.23.3.0/24","gateway":"172.19.1.2"},'
             '{"linklocal":true,"dst":"172.26.0.0/16","gateway":"172.20.1.2"}]')
D1_NICS = ('[{"interface":"net0","mac":"aa:bb:cc:12:34:56","nic_tag":"admin","gateway":"172.19.1.1",'
           '"gateways":["172.19.1.1"],"netmask":"255.255.255.0","ip":"172.19.1.2","ips":["172.19.1.2/24"],'
           '"primary":true},{"interface":"net1","mac":"aa:bb:cc:12:34:57","nic_tag":"admin",'
           '"netmask":"255.255.255.0","ip":"172.20.1.2","ips":["172.20.1.2/24"]},{"interface":"net2",'
           '"mac":"aa:bb:cc:12:34:58","nic_tag":"external","ip":"dhcp","ips":["dhcp"]}]')


@pytest.fixture
def d1(start_emu):
    return start_emu(D1)


def get2(peer, key, want_code, want_payload=None, reqid="0a1b2c3d"):
    peer.exchange(frame(reqid, "GET", key), reply_frame(reqid, want_code, want_payload))


def test_a12_v2_exchanges_socket(d1):
    c = d1.connect()
    for req, want in A12_V2:
        c.exchange(req, want)


def test_a12_v1_lines_socket(d1):
    c = d1.connect()
    for req, want in A12_V1:
        c.exchange(req, want)


@pytest.mark.parametrize("req", A12_SILENT)
def test_a12_silence_on_bad_frames(d1, req):
    c = d1.connect()
    c.send(req)
    c.assert_silent()
    # the line buffer is still in sync afterwards
    c.exchange(A12_V2[0][0], A12_V2[0][1])


def test_a12_over_pty(start_emu):
    e = start_emu(D1, pty=True, socket_name=None)
    assert e.pty_path.startswith("/dev/pts/")
    c = e.open_pty()
    for req, want in A12_V1 + A12_V2:
        c.exchange(req, want)
    for req in A12_SILENT:
        c.send(req)
        c.assert_silent()


def test_pty_session_survives_guest_close(start_emu, tmp_path):
    link = str(tmp_path / "ttyb")
    e = start_emu(D1, "--link", link, pty=True, socket_name=None)
    for _ in range(3):
        c = e.open_pty(link)  # through the symlink
        c.exchange(b"\n", b"invalid command\n")
        c.exchange(A12_V2[0][0], A12_V2[0][1])
        c.close()
        e.peers.remove(c)


def test_many_clients_own_line_buffers(d1):
    peers = [d1.connect() for _ in range(12)]
    req = A12_V2[0][0]
    # interleave half lines of every client: no cross-talk
    for p in peers:
        p.send(req[:10])
    for i, p in enumerate(peers):
        p.send(req[10:] if i % 2 else req[10:] + b"GET sdc:hostname\n")
    for i, p in enumerate(peers):
        p.expect(A12_V2[0][1])
        if not i % 2:
            p.expect(b"SUCCESS\nweb01\n.\n")


# ---- A.2 trimming, CRLF, chunking ---------------------------------------

def test_trailing_whitespace_trimmed(d1):
    c = d1.connect()
    c.exchange(b"GET sdc:hostname \t \n", b"SUCCESS\nweb01\n.\n")
    c.exchange(A12_V2[0][0][:-1] + b"  \t\n", A12_V2[0][1])
    c.exchange(b"NEGOTIATE V2   \n", b"V2_OK\n")
    # leading and trailing blanks of a key are trimmed: a key with them
    # cannot be addressed
    c.exchange(frame("01", "GET", "  sdc:hostname  "), reply_frame("01", "SUCCESS", "web01"))


def test_crlf_requests(d1):
    c = d1.connect()
    c.exchange(b"\r\n", b"invalid command\n")
    c.exchange(b"GET sdc:hostname\r\n", b"SUCCESS\nweb01\n.\n")
    c.exchange(b"NEGOTIATE V2\r\n", b"V2_OK\n")
    c.exchange(A12_V2[0][0][:-1] + b"\r\n", A12_V2[0][1])
    c.exchange(frame("02", "KEYS")[:-1] + b"\r\n", reply_frame("02", "SUCCESS", KEYS_D1))


def test_request_split_in_many_writes(d1):
    c = d1.connect()
    req = A12_V2[1][0] + b"GET sdc:hostname\n"
    for i in range(len(req)):
        c.send(req[i:i + 1])
    c.expect(A12_V2[1][1])
    c.expect(b"SUCCESS\nweb01\n.\n")


def test_utf8_split_between_chunks(start_emu, write_vm, tmp_path):
    vm = write_vm({"customer_metadata": {"k\u00e9y": "accent"}, "internal_metadata": {}})
    ts = tmp_path / "t.log"
    e = start_emu(vm, "--transcript", str(ts))
    c = e.connect()
    c.exchange("GET k\u00e9y\n".encode(), b"SUCCESS\naccent\n.\n")
    # the same key with the character cut in two reads: node decodes each
    # chunk on its own and the key becomes k\ufffd\ufffdy
    c.send(b"GET k\xc3")
    deadline = time.monotonic() + 30
    while b'"GET k\\xc3"' not in ts.read_bytes():
        assert time.monotonic() < deadline, "first half never read"
        time.sleep(0.01)
    c.exchange(b"\xa9y\n", b"NOTFOUND\n")
    get2(c, "k\ufffd\ufffdy", "NOTFOUND")


# ---- A.3 dispatch and NEGOTIATE -----------------------------------------

def test_negotiate_variants(d1):
    c = d1.connect()
    for line, want in [
        (b"NEGOTIATE V2\n", b"V2_OK\n"),
        (b"NEGOTIATE v2\n", b"FAILURE\n"),
        (b"NEGOTIATE V3\n", b"FAILURE\n"),
        (b"NEGOTIATE V2 extra\n", b"FAILURE\n"),
        (b"NEGOTIATE  V2\n", b"FAILURE\n"),
        (b"NEGOTIATE\tV2\n", b"V2_OK\n"),
        (b"NEGOTIATE V2\n", b"V2_OK\n"),
    ]:
        c.exchange(line, want)
    # NEGOTIATE inside a V2 frame is an unknown command
    c.exchange(frame("03", "NEGOTIATE", "V2"), reply_frame("03", "FAILURE", "Unknown command NEGOTIATE"))
    # V1 and V2 mix freely; no state
    c.exchange(b"GET sdc:hostname\n", b"SUCCESS\nweb01\n.\n")
    get2(c, "sdc:hostname", "SUCCESS", "web01")
    c.exchange(b"KEYS anything\n", b"SUCCESS\n" + KEYS_D1.encode() + b"\n.\n")


def test_v2_header_leniency(d1):
    c = d1.connect()
    c.exchange(b"V2  29   838a0962   abcdef12 GET c2RjOmhvc3RuYW1l\n", b"V2 25 c02a042a abcdef12 SUCCESS d2ViMDE=\n")
    c.exchange(b"V2 029 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l\n", b"V2 25 c02a042a abcdef12 SUCCESS d2ViMDE=\n")
    # the header regex is unanchored: leading junk is skipped
    c.exchange(b"V2 zz 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l\n", b"V2 25 c02a042a abcdef12 SUCCESS d2ViMDE=\n")
    # request ids of any length are echoed
    for reqid in ["1", "0123456789abcdef", "0123456789abcdef0123456789"]:
        get2(c, "sdc:hostname", "SUCCESS", "web01", reqid=reqid)
    # uppercase reqid, two spaces after the reqid: silence
    c.send(frame("ABCDEF12", "GET", "sdc:hostname"))
    c.assert_silent()
    body = "abcdef12  GET " + b64("sdc:hostname")
    c.send(("V2 %d %08x %s\n" % (len(body), zlib.crc32(body.encode()), body)).encode())
    c.assert_silent()
    # lenient base64: junk characters skipped, missing padding fine
    c.exchange(frame("04", "GET", raw_arg="c2Rj!Om*hvc3RuYW1l"), reply_frame("04", "SUCCESS", "web01"))
    c.exchange(frame("05", "GET", raw_arg="ZW1wdHk"), reply_frame("05", "SUCCESS"))
    # a bare GET (no space) passes the length check and fails as a request
    c.exchange(frame("06", "GET"), reply_frame("06", "FAILURE", "Invalid GET Request"))


def test_unknown_and_case_sensitive_commands(d1):
    c = d1.connect()
    c.exchange(frame("07", "get", "sdc:uuid"), reply_frame("07", "FAILURE", "Unknown command get"))
    c.exchange(frame("08", "V2", "x"), reply_frame("08", "FAILURE", "Unknown command V2"))
    c.exchange(b"Get sdc:uuid\n", b"FAILURE\n")


# ---- A.6 routing ------------------------------------------------------------

def test_namespace_and_pw_routing(d1):
    c = d1.connect()
    for key, code, val in [
        ("foo:bar", "SUCCESS", "internal foo:bar"),
        ("bar:foo", "SUCCESS", "customer bar:foo"),
        ("admin_pw", "SUCCESS", "internal admin_pw"),
        ("root_pw", "NOTFOUND", None),
        ("hidden", "NOTFOUND", None),
        ("operator-script", "NOTFOUND", None),
        ("sdc:operator-script", "SUCCESS", "#!/bin/sh\necho operator\n"),
        ("sdc:volumes", "SUCCESS", "[]"),
        ("sdc:internal_metadata.hidden", "SUCCESS", "internal hidden"),
        ("sdc:customer_metadata.root_pw", "SUCCESS", "customer root_pw"),
        ("sdc:internal_metadata", "FAILURE", None),
        ("sdc:tags", "FAILURE", None),
        ("sdc:nics.0.ip", "SUCCESS", "172.19.1.2"),
        ("sdc:nics.2.ips", "FAILURE", None),
        ("sdc:nics.9.ip", "NOTFOUND", None),
        ("sdc:resolvers.1", "SUCCESS", "8.8.4.4"),
        ("sdc:routes.172.22.2.0/24", "NOTFOUND", None),
        ("sdc:vendor-data", "NOTFOUND", None),
        ("sdc:alias", "SUCCESS", "web01"),
        ("sdc:dns_domain", "SUCCESS", "example.com"),
        ("sdc:nics", "SUCCESS", D1_NICS),
        ("sdc:routes", "SUCCESS", D1_ROUTES),
        ("sdc:resolvers", "SUCCESS", '["8.8.8.8","8.8.4.4"]'),
    ]:
        get2(c, key, code, val)


def test_zone_without_customer_metadata(start_emu, write_vm):
    e = start_emu(write_vm({"uuid": "u", "internal_metadata": {}}))
    c = e.connect()
    get2(c, "user-script", "FAILURE", "Zone did not contain customer_metadata")
    c.exchange(b"GET user-script\n", b"FAILURE\n")
    get2(c, "a_pw", "NOTFOUND")
    # KEYS would throw in the real agent (Object.keys(undefined))
    c.send(b"KEYS\n")
    c.expect_eof()


def test_tags(start_emu, write_vm):
    e = start_emu(write_vm({"tags": {"role": "db", "a.b.c": "dotted", "n": 3, "t": True},
                            "customer_metadata": {}, "internal_metadata": {}}))
    c = e.connect()
    get2(c, "sdc:tags.role", "SUCCESS", "db")
    get2(c, "sdc:tags.a.b.c", "SUCCESS", "dotted")
    get2(c, "sdc:tags.n", "SUCCESS", "3")
    get2(c, "sdc:tags.t", "SUCCESS", "true")
    get2(c, "sdc:tags.none", "NOTFOUND")
    # own tags only: Object.prototype's names are NOTFOUND (not FAILURE as
    # in customer_metadata, see test_value_formatting)
    for name in ("constructor", "toString", "__proto__", "hasOwnProperty",
                 "valueOf", "length"):
        get2(c, "sdc:tags." + name, "NOTFOUND")
    c.exchange(b"GET sdc:tags.toString\n", b"NOTFOUND\n")


# ---- A.7 sdc:routes ---------------------------------------------------------

def test_routes_d1_and_d2(start_emu, write_vm):
    e = start_emu(D1)
    get2(e.connect(), "sdc:routes", "SUCCESS", D1_ROUTES)
    d2 = {
        "nics": [
            {"interface": "net0", "mac": "90:b8:d0:ae:64:51", "ip": "8.12.42.51", "ips": ["2001::10/64", "8.12.42.51/24", "addrconf"], "primary": True},
            {"interface": "net1", "mac": "90:b8:d0:bd:4f:9c", "ip": "10.210.1.217", "ips": ["10.210.1.217/24"], "mtu": 9000},
        ],
        "routes": {"10.0.0.0/8": "10.210.1.1", "10.220.0.5": "nics[1]"},
        "customer_metadata": {}, "internal_metadata": {},
    }
    e2 = start_emu(write_vm(d2, "d2.json"), socket_name="d2.sock")
    get2(e2.connect(), "sdc:routes", "SUCCESS",
         '[{"linklocal":false,"dst":"10.0.0.0/8","gateway":"10.210.1.1"},'
         '{"linklocal":true,"dst":"10.220.0.5","gateway":"10.210.1.217"}]')


def test_routes_edge_cases(start_emu, write_vm):
    vm = {
        "nics": [{"mac": "0:1:2:3:4:5", "ip": "10.0.0.1"}, {"mac": "00:01:02:03:04:06"}],
        "routes": {"9": "nics[0]", "a": "macs[00-01-02-03-04-05]", "b": "macs[000102030406]",
                   "c": "macs[zz]", "1": "nics[00]", "2": "nics[01]", "d": "1.2.3.4"},
        "customer_metadata": {}, "internal_metadata": {},
    }
    e = start_emu(write_vm(vm))
    # integer-like keys come first, ascending (JS property order); "nics[01]"
    # is nic 1, which has no ip, and macs[000102030406] matches that nic too
    get2(e.connect(), "sdc:routes", "SUCCESS",
         '[{"linklocal":true,"dst":"1","gateway":"10.0.0.1"},'
         '{"linklocal":true,"dst":"9","gateway":"10.0.0.1"},'
         '{"linklocal":true,"dst":"a","gateway":"10.0.0.1"},'
         '{"linklocal":false,"dst":"d","gateway":"1.2.3.4"}]')


def test_routes_empty_and_absent(start_emu, write_vm):
    e = start_emu(write_vm({"routes": {}, "resolvers": [], "customer_metadata": {}, "internal_metadata": {}}))
    c = e.connect()
    get2(c, "sdc:routes", "SUCCESS", "[]")
    get2(c, "sdc:resolvers", "SUCCESS", "[]")
    get2(c, "sdc:nics", "NOTFOUND")


# ---- A.5 rendering of values ------------------------------------------------

def test_number_boolean_rendering(start_emu, write_vm):
    vm = {
        "ram": 512, "do_not_inventory": True, "autoboot": False, "quota": 0,
        "tmpfs": 256, "f": 1.5, "big": 1e21, "small": 1e-7, "tiny": 0.000001,
        "huge": 12345678901234567890, "neg": -0.0, "e": [], "one": ["7"],
        "two": [1, 2], "nested": [[3]], "obj": {}, "s": "x",
        "internal_metadata_namespaces": ["7"],
        "customer_metadata": {"n": 5, "b": False}, "internal_metadata": {},
    }
    e = start_emu(write_vm(vm))
    c = e.connect()
    for key, code, val in [
        ("sdc:ram", "SUCCESS", "512"),
        ("sdc:do_not_inventory", "SUCCESS", "true"),
        ("sdc:autoboot", "SUCCESS", "false"),
        ("sdc:quota", "SUCCESS", "0"),
        ("sdc:tmpfs", "SUCCESS", "256"),
        ("sdc:f", "SUCCESS", "1.5"),
        ("sdc:big", "SUCCESS", "1e+21"),
        ("sdc:small", "SUCCESS", "1e-7"),
        ("sdc:tiny", "SUCCESS", "0.000001"),
        ("sdc:huge", "SUCCESS", "12345678901234567000"),
        ("sdc:neg", "SUCCESS", "0"),
        ("sdc:e", "SUCCESS", None),
        ("sdc:one", "SUCCESS", "7"),
        ("sdc:two", "FAILURE", None),
        ("sdc:nested", "SUCCESS", "3"),
        ("sdc:obj", "FAILURE", None),
        ("sdc:internal_metadata_namespaces", "SUCCESS", "7"),
        ("n", "SUCCESS", "5"),
        ("b", "SUCCESS", "false"),
        ("constructor", "FAILURE", None),  # inherited from Object.prototype
    ]:
        get2(c, key, code, val)
    c.exchange(b"GET sdc:ram\n", b"SUCCESS\n512\n.\n")
    c.exchange(b"GET sdc:obj\n", b"FAILURE\n")
    c.exchange(b"GET sdc:e\n", b"SUCCESS\n\n.\n")


def test_empty_values_and_empty_keys_list(start_emu, write_vm):
    e = start_emu(write_vm({"customer_metadata": {"e": ""}, "internal_metadata": {"x": "hidden"}}))
    c = e.connect()
    get2(c, "e", "SUCCESS")
    c.exchange(b"GET e\n", b"SUCCESS\n\n.\n")
    e2 = start_emu(write_vm({"customer_metadata": {}, "internal_metadata": {}}, "empty.json"),
                   socket_name="e2.sock")
    c2 = e2.connect()
    c2.exchange(frame("0e", "KEYS"), reply_frame("0e", "SUCCESS"))
    c2.exchange(b"V2 13 2c0adf2a abcdef12 KEYS\n", b"V2 16 14e563ba abcdef12 SUCCESS\n")
    c2.exchange(b"KEYS\n", b"SUCCESS\n\n.\n")


def test_v1_dot_stuffing_after_cr(start_emu, write_vm):
    e = start_emu(write_vm({"customer_metadata": {"k": "a\r.b\n.c"}, "internal_metadata": {}}))
    c = e.connect()
    c.exchange(b"GET k\n", b"SUCCESS\na\r..b\n..c\n.\n")


# ---- A.9, A.10 PUT and DELETE ---------------------------------------------

def put2(peer, key, value, reqid="0b"):
    arg = b64(key) + " " + b64(value)
    peer.send(frame(reqid, "PUT", arg))


def test_put_delete_rules(start_emu):
    e = start_emu(D1)
    c = e.connect()
    put2(c, "new", "value")
    c.expect(reply_frame("0b", "SUCCESS", "OK"))
    get2(c, "new", "SUCCESS", "value")
    # PUT of an empty value is impossible (trim leaves one term)
    put2(c, "new", "")
    c.expect(reply_frame("0b", "FAILURE", "Invalid PUT Request"))
    # a value that decodes to "" deletes the key
    c.exchange(frame("0c", "PUT", raw_arg=b64(b64("new") + " =")), reply_frame("0c", "SUCCESS", "OK"))
    get2(c, "new", "NOTFOUND")
    # three terms, or an empty key
    c.exchange(frame("0d", "PUT", "a b c"), reply_frame("0d", "FAILURE", "Invalid PUT Request"))
    c.exchange(frame("0d", "PUT", b64("  ") + " " + b64("v")), reply_frame("0d", "FAILURE", "Invalid PUT Request"))
    # *_pw goes to internal_metadata, and becomes visible in KEYS
    put2(c, "db_pw", "pw")
    c.expect(reply_frame("0b", "SUCCESS", "OK"))
    get2(c, "db_pw", "SUCCESS", "pw")
    c.exchange(frame("0f", "KEYS"), reply_frame("0f", "SUCCESS", KEYS_D1 + "\ndb_pw"))
    # operator-script goes to internal_metadata: the guest replaces its own
    put2(c, "operator-script", "#!/bin/sh\n")
    c.expect(reply_frame("0b", "SUCCESS", "OK"))
    get2(c, "sdc:operator-script", "SUCCESS", "#!/bin/sh\n")
    get2(c, "operator-script", "NOTFOUND")
    # refusals
    put2(c, "sdc:x", "v")
    c.expect(reply_frame("0b", "FAILURE", 'Cannot update the "sdc" Namespace.'))
    put2(c, "foo:x", "v")
    c.expect(reply_frame("0b", "FAILURE", 'Cannot update the "foo" Namespace.'))
    c.exchange(frame("10", "DELETE", "foo:bar"), reply_frame("10", "FAILURE", 'Cannot update the "foo" Namespace.'))
    # DELETE of a missing key succeeds; a real one goes
    c.exchange(frame("11", "DELETE", "never-there"), reply_frame("11", "SUCCESS", "OK"))
    c.exchange(frame("12", "DELETE", "dotty"), reply_frame("12", "SUCCESS", "OK"))
    get2(c, "dotty", "NOTFOUND")
    # DELETE with an empty argument: the trailing space breaks the length
    c.send(frame("13", "DELETE", raw_arg=""))
    c.assert_silent()
    c.exchange(frame("13", "DELETE", raw_arg=b64("   ")), reply_frame("13", "FAILURE", "Invalid DELETE Request"))
    # not double-encoded: "succeeds" with a garbage key
    c.exchange(frame("14", "PUT", "key value"), reply_frame("14", "SUCCESS", "OK"))
    # V1 PUT and DELETE are unknown commands
    c.exchange(b"PUT a b\n", b"FAILURE\n")
    c.exchange(b"DELETE a\n", b"FAILURE\n")


def test_binary_and_utf8_values(start_emu):
    e = start_emu(D1)
    c = e.connect()
    put2(c, "u", "h\u00e9llo \u2603")
    c.expect(reply_frame("0b", "SUCCESS", "OK"))
    get2(c, "u", "SUCCESS", "h\u00e9llo \u2603")
    # invalid UTF-8 is stored as node stores it: U+FFFD
    c.exchange(frame("15", "PUT", raw_arg=b64(b64("bin") + " " + b64(b"a\xffb"))), reply_frame("15", "SUCCESS", "OK"))
    get2(c, "bin", "SUCCESS", "a\ufffdb")


def test_large_value(start_emu):
    e = start_emu(D1)
    c = e.connect()
    # protocol.md §2.1: 8 MiB went through the real agent
    big = "x" * (8 << 20)
    slow = max(WAIT, 120)  # under valgrind on a loaded machine
    put2(c, "big", big)
    c.expect(reply_frame("0b", "SUCCESS", "OK"), timeout=slow)
    c.send(frame("0c", "GET", "big"))
    c.expect(reply_frame("0c", "SUCCESS", big), timeout=slow)


# ---- A.11 ordering ----------------------------------------------------------

def test_put_answered_after_get_in_same_write(d1):
    c = d1.connect()
    put = frame("aaaa0001", "PUT", b64("k1") + " " + b64("v1"))
    get = frame("aaaa0002", "GET", "k1")
    c.send(put + get)
    # the GET is answered first, and saw the old (missing) value
    c.expect(reply_frame("aaaa0002", "NOTFOUND"))
    c.expect(reply_frame("aaaa0001", "SUCCESS", "OK"))
    get2(c, "k1", "SUCCESS", "v1")


def test_update_delay_out_of_order(start_emu):
    e = start_emu(D1, "--update-delay-ms", "400")
    c = e.connect()
    c.send(frame("bbbb0001", "DELETE", "dotty"))
    c.send(frame("bbbb0002", "GET", "dotty"))
    c.send(frame("bbbb0003", "KEYS"))
    c.expect(reply_frame("bbbb0002", "SUCCESS", ".leading dot\n.\nmid"))
    c.expect(reply_frame("bbbb0003", "SUCCESS", KEYS_D1))
    c.expect(reply_frame("bbbb0001", "SUCCESS", "OK"))
    get2(c, "dotty", "NOTFOUND")
    # refusals are not updates: answered at once
    c.send(frame("bbbb0004", "PUT", b64("x") + " " + b64("1")))
    c.send(frame("bbbb0005", "PUT", b64("sdc:x") + " " + b64("1")))
    c.expect(reply_frame("bbbb0005", "FAILURE", 'Cannot update the "sdc" Namespace.'))
    c.expect(reply_frame("bbbb0004", "SUCCESS", "OK"))


def test_null_value_drops_only_that_client(start_emu, write_vm):
    e = start_emu(write_vm({"alias": None, "hostname": "h", "customer_metadata": {"n": None}, "internal_metadata": {}}))
    a, b = e.connect(), e.connect()
    b.exchange(b"GET sdc:hostname\n", b"SUCCESS\nh\n.\n")
    a.send(frame("16", "GET", "sdc:alias"))
    a.expect_eof()
    b.exchange(b"GET sdc:hostname\n", b"SUCCESS\nh\n.\n")
    b.send(b"GET n\n")
    b.expect_eof()
    c = e.connect()
    get2(c, "sdc:hostname", "SUCCESS", "h")
    assert "would crash" in e.stderr()


def test_v2_length_counts_js_characters(d1):
    """clen is the JS string length (UTF-16 units) and the CRC hashes the
    low byte of each unit, so a non-ASCII body is checked that way."""
    c = d1.connect()
    body = "01 GET \u00e9" + b64("sdc:hostname")
    js_crc = zlib.crc32(body.encode("latin-1")) & 0xFFFFFFFF
    line = ("V2 %d %08x %s\n" % (len(body), js_crc, body)).encode()
    # U+00E9 is not base64: skipped by the lenient decoder
    c.exchange(line, reply_frame("01", "SUCCESS", "web01"))
    # the same frame with byte length and byte CRC (what a C client
    # computes) fails the agent's checks: silence
    raw = body.encode()
    c.send(b"V2 %d %08x " % (len(raw), zlib.crc32(raw)) + raw + b"\n")
    c.assert_silent()
    # a character outside the BMP counts twice
    body = "02 GET " + b64("sdc:hostname") + "\U0001f600"
    units = body.encode("utf-16-le")
    low = bytes(units[i] for i in range(0, len(units), 2))
    line = ("V2 %d %08x %s\n" % (len(units) // 2, zlib.crc32(low), body)).encode()
    c.exchange(line, reply_frame("02", "SUCCESS", "web01"))


def test_sample_vm(start_emu):
    e = start_emu(vm_path("sample-vm.json"))
    c = e.connect()
    get2(c, "sdc:routes", "SUCCESS",
         '[{"linklocal":false,"dst":"10.0.0.0/8","gateway":"10.210.1.1"},'
         '{"linklocal":false,"dst":"198.51.100.0/24","gateway":"192.0.2.254"},'
         '{"linklocal":true,"dst":"10.220.0.5","gateway":"10.210.1.217"},'
         '{"linklocal":true,"dst":"169.254.169.254","gateway":"192.0.2.51"}]')
    get2(c, "sdc:nics.1.mtu", "SUCCESS", "9000")
    get2(c, "sdc:nics.2.ip", "SUCCESS", "dhcp")
    get2(c, "sdc:resolvers", "SUCCESS", '["192.0.2.53","2001:db8::53"]')
    get2(c, "sdc:tags.env.stage", "SUCCESS", "test")
    get2(c, "root_pw", "SUCCESS", "s3cret-root")
    c.exchange(b"GET user-script\n",
               b'SUCCESS\n#!/bin/sh\n# set up the guest\n\n.. /etc/profile\n'
               b'echo "provisioned" > /var/tmp/user-script.done\n\n....\n..\n\n.\n')
    c.exchange(b"KEYS\n", b"SUCCESS\nroot_authorized_keys\nuser-script\nuser-data\n"
                          b"cloud-init:user-data\nroot_pw\n.\n")


def test_update_completes_after_client_leaves(start_emu):
    """VM.update runs on without its client: a PUT whose sender hung up
    before the (late) answer is still stored."""
    e = start_emu(D1, "--update-delay-ms", "200")
    a = e.connect()
    a.send(frame("17", "PUT", b64("left") + " " + b64("behind")))
    a.exchange(b"\n", b"invalid command\n")  # the PUT was read
    a.close()
    e.peers.remove(a)
    b = e.connect()
    deadline = time.monotonic() + WAIT
    while True:
        b.send(frame("18", "GET", "left"))
        line = b.recv_line()
        if line == reply_frame("18", "SUCCESS", "behind"):
            break
        assert line == reply_frame("18", "NOTFOUND")
        assert time.monotonic() < deadline, "update never applied"
        time.sleep(0.05)


def test_stop_with_updates_in_flight(start_emu, tmp_path):
    """Stopping forgets pending updates cleanly (no leak, no hang), both of
    connected clients and of clients already gone."""
    ts = tmp_path / "t.log"
    e = start_emu(D1, "--update-delay-ms", "600000", "--transcript", str(ts))
    a, b = e.connect(), e.connect()
    for p in (a, b):
        p.send(frame("19", "PUT", b64("k") + " " + b64("v")))
        p.exchange(b"\n", b"invalid command\n")
    a.close()
    e.peers.remove(a)
    deadline = time.monotonic() + WAIT
    while "closed (closed by the peer)" not in ts.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert e.stop() == 0


def test_garbage_never_kills_it(d1):
    """Random bytes, random near-frames and odd UTF-8: the emulator keeps
    its line buffer in sync and keeps answering."""
    import random
    rnd = random.Random(1234)
    c = d1.connect()
    pieces = []
    for i in range(400):
        kind = i % 4
        if kind == 0:
            pieces.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(60))).replace(b"\n", b""))
        elif kind == 1:
            f = bytearray(frame("%x" % rnd.randrange(1 << 32), rnd.choice(["GET", "PUT", "KEYS", "DELETE", "X"]),
                                rnd.choice(["sdc:nics", "a b", "", "\u00e9\u2028x"]))[:-1])
            if f and rnd.random() < 0.7:
                f[rnd.randrange(len(f))] = rnd.randrange(256)
            pieces.append(bytes(f).replace(b"\n", b""))
        elif kind == 2:
            pieces.append(b"V2 " + bytes(rnd.choice(b"0123456789abcdef \t\r") for _ in range(rnd.randrange(80))))
        else:
            pieces.append(rnd.choice([b"\xf0\x9f\x98", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x80\xa8GET", b"\r\r"]))
    blob = b"\n".join(pieces) + b"\n"
    for i in range(0, len(blob), 997):
        c.send(blob[i:i + 997])
    # whatever came back (late PUT/DELETE answers may still follow), the
    # stream is still in step afterwards
    c.send(b"GET sdc:uuid\n")
    deadline = time.monotonic() + WAIT
    while b"SUCCESS\n5b3c1a2e-9f8d-4c7b-a6e5-d4c3b2a19080\n.\n" not in c.buf:
        assert c._fill(deadline), "no answer after the garbage: %r" % c.buf[-200:]


def test_out_of_order_over_pty(start_emu):
    """The serial topology reorders too: a late PUT answer after GETs."""
    e = start_emu(D1, "--update-delay-ms", "300", pty=True, socket_name=None)
    c = e.open_pty()
    c.send(frame("cccc0001", "PUT", b64("p") + " " + b64("q")) + frame("cccc0002", "GET", "p") + b"KEYS\n")
    c.expect(reply_frame("cccc0002", "NOTFOUND"))
    c.expect(b"SUCCESS\n" + KEYS_D1.encode() + b"\n.\n")
    c.expect(reply_frame("cccc0001", "SUCCESS", "OK"))
    get2(c, "p", "SUCCESS", "q")
