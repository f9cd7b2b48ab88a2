"""The typed getters field by field against the VM.json the emulator
serves, over a socket and a pty."""
import ipaddress
import json
import uuid

import pytest

import mdata

from conftest import load_vm, vm_path

FLAGS = ["allow_dhcp_spoofing", "allow_ip_spoofing", "allow_mac_spoofing",
         "allow_restricted_traffic", "allow_unfiltered_promisc", "dhcp_server"]


def check_nic(nic, j):
    assert isinstance(nic, mdata.Nic)
    assert nic.mac == j["mac"].lower()
    assert nic.mac_bytes == bytes(int(g, 16) for g in j["mac"].split(":"))
    assert nic.interface == j.get("interface")
    assert nic.nic_tag == j.get("nic_tag")
    assert nic.vlan_id == j.get("vlan_id", 0)
    assert nic.primary is (j.get("primary") is True)
    assert nic.mtu == j.get("mtu")
    assert nic.network_uuid == (uuid.UUID(j["network_uuid"])
                                if "network_uuid" in j else None)
    assert nic.model == j.get("model")
    ips = j["ips"]
    assert nic.dhcp is ("dhcp" in ips)
    assert nic.addrconf is ("addrconf" in ips)
    assert nic.ips == tuple(ipaddress.ip_interface(s) for s in ips
                            if s not in ("dhcp", "addrconf"))
    for ip in nic.ips:
        assert isinstance(ip, (ipaddress.IPv4Interface, ipaddress.IPv6Interface))
    assert nic.ips_legacy is False
    assert nic.gateways == tuple(ipaddress.ip_address(g)
                                 for g in j.get("gateways", []))
    for f in FLAGS:
        assert getattr(nic, f) is (j.get(f) is True), f
    assert nic.allowed_ips == tuple(ipaddress.ip_interface(a)
                                    for a in j.get("allowed_ips", []))
    assert nic.allowed_dhcp_cids == tuple(j.get("allowed_dhcp_cids", []))
    assert nic.blocked_outgoing_ports == tuple(j.get("blocked_outgoing_ports", []))
    assert nic.vrrp_vrid == j.get("vrrp_vrid")
    assert nic.vrrp_primary_ip == (ipaddress.ip_address(j["vrrp_primary_ip"])
                                   if "vrrp_primary_ip" in j else None)
    assert dict(nic.raw) == j
    assert list(nic.raw) == list(j)  # document order


def expected_routes(vm):
    """sdc:routes as the host computes it from the VM's routes object."""
    nics = vm.get("nics", [])
    out = []
    for dst, gw in vm.get("routes", {}).items():
        nic, named = None, False
        if gw.startswith("nics["):
            named = True
            i = int(gw[5:-1])
            nic = nics[i] if i < len(nics) else None
        elif gw.startswith("macs["):
            named = True
            nic = next((n for n in nics
                        if n.get("mac", "").lower() == gw[5:-1].lower()), None)
        if named:
            if nic is None or nic.get("ip") in (None, "dhcp"):
                continue
            gw = nic["ip"]
        out.append(mdata.Route(dst=ipaddress.ip_network(dst),
                               gateway=ipaddress.ip_address(gw),
                               linklocal=named))
    return tuple(out)


@pytest.mark.parametrize("vm_name", ["sample-vm.json", "d1-zone.json"])
def test_typed_getters_match_the_vm(host, vm_name):
    vm = load_vm(vm_name)
    with mdata.Client(host(vm_path(vm_name))) as md:
        nics = md.nics()
        assert isinstance(nics, tuple) and len(nics) == len(vm["nics"])
        for nic, j in zip(nics, vm["nics"]):
            check_nic(nic, j)
        routes = md.routes()
        assert routes == expected_routes(vm)
        for r in routes:
            assert isinstance(r.dst, (ipaddress.IPv4Network, ipaddress.IPv6Network))
        resolvers = md.resolvers()
        assert [r.text for r in resolvers] == vm["resolvers"]
        assert [r.address for r in resolvers] == [
            ipaddress.ip_address(a) for a in vm["resolvers"]]
        assert md.hostname() == vm["hostname"]
        assert md.dns_domain() == vm["dns_domain"]


def test_sample_values_spelled_out(sample_dev):
    with mdata.Client(sample_dev) as md:
        net0, net1, net2 = md.nics()
        routes = md.routes()
        resolvers = md.resolvers()
    assert net0.primary and net0.interface == "net0"
    assert net0.ips == (ipaddress.IPv4Interface("192.0.2.51/24"),
                        ipaddress.IPv6Interface("2001:db8:324::51/64"))
    assert net0.gateways == (ipaddress.IPv4Address("192.0.2.1"),)
    assert (net0.vlan_id, net0.mtu) == (324, 1500)
    assert net1.mtu == 9000 and not net1.primary and net1.gateways == ()
    assert net2.dhcp and net2.ips == () and net2.mtu is None
    assert len(routes) == 4  # the nics[2] (dhcp) route is dropped
    assert routes[3] == mdata.Route(ipaddress.IPv4Network("169.254.169.254/32"),
                                    ipaddress.IPv4Address("192.0.2.51"), True)
    assert str(resolvers[1]) == "2001:db8::53"
    # frozen
    with pytest.raises(Exception):
        net0.mtu = 1  # type: ignore[misc]
    assert hash(routes[0]) == hash(mdata.Route(
        ipaddress.IPv4Network("10.0.0.0/8"), ipaddress.IPv4Address("10.210.1.1")))


def test_every_optional_nic_field(host, write_vm):
    # doc/protocol.md §6.4 D.7 (maximal-joyent nic 1): legacy, anti-spoof, vrrp
    nic = {"interface": "net1", "mac": "00:00:5e:00:01:01", "vlan_id": 1337,
           "nic_tag": "admin", "gateway": "10.10.10.1",
           "allowed_ips": ["10.10.10.11", "10.10.10.12"], "ip": "10.10.10.11",
           "netmask": "255.255.255.0",
           "network_uuid": "298ec546-4b2c-41b4-ba58-6034b1fa8e02",
           "dhcp_server": True, "allow_dhcp_spoofing": True,
           "blocked_outgoing_ports": [25, 587], "allow_ip_spoofing": True,
           "allow_mac_spoofing": True, "allow_restricted_traffic": True,
           "allow_unfiltered_promisc": True, "vrrp_vrid": 1,
           "vrrp_primary_ip": "10.10.10.10", "primary": True,
           "allowed_dhcp_cids": ["abc", "def"], "future_field": {"x": [1]}}
    with mdata.Client(host(write_vm({"nics": [nic]}))) as md:
        (n,) = md.nics()
    assert n.ips_legacy
    assert n.ips == (ipaddress.IPv4Interface("10.10.10.11/24"),)
    assert n.gateways == (ipaddress.IPv4Address("10.10.10.1"),)
    assert n.allowed_ips == (ipaddress.IPv4Interface("10.10.10.11/32"),
                             ipaddress.IPv4Interface("10.10.10.12/32"))
    assert n.allowed_dhcp_cids == ("abc", "def")
    assert n.blocked_outgoing_ports == (25, 587)
    assert all(getattr(n, f) for f in FLAGS)
    assert n.vrrp_vrid == 1
    assert n.vrrp_primary_ip == ipaddress.IPv4Address("10.10.10.10")
    assert n.raw["future_field"] == {"x": [1]}
    assert dict(n.raw) == json.loads(json.dumps(nic))


def test_ipv6_and_addrconf(host, write_vm):
    nic = {"mac": "90:b8:d0:ae:64:51", "ips": ["2001::10/64", "8.12.42.51/24",
                                               "addrconf"],
           "gateways": ["8.12.42.1", "2001::1"]}
    vm = {"nics": [nic], "routes": {"2001:db8::/32": "2001::1"},
          "resolvers": ["2001:4860:4860::8888"]}
    with mdata.Client(host(write_vm(vm))) as md:
        (n,) = md.nics()
        (r,) = md.routes()
        (res,) = md.resolvers()
    assert n.addrconf and not n.dhcp
    assert n.ips == (ipaddress.IPv6Interface("2001::10/64"),
                     ipaddress.IPv4Interface("8.12.42.51/24"))
    assert n.gateways[1] == ipaddress.IPv6Address("2001::1")
    assert r.dst == ipaddress.IPv6Network("2001:db8::/32") and not r.linklocal
    assert res.address == ipaddress.IPv6Address("2001:4860:4860::8888")


def test_absent_values(host, write_vm):
    with mdata.Client(host(write_vm({"nics": []}))) as md:
        assert md.hostname() is None
        assert md.dns_domain() is None
        assert md.nics() == ()
        with pytest.raises(mdata.NotFound):
            md.resolvers()
        with pytest.raises(mdata.NotFound):
            md.routes()
    with mdata.Client(host(write_vm({"routes": {}, "resolvers": []},
                                    "vm2.json"))) as md:
        assert md.routes() == ()
        assert md.resolvers() == ()
        with pytest.raises(mdata.NotFound):
            md.nics()
