"""mdata-netcfg property test: random nic lists (random names, duplicates
among them, reserved names, names that are the same for rc.conf, repeated
and absent MACs), rendered in every format that configures interfaces,
offline and against a random fake /sys/class/net. Each nic carries a
fingerprint only it has (its mtu, its address, a route via its gateway);
the outputs are parsed back and must show:

- no two nics' settings on one interface (file, netplan id, keyfile,
  kernel name, rc.conf variable, PowerShell adapter block);
- every interface name unique (as rc.conf compares them) and not reserved;
- live: each present MAC's settings on the interface that has that MAC,
  nics whose MAC is absent (or only on the loopback) left out of ip,
  ifupdown and freebsd;
- offline: every nic rendered, under its final SmartOS name.

Seeds are fixed, so a failure names the seed that reproduces it
(NETCFG_PROPERTY_SEED=N runs that one alone; NETCFG_PROPERTY_RUNS sets how
many lists).
"""
import json
import os
import random
import re
import subprocess

import pytest

BIN = os.environ.get("NETCFG_BIN", "")
RUNS = int(os.environ.get("NETCFG_PROPERTY_RUNS", "60"))
ONE_SEED = os.environ.get("NETCFG_PROPERTY_SEED")

if not BIN or not os.access(BIN, os.X_OK):
    pytest.skip("NETCFG_BIN is not set to the built mdata-netcfg",
                allow_module_level=True)

NAMES = ["net0", "net1", "net2", "net3", "NET1", "eth0", "eth1", "ens3",
         "lo", "all", "default", "Default", "lo0", "bonding_masters",
         "vtnet0.1", "vtnet0_1", "vtnet0-1", "em0_name", "em0_ipv6",
         "em0.alias0", None, "", "../x", "a b", "0123456789abcdefg"]
KERNEL_NAMES = ["eth0", "eth1", "eth2", "ens3", "ens4", "net1", "net2",
                "vtnet0.1", "vtnet0_1", "em0"]
RESERVED = {"lo", "lo0", "all", "default", "bonding_masters"}
RC_SUFFIX = re.compile(r".+_(ipv6|alias[0-9]*|aliases|name|descr)$")


def fold(name):
    return name.lower().replace(".", "_").replace("-", "_")


def reserved(name):
    f = fold(name)
    return f in RESERVED or RC_SUFFIX.match(f) is not None


def random_case(rng):
    """(sdc:nics, sdc:routes, sysfs {name: mac}, nics' fingerprints)."""
    n = rng.randint(1, 6)
    macs = []
    for i in range(n):
        r = rng.random()
        if r < 0.1 and macs:
            macs.append(rng.choice(macs))          # repeated MAC
        elif r < 0.15:
            macs.append("00:00:00:00:00:00")       # the loopback's
        else:
            macs.append("90:b8:d0:%02x:%02x:%02x" % (
                rng.randrange(256), rng.randrange(256), i))
    primary = rng.randrange(n + 1)                 # n: none
    nics, routes, prints = [], [], []
    for i in range(n):
        nic = {"mac": macs[i], "mtu": 1200 + i}
        name = rng.choice(NAMES)
        if name is not None:
            nic["interface"] = name
        ips = []
        addr = None
        if rng.random() < 0.75:
            addr = "10.%d.0.2/24" % (100 + i)
            ips.append(addr)
            routes.append({"linklocal": False, "dst": "172.%d.0.0/16" %
                           (16 + i), "gateway": "10.%d.0.1" % (100 + i)})
        if rng.random() < 0.35:
            ips.append("dhcp")
        nic["ips"] = ips
        if i == primary:
            nic["primary"] = True
            if addr is not None:
                nic["gateways"] = ["10.%d.0.1" % (100 + i)]
        nics.append(nic)
        prints.append({"mtu": 1200 + i, "addr": addr,
                       "route": "172.%d.0.0/16" % (16 + i) if addr else None})
    if rng.random() < 0.5:
        # a default route in sdc:routes must never be rendered
        routes.append({"linklocal": False, "dst": "0.0.0.0/0",
                       "gateway": "10.%d.0.1" % (100 + rng.randrange(n))})
    sysfs = {"lo": "00:00:00:00:00:00"}
    kernel = KERNEL_NAMES[:]
    rng.shuffle(kernel)
    for mac in dict.fromkeys(macs):
        if mac != "00:00:00:00:00:00" and rng.random() < 0.7:
            sysfs[kernel.pop()] = mac
    sysfs[kernel.pop()] = "52:54:00:%02x:%02x:%02x" % (
        rng.randrange(256), rng.randrange(256), rng.randrange(256))
    return nics, routes, sysfs, prints


def owners(nics):
    """Index of the nic whose settings each MAC carries (the first one)."""
    own = {}
    for i, nic in enumerate(nics):
        own.setdefault(nic["mac"], i)
    return own


def which_nic(text, prints):
    """The nics whose fingerprints occur in text."""
    found = set()
    for i, p in enumerate(prints):
        # "MTUBytes=", "mtu: ", "mtu=", "mtu ", "NlMtuBytes = "
        if re.search(r"mtu\D{0,8}%d(?!\d)" % p["mtu"], text, re.I):
            found.add(i)
        for key in ("addr", "route"):
            if p[key] and re.search(re.escape(p[key]) + r"(?![0-9])", text):
                found.add(i)
    return found


def render(tmp, fmt, live):
    out = tmp / ("out-%s-%s" % (fmt, "live" if live else "offline"))
    args = [BIN, "-f", fmt, "--from-file", str(tmp / "md"), "-o", str(out)]
    if live:
        args += ["--sysfs", str(tmp / "sysfs")]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return {name: open(out / name).read() for name in os.listdir(out)}


def check_by_mac(blocks, nics, prints, expect_macs):
    """blocks: [(mac, text)] of the MAC-matched formats."""
    own = owners(nics)
    macs = [m for m, _ in blocks]
    assert len(macs) == len(set(macs)), "two blocks for one MAC: %s" % macs
    assert set(macs) == expect_macs
    for mac, text in blocks:
        assert which_nic(text, prints) == {own[mac]}, (mac, text)


def netplan_ids(text):
    yaml = pytest.importorskip("yaml")

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node):
        keys = [loader.construct_object(k) for k, _ in node.value]
        assert len(keys) == len(set(keys)), "duplicate netplan keys %s" % keys
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                           mapping)
    doc = yaml.load(text, Loader=Strict)
    return doc["network"].get("ethernets", {})


def by_kernel_name(fmt, files):
    """{interface name: text of its settings} for ip, ifupdown, freebsd."""
    text = "".join(files.values())
    res = {}
    if fmt == "ip":
        for line in text.splitlines():
            m = re.search(r"(?:dev |^dhcp4 |^ipv6_ra )'([^']*)'", line)
            if m:
                res.setdefault(m.group(1), []).append(line)
    elif fmt == "ifupdown":
        cur = None
        autos = []
        for line in text.splitlines():
            if line.startswith("auto "):
                autos.append(line.split()[1])
            elif line.startswith("iface "):
                cur = line.split()[1]
                res.setdefault(cur, [])
            elif line.startswith("    ") and cur is not None:
                res[cur].append(line)
        assert len(autos) == len(set(autos)), "auto lines %s" % autos
        res.pop("lo", None)
        assert "lo" in autos
    else:
        assigned = re.findall(r"^([A-Za-z0-9_]+)=", text, re.M)
        assert len(assigned) == len(set(assigned)), \
            "an rc.conf variable set twice: %s" % assigned
        for var, val in re.findall(r'^ifconfig_([A-Za-z0-9_]+)="([^"]*)"',
                                   text, re.M):
            # <if>_ipv6 and <if>_aliasN belong to <if> (no name ends so:
            # reserved).
            var = re.sub(r"_(ipv6|alias[0-9]+)$", "", var)
            res.setdefault(var, []).append(val)
        for val in re.findall(r'^route_mdata[0-9]+="([^"]*)"', text, re.M):
            m = re.search(r"-interface (\S+)", val)
            if m:
                res.setdefault(fold(m.group(1)), []).append(val)
    return {k: "\n".join(v) for k, v in res.items()}


def seeds():
    if ONE_SEED is not None:
        return [int(ONE_SEED)]
    return list(range(RUNS))


@pytest.mark.parametrize("seed", seeds())
def test_random_nic_lists(seed, tmp_path):
    rng = random.Random(seed)
    nics, routes, sysfs, prints = random_case(rng)
    md = tmp_path / "md"
    os.makedirs(md)
    (md / "sdc:nics").write_text(json.dumps(nics))
    (md / "sdc:routes").write_text(json.dumps(routes))
    for name, mac in sysfs.items():
        os.makedirs(tmp_path / "sysfs" / name / "device")
        (tmp_path / "sysfs" / name / "address").write_text(mac + "\n")
    own = owners(nics)
    all_macs = set(own)
    where = {}                                     # MAC -> kernel name
    for name, mac in sorted(sysfs.items()):
        if not reserved(name):
            where.setdefault(mac, name)
    ctx = "seed %d: nics %s sysfs %s" % (seed, json.dumps(nics), sysfs)

    # The final SmartOS names: unique as rc.conf compares them, never
    # reserved, the same in every format.
    model = json.loads(subprocess.run(
        [BIN, "-q", "-f", "json", "--from-file", str(md)],
        capture_output=True, text=True, timeout=60, check=True).stdout)
    names = [i["name"] for i in model["interfaces"]]
    assert len({fold(n) for n in names}) == len(names), ctx
    assert not any(reserved(n) for n in names), ctx
    assert [i["mac"] for i in model["interfaces"]] == list(own), ctx
    for iface in model["interfaces"]:
        if iface["gateway4"] is not None:
            assert iface["primary"], ctx
        assert all(r["to"] != "0.0.0.0/0" for r in iface["routes"]), ctx

    for live in (False, True):
        # MAC-matched formats: the same whether live or not.
        files = render(tmp_path, "networkd", live)
        assert sorted(files) == sorted("10-mdata-%s.network" % n
                                       for n in names), ctx
        check_by_mac([(re.search(r"MACAddress=(\S+)", t).group(1), t)
                      for t in files.values()], nics, prints, all_macs)
        # One default route: the Gateway= lines outside [Route] sections.
        assert sum(len(re.findall(r"^Gateway=", t, re.M)) -
                   t.count("[Route]") for t in files.values()) <= 1, ctx

        files = render(tmp_path, "nm", live)
        assert len(files) == len(names), ctx
        blocks = []
        for t in files.values():
            mac = re.search(r"mac-address=(\S+)", t).group(1).lower()
            blocks.append((mac, t))
        check_by_mac(blocks, nics, prints, all_macs)

        files = render(tmp_path, "netplan", live)
        ids = netplan_ids(files["50-mdata.yaml"])
        assert sorted(ids) == sorted(names), ctx
        check_by_mac([(v["match"]["macaddress"], json.dumps(v))
                      for v in ids.values()], nics, prints, all_macs)

        files = render(tmp_path, "powershell", live)
        parts = re.split(r"\$a = Get-MdataAdapter '([0-9A-F-]+)'\n",
                         files["mdata-network.ps1"])[1:]
        check_by_mac([(parts[k].lower().replace("-", ":"), parts[k + 1])
                      for k in range(0, len(parts), 2)], nics, prints,
                     all_macs)

        # Formats naming kernel interfaces.
        for fmt in ("ip", "ifupdown", "freebsd"):
            got = by_kernel_name(fmt, render(tmp_path, fmt, live))
            if live:
                present = {}
                for mac, i in own.items():
                    if mac in where:
                        present[i] = where[mac]
                # Two present interfaces the same for rc.conf: the first
                # nic's is kept.
                kept, seen = {}, set()
                for i in sorted(present):
                    if fold(present[i]) not in seen:
                        kept[i] = present[i]
                        seen.add(fold(present[i]))
                want = {(fold(n) if fmt == "freebsd" else n): {i}
                        for i, n in kept.items()}
            else:
                want = {(fold(n) if fmt == "freebsd" else n): {own[m]}
                        for n, m in zip(names, own)}
            assert not any(reserved(k) for k in got), (fmt, sorted(got), ctx)
            assert len({fold(k) for k in got}) == len(got), ctx
            if fmt == "freebsd":
                got = {fold(k): v for k, v in got.items()}
            seen_nics = {k: which_nic(v, prints) for k, v in got.items()}
            assert seen_nics == want, "%s %s: %s" % (
                fmt, "live" if live else "offline", ctx)
