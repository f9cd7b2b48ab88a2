"""Typed network data (sdc:nics, sdc:routes, sdc:resolvers) as frozen
dataclasses. Everything is copied out of the C lists, which are freed at
once: no C lifetime leaks into these objects."""
from __future__ import annotations

import ipaddress
import json
import types
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Tuple, Union

from . import _native
from ._native import AF_ADDRCONF, AF_DHCP, AF_INET, AF_INET6

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Interface = Union[ipaddress.IPv4Interface, ipaddress.IPv6Interface]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(frozen=True)
class Nic:
    """One entry of sdc:nics, legacy shapes normalised (see doc/types.md).

    ``ips`` holds the static addresses with their prefixes; the keywords
    become flags: ``dhcp`` (DHCPv4) and ``addrconf`` (SLAAC/DHCPv6).
    Absent optional fields are None (``vlan_id`` 0, flags False, lists
    empty), as the host omits them. ``raw`` maps every member of the nic
    object, known or not, to its JSON value.
    """

    mac: str
    interface: Optional[str] = None
    nic_tag: Optional[str] = None
    vlan_id: int = 0
    primary: bool = False
    mtu: Optional[int] = None
    network_uuid: Optional[uuid.UUID] = None
    model: Optional[str] = None
    ips: Tuple[Interface, ...] = ()
    dhcp: bool = False
    addrconf: bool = False
    ips_legacy: bool = False
    gateways: Tuple[Address, ...] = ()
    allow_dhcp_spoofing: bool = False
    allow_ip_spoofing: bool = False
    allow_mac_spoofing: bool = False
    allow_restricted_traffic: bool = False
    allow_unfiltered_promisc: bool = False
    dhcp_server: bool = False
    allowed_ips: Tuple[Interface, ...] = ()
    allowed_dhcp_cids: Tuple[str, ...] = ()
    blocked_outgoing_ports: Tuple[int, ...] = ()
    vrrp_vrid: Optional[int] = None
    vrrp_primary_ip: Optional[Address] = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False,
                                   hash=False, repr=False)

    @property
    def mac_bytes(self) -> bytes:
        """The MAC as 6 bytes."""
        return bytes(int(g, 16) for g in self.mac.split(":"))


@dataclass(frozen=True)
class Route:
    """One entry of sdc:routes. ``dst`` is a network (a bare address is a
    host route, /32 or /128); for a link-local route ``gateway`` is one of
    the VM's own addresses: the route goes out of that nic."""

    dst: Network
    gateway: Address
    linklocal: bool = False


@dataclass(frozen=True)
class Resolver:
    """One entry of sdc:resolvers: the address, and its text as the host
    wrote it."""

    address: Address
    text: str

    def __str__(self) -> str:
        return str(self.address)


# ---- conversion from the C objects -----------------------------------------


def _address(ip: "_native.Ip") -> Address:
    if ip.family == AF_INET:
        return ipaddress.IPv4Address(bytes(ip.addr[:4]))
    if ip.family == AF_INET6:
        return ipaddress.IPv6Address(bytes(ip.addr[:16]))
    raise ValueError("not an address: family %d" % ip.family)


def _interface(ip: "_native.Ip") -> Interface:
    addr = _address(ip)
    if isinstance(addr, ipaddress.IPv4Address):
        return ipaddress.IPv4Interface((addr, ip.prefix))
    return ipaddress.IPv6Interface((addr, ip.prefix))


def _network(ip: "_native.Ip") -> Network:
    return ipaddress.ip_network((_address(ip), ip.prefix), strict=False)


def _ips(lib: Any, nic: Any, count: str, at: str) -> Tuple[Any, ...]:
    n = getattr(lib, count)(nic)
    return tuple(getattr(lib, at)(nic, i).contents for i in range(n))


def _nic(lib: Any, nic: Any) -> Nic:
    ips = []
    dhcp = addrconf = False
    for ip in _ips(lib, nic, "mdata_nic_ip_count", "mdata_nic_ip_at"):
        if ip.family == AF_DHCP:
            dhcp = True
        elif ip.family == AF_ADDRCONF:
            addrconf = True
        else:
            ips.append(_interface(ip))
    flags = lib.mdata_nic_flags(nic)
    net_uuid = _native.cstr(lib.mdata_nic_network_uuid(nic))
    mtu = lib.mdata_nic_mtu(nic)
    vrid = lib.mdata_nic_vrrp_vrid(nic)
    vrrp_ip = lib.mdata_nic_vrrp_primary_ip(nic)
    raw = {}
    for i in range(lib.mdata_nic_field_count(nic)):
        name = lib.mdata_nic_field_name_at(nic, i)
        raw[name.decode("utf-8", "replace")] = json.loads(
            lib.mdata_nic_field_json(nic, name).decode("utf-8", "replace"))
    return Nic(
        mac=_native.cstr(lib.mdata_nic_mac_text(nic)) or "",
        interface=_native.cstr(lib.mdata_nic_interface(nic)),
        nic_tag=_native.cstr(lib.mdata_nic_tag(nic)),
        vlan_id=lib.mdata_nic_vlan_id(nic),
        primary=bool(lib.mdata_nic_is_primary(nic)),
        mtu=mtu if mtu else None,
        network_uuid=uuid.UUID(net_uuid) if net_uuid else None,
        model=_native.cstr(lib.mdata_nic_model(nic)),
        ips=tuple(ips),
        dhcp=dhcp,
        addrconf=addrconf,
        ips_legacy=bool(lib.mdata_nic_ips_are_legacy(nic)),
        gateways=tuple(_address(g) for g in _ips(
            lib, nic, "mdata_nic_gateway_count", "mdata_nic_gateway_at")),
        allow_dhcp_spoofing=bool(flags & _native.NIC_ALLOW_DHCP_SPOOFING),
        allow_ip_spoofing=bool(flags & _native.NIC_ALLOW_IP_SPOOFING),
        allow_mac_spoofing=bool(flags & _native.NIC_ALLOW_MAC_SPOOFING),
        allow_restricted_traffic=bool(
            flags & _native.NIC_ALLOW_RESTRICTED_TRAFFIC),
        allow_unfiltered_promisc=bool(
            flags & _native.NIC_ALLOW_UNFILTERED_PROMISC),
        dhcp_server=bool(flags & _native.NIC_DHCP_SERVER),
        allowed_ips=tuple(_interface(a) for a in _ips(
            lib, nic, "mdata_nic_allowed_ip_count", "mdata_nic_allowed_ip_at")),
        allowed_dhcp_cids=tuple(
            _native.cstr(lib.mdata_nic_allowed_dhcp_cid_at(nic, i)) or ""
            for i in range(lib.mdata_nic_allowed_dhcp_cid_count(nic))),
        blocked_outgoing_ports=tuple(
            lib.mdata_nic_blocked_port_at(nic, i)
            for i in range(lib.mdata_nic_blocked_port_count(nic))),
        vrrp_vrid=vrid if vrid >= 0 else None,
        vrrp_primary_ip=_address(vrrp_ip.contents) if vrrp_ip else None,
        raw=types.MappingProxyType(raw),
    )


def nics_from(lib: Any, lst: Any) -> Tuple[Nic, ...]:
    """Copy a mdata_nic_list_t (not freed here)."""
    return tuple(_nic(lib, lib.mdata_nic_list_at(lst, i))
                 for i in range(lib.mdata_nic_list_count(lst)))


def routes_from(lib: Any, lst: Any) -> Tuple[Route, ...]:
    out = []
    for i in range(lib.mdata_route_list_count(lst)):
        r = lib.mdata_route_list_at(lst, i)
        out.append(Route(dst=_network(lib.mdata_route_dst(r).contents),
                         gateway=_address(lib.mdata_route_gateway(r).contents),
                         linklocal=bool(lib.mdata_route_is_linklocal(r))))
    return tuple(out)


def resolvers_from(lib: Any, lst: Any) -> Tuple[Resolver, ...]:
    out = []
    for i in range(lib.mdata_resolver_list_count(lst)):
        ip = lib.mdata_resolver_list_at(lst, i).contents
        out.append(Resolver(address=_address(ip),
                            text=ip.text.decode("utf-8", "replace")))
    return tuple(out)
