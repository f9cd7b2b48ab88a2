"""Every exception: the code-to-class table, and each one raised for real
where the blocking API can produce it."""
import socket
import time

import pytest

import mdata
from mdata import _native, errors

from conftest import emu_support, vm_path

ALL_CODES = range(-1, -22, -1)


def test_every_c_code_maps_to_its_class_with_the_library_message():
    for code in ALL_CODES:
        name = _native.err_name(code)
        assert name != "MDATA_UNKNOWN", code
        assert getattr(errors, name[len("MDATA_"):]) == code
        e = errors.error_from_code(code, "some detail")
        assert type(e) is errors.CODE_CLASSES[code]
        assert isinstance(e, mdata.MdataError)
        assert (e.code, e.name) == (code, name)
        assert e.message == _native.strerror(code)
        assert e.detail == "some detail"
        assert str(e) == e.message + ": some detail"
        # detail equal to the message is not repeated
        assert str(errors.error_from_code(code, e.message)) == e.message
    unknown = errors.error_from_code(-999)
    assert type(unknown) is mdata.MdataError and unknown.message == "unknown error"


def test_exception_hierarchy():
    assert issubclass(mdata.NotFound, KeyError)
    assert issubclass(mdata.Timeout, TimeoutError)
    assert issubclass(mdata.ParseError, mdata.ProtocolError)
    assert issubclass(mdata.ParseError, ValueError)
    assert issubclass(mdata.InvalidArgument, ValueError)
    assert issubclass(mdata.DeviceError, OSError)
    assert issubclass(mdata.NoDevice, mdata.DeviceError)
    assert issubclass(mdata.DeviceLocked, mdata.DeviceError)
    assert issubclass(mdata.ConnectionLost, ConnectionError)
    assert issubclass(mdata.LibraryError, ImportError)
    assert issubclass(mdata.OutOfMemory, MemoryError)
    for cls in errors.CODE_CLASSES.values():
        assert issubclass(cls, mdata.MdataError)


def test_not_found(sample_dev):
    with mdata.Client(sample_dev) as md:
        with pytest.raises(mdata.NotFound) as ei:
            md.get("nosuchkey")
        e = ei.value
        assert isinstance(e, KeyError)
        assert e.code == errors.ENOTFOUND and e.name == "MDATA_ENOTFOUND"
        assert e.key == "nosuchkey"
        assert str(e) == "no such metadata key: no metadata for 'nosuchkey'"
        with pytest.raises(KeyError):
            md["nosuchkey"]
        with pytest.raises(mdata.NotFound):
            md.get_bytes("nosuchkey")


def test_remote_error_host_failure(sample_dev):
    # A non-string value: the host answers FAILURE.
    with mdata.Client(sample_dev) as md:
        with pytest.raises(mdata.RemoteError) as ei:
            md.get("sdc:customer_metadata")
        assert ei.value.code == errors.EREMOTE
        assert md.get("sdc:alias") == "guest-test-01"  # still usable


def test_invalid_arguments(sample_dev):
    with mdata.Client(sample_dev) as md:
        for bad in ["", " padded", "trailing ", "two\nlines", "cr\rx", "nul\0x"]:
            with pytest.raises(mdata.InvalidArgument) as ei:
                md.get(bad)
            assert isinstance(ei.value, ValueError)
            assert ei.value.code == errors.EINVAL
            assert ei.value.detail, bad
        with pytest.raises(mdata.InvalidArgument, match="empty value"):
            md.put("k", "")
        with pytest.raises(mdata.InvalidArgument):
            md.delete(" k")
    with pytest.raises(mdata.InvalidArgument):
        mdata.Client(sample_dev, timeout=0)
    with pytest.raises(mdata.InvalidArgument):
        mdata.Client(sample_dev, max_attempts=0)
    with pytest.raises(mdata.InvalidArgument):
        mdata.Client("")


def test_no_device(tmp_path):
    with pytest.raises(mdata.NoDevice) as ei:
        mdata.Client("/dev/mdata-test-nope")
    e = ei.value
    assert isinstance(e, OSError) and isinstance(e, mdata.DeviceError)
    assert e.code == errors.ENODEV
    assert "/dev/mdata-test-nope" in str(e)
    # outside /dev, a missing path is a socket still to come
    with mdata.Client(str(tmp_path / "nope"), timeout=0.3) as md:
        with pytest.raises(mdata.Timeout, match="does not exist yet"):
            md.get("k")


def test_device_that_cannot_be_opened(start_emu, tmp_path):
    # The host end of the pty goes away after the first reply; the link
    # stays and opening it gives EIO: an error at once, not a wait.
    link = str(tmp_path / "ttyS1")
    start_emu(vm_path("sample-vm.json"), "--link", link, "--fault", "gone=1",
              socket_name=None, pty=True)
    with mdata.Client(link) as md:
        assert md.get("sdc:alias") == "guest-test-01"
    time.sleep(0.5)
    with mdata.Client(link, timeout=30) as md:
        began = time.monotonic()
        with pytest.raises(mdata.DeviceOpenError) as ei:
            md.get("sdc:alias")
        assert time.monotonic() - began < 3
    e = ei.value
    assert isinstance(e, mdata.DeviceError) and isinstance(e, OSError)
    assert e.code == errors.EOPEN and e.name == "MDATA_EOPEN"
    assert str(e) == ("metadata device cannot be opened: cannot open %s: "
                      "Input/output error" % link)


def test_timeout_on_a_silent_socket(tmp_path):
    path = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    try:
        began = time.monotonic()
        with mdata.Client(path, timeout=1) as md:
            with pytest.raises(mdata.Timeout) as ei:
                md.get("k")
        took = time.monotonic() - began
    finally:
        s.close()
    assert isinstance(ei.value, TimeoutError)
    assert ei.value.code == errors.ETIMEDOUT
    assert 0.9 <= took < 10


def test_timeout_when_every_reply_is_lost(host):
    dev = host(vm_path("sample-vm.json"), "--fault", "drop=1")
    with mdata.Client(dev, timeout=2, attempt_timeout=0.3) as md:
        with pytest.raises(mdata.Timeout):
            md.get("sdc:alias")


def test_slow_host_answer_to_an_earlier_attempt_is_taken(host):
    # The host answers every request after 0.8 s; each attempt waits less
    # at first: the answer to the first attempt completes the request.
    dev = host(vm_path("sample-vm.json"), "--fault", "slow=800")
    with mdata.Client(dev, timeout=20, attempt_timeout=0.3) as md:
        assert md.get("sdc:alias") == "guest-test-01"
        counters = md.counters()
    assert counters["late"] == 1 and counters["retries"] >= 1


def test_protocol_error_when_every_reply_is_damaged(host):
    dev = host(vm_path("sample-vm.json"), "--fault", "corrupt=1")
    with mdata.Client(dev, timeout=20, max_attempts=3) as md:
        with pytest.raises(mdata.ProtocolError) as ei:
            md.get("sdc:alias")
    assert ei.value.code == errors.ECRC
    assert ei.value.name == "MDATA_ECRC"


def test_reconnects_after_the_host_hangs_up(start_emu):
    # The host closes the connection after every reply: each call finds it
    # gone, reconnects, redoes the handshake and gets its answer. Only a
    # closed Client raises ConnectionLost (test_client.py).
    emu = start_emu(vm_path("sample-vm.json"), "--fault", "hangup=1")
    with mdata.Client(emu.sock_path) as md:
        for _ in range(5):
            assert md.get("sdc:alias") == "guest-test-01"
            assert md.protocol == 2


def test_survives_the_host_agent_restarting(tmp_path):
    # The agent crashes (its socket file stays, refusing connections): a
    # call in the meantime times out saying why; once it is back the same
    # Client carries on.
    vm = vm_path("sample-vm.json")
    emu = emu_support.Emu(tmp_path, vm, socket_name="meta.sock")
    with mdata.Client(emu.sock_path, timeout=0.5) as md:
        assert md.get("sdc:alias") == "guest-test-01"
        emu.proc.kill()
        emu.proc.wait()
        emu.stop()
        with pytest.raises(mdata.Timeout, match="nobody listening yet"):
            md.get("sdc:alias")
        emu = emu_support.Emu(tmp_path, vm, socket_name="meta.sock")
        try:
            assert md.get("sdc:alias") == "guest-test-01"
        finally:
            assert emu.stop() == 0


def test_not_supported_on_a_v1_host(host):
    dev = host(vm_path("sample-vm.json"), "--fault", "v1only")
    with mdata.Client(dev) as md:
        assert md.get("sdc:alias") == "guest-test-01"
        assert md.protocol == 1
        with pytest.raises(mdata.NotSupported) as ei:
            md.put("k", "v")
        assert ei.value.code == errors.ENOTSUP
        with pytest.raises(mdata.NotSupported):
            md.delete("k")


def test_too_big(sample_dev):
    with mdata.Client(sample_dev, max_reply=1024) as md:
        md.put("large", "x" * 4096)
        with pytest.raises(mdata.TooBig) as ei:
            md.get("large")
        assert ei.value.code == errors.ETOOBIG
        assert md.get("sdc:alias") == "guest-test-01"


def test_device_locked(start_emu):
    emu = start_emu(vm_path("sample-vm.json"), socket_name=None, pty=True)
    with mdata.Client(emu.pty_path) as holder:
        assert holder.get("sdc:alias") == "guest-test-01"  # holds the lock
        with mdata.Client(emu.pty_path, timeout=0.5) as other:
            with pytest.raises(mdata.DeviceLocked) as ei:
                other.get("sdc:alias")
        assert isinstance(ei.value, OSError)
        assert ei.value.code == errors.ELOCKED
    with mdata.Client(emu.pty_path, timeout=10) as after:
        assert after.get("sdc:alias") == "guest-test-01"


def test_parse_error_names_the_json_path(host, write_vm):
    vm = {
        "nics": [{"mac": "90:b8:d0:ae:64:51", "ips": ["10.0.0.5/24"]},
                 {"mac": "90:b8:d0:ae:64:52", "ips": ["10.0.0/24"]}],
        "routes": {"10.1.0.0/33": "10.0.0.1"},
        "resolvers": ["8.8.8.8/32"],
    }
    with mdata.Client(host(write_vm(vm))) as md:
        with pytest.raises(mdata.ParseError) as ei:
            md.nics()
        e = ei.value
        assert isinstance(e, mdata.ProtocolError) and isinstance(e, ValueError)
        assert e.code == errors.EJSON
        assert e.detail == 'nics[1].ips[0]: "10.0.0/24" is not an address'
        assert str(e) == ("metadata value is not the expected JSON: "
                          'nics[1].ips[0]: "10.0.0/24" is not an address')
        with pytest.raises(mdata.ParseError, match=r"routes\[0\]\.dst: "):
            md.routes()
        with pytest.raises(mdata.ParseError, match=r"resolvers\[0\]: "):
            md.resolvers()


def test_parse_error_out_of_range(host, write_vm):
    vm = {"nics": [{"mac": "90:b8:d0:ae:64:51", "vlan_id": 4096}]}
    with mdata.Client(host(write_vm(vm))) as md:
        with pytest.raises(mdata.ParseError) as ei:
            md.nics()
    assert ei.value.code == errors.ERANGE
    assert ei.value.detail == "nics[0].vlan_id: 4096 is out of range 0..4095"


def test_library_error():
    with pytest.raises(mdata.LibraryError):
        _native.load("/nonexistent/libmdata.so.0")
    assert issubclass(mdata.LibraryError, mdata.MdataError)


def test_hostname_with_a_nul_byte_is_a_protocol_error(host, write_vm):
    with mdata.Client(host(write_vm('{"hostname": "ab\\u0000cd"}'))) as md:
        assert md.get_bytes("sdc:hostname") == b"ab\0cd"
        with pytest.raises(mdata.ProtocolError) as ei:
            md.hostname()
    assert ei.value.code == errors.EPROTO
    assert ei.value.detail == "sdc:hostname: the value holds a NUL byte at offset 2"


def test_style_aliases():
    assert errors.MdataTimeout is mdata.Timeout
    assert errors.MdataIOError is mdata.DeviceError
