"""Every Client method against mdata-emu over a socket and a pty."""
import os
import threading

import pytest

import mdata

from conftest import load_vm, vm_path

MIB = 1 << 20


def test_get_str_and_bytes(sample_dev):
    vm = load_vm("sample-vm.json")
    with mdata.Client(sample_dev, timeout=20) as md:
        for key, want in vm["customer_metadata"].items():
            assert md.get(key) == want
            assert md.get_bytes(key) == want.encode()
            assert md[key] == want
            assert key in md
        assert md.get("sdc:uuid") == vm["uuid"]
        assert md.get("sdc:alias") == vm["alias"]
        assert md.get("sdc:tags.replicas") == "3"
        assert "nosuchkey" not in md


def test_get_default_for_missing_key(sample_dev):
    with mdata.Client(sample_dev) as md:
        assert md.get("nosuchkey", None) is None
        assert md.get("nosuchkey", "fallback") == "fallback"
        assert md.get_bytes("nosuchkey", b"x") == b"x"
        assert md.get("user-data", None) == '{"app": "demo", "port": 8080}'


def expected_keys(vm):
    """KEYS as the host computes it (doc/protocol.md §5.3)."""
    ns = vm.get("internal_metadata_namespaces", [])

    def internal(k):
        return k.endswith("_pw") or (":" in k and k.split(":")[0] in ns)

    return ([k for k in vm.get("customer_metadata", {}) if not internal(k)] +
            [k for k in vm.get("internal_metadata", {}) if internal(k)])


@pytest.mark.parametrize("vm_name", ["sample-vm.json", "d1-zone.json"])
def test_keys(host, vm_name):
    vm = load_vm(vm_name)
    with mdata.Client(host(vm_path(vm_name))) as md:
        assert md.keys() == expected_keys(vm)


def test_keys_empty(host, write_vm):
    with mdata.Client(host(write_vm({"customer_metadata": {},
                                     "internal_metadata": {}}))) as md:
        assert md.keys() == []


def test_put_get_delete(sample_dev):
    with mdata.Client(sample_dev) as md:
        md.put("new-key", "a value")
        assert md.get("new-key") == "a value"
        assert "new-key" in md.keys()
        md.put(b"new-key", b"bytes value")
        assert md.get_bytes("new-key") == b"bytes value"
        md.delete("new-key")
        assert md.get("new-key", None) is None
        assert "new-key" not in md.keys()
        md.delete("new-key")  # absent: still fine


def test_unicode_values_and_keys(sample_dev):
    text = "héllo wörld ✓ 日本語 🎉 \u0000 nul and\nnewlines\n.\n"
    with mdata.Client(sample_dev) as md:
        md.put("unicode", text)
        assert md.get("unicode") == text
        assert md.get_bytes("unicode") == text.encode()
        md.put("ключ-✓", "значение")
        assert md.get("ключ-✓") == "значение"
        assert "ключ-✓" in md.keys()


def test_binary_values(sample_dev):
    # The host stores text: any UTF-8-valid bytes (NULs included) survive.
    blob = bytes(range(128)) * 3 + "é✓🎉".encode() + b"\0\0"
    with mdata.Client(sample_dev) as md:
        md.put("blob", blob)
        assert md.get_bytes("blob") == blob
        assert md.get("blob") == blob.decode()


def test_non_utf8_bytes_come_back_as_replacement_characters(sample_dev):
    with mdata.Client(sample_dev) as md:
        md.put("latin1", b"caf\xe9!")
        got = md.get_bytes("latin1")
        assert got == "caf\ufffd!".encode()
        assert md.get("latin1") == "caf\ufffd!"


def test_one_mib_values(sample_dev):
    text = ("0123456789abcdéf✓" * (MIB // 16))[:MIB]
    blob = bytes((i * 7) % 128 for i in range(MIB))
    with mdata.Client(sample_dev, timeout=120) as md:
        md.put("big-text", text)
        assert md.get("big-text") == text
        md.put("big-blob", blob)
        got = md.get_bytes("big-blob")
        assert len(got) == MIB and got == blob


def test_context_manager_and_close(sample_dev):
    md = mdata.Client(sample_dev)
    with md as same:
        assert same is md
        assert md.hostname() == "guest-test-01"
        assert md.protocol == 2
        assert md.device == sample_dev
        counters = md.counters()
        assert counters["requests"] >= 1 and counters["attempts"] >= 1
        assert counters["late"] == 0 and len(counters) == 12
    assert md.closed
    md.close()  # idempotent
    with pytest.raises(mdata.ConnectionLost, match="closed"):
        md.get("user-data")


def test_garbage_collected_client_frees_its_handle(sample_dev):
    md = mdata.Client(sample_dev)
    assert md.get("sdc:alias") == "guest-test-01"
    del md  # __del__ frees it; the device is usable again at once
    with mdata.Client(sample_dev, timeout=10) as md2:
        assert md2.get("sdc:alias") == "guest-test-01"


def test_device_from_environment(sample_dev, monkeypatch):
    monkeypatch.setenv("MDATA_DEVICE", sample_dev)
    with mdata.Client() as md:
        assert md.get("sdc:alias") == "guest-test-01"
        assert md.device == sample_dev


def test_one_client_from_several_threads(sample_dev):
    errors = []
    with mdata.Client(sample_dev) as md:
        def work(i):
            try:
                for j in range(10):
                    md.put("t%d" % i, "v%d" % j)
                    assert md.get("t%d" % i) == "v%d" % j
                    assert md.hostname() == "guest-test-01"
            except Exception as e:  # pragma: no cover
                errors.append(e)
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def _rss_kib():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def test_c_memory_is_freed(sample_dev):
    # Every result comes back through mdata_free / the list _free: many
    # calls must not grow the process.
    value = "x" * 200000
    with mdata.Client(sample_dev) as md:
        md.put("leak-check", value)
        for _ in range(20):  # warm up allocator and caches
            md.get_bytes("leak-check"), md.nics(), md.routes(), md.hostname()
        before = _rss_kib()
        for _ in range(300):
            assert len(md.get_bytes("leak-check")) == 200000
            md.nics(), md.routes(), md.resolvers(), md.hostname(), md.keys()
        grown = _rss_kib() - before
    # 300 leaked copies of the value alone would be ~60 MB
    assert grown < 8 * 1024, "RSS grew by %d KiB" % grown
