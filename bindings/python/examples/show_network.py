#!/usr/bin/env python3
"""Print the guest's network as the metadata service describes it.

    show_network.py [DEVICE]

DEVICE is the serial device or unix socket; without it MDATA_DEVICE or
auto-detection picks one. Exit status 0, or 1 with the error on stderr.
"""
import sys

import mdata


def main(argv):
    device = argv[1] if len(argv) > 1 else None
    try:
        with mdata.Client(device, timeout=10) as md:
            hostname, domain = md.hostname(), md.dns_domain()
            nics, routes, resolvers = md.nics(), md.routes(), md.resolvers()
    except mdata.MdataError as e:
        print("show_network: %s" % e, file=sys.stderr)
        return 1
    fqdn = hostname or "(no hostname)"
    if hostname and domain:
        fqdn += "." + domain
    print("host %s" % fqdn)
    for nic in nics:
        flags = [f for f in ("primary", "dhcp", "addrconf") if getattr(nic, f)]
        print("nic %s %s%s%s" % (
            nic.interface or "?", nic.mac,
            " vlan %d" % nic.vlan_id if nic.vlan_id else "",
            " mtu %d" % nic.mtu if nic.mtu else ""),
            ("(" + ", ".join(flags) + ")") if flags else "")
        for ip in nic.ips:
            print("  address %s" % ip)
        for gw in nic.gateways:
            print("  gateway %s" % gw)
    for r in routes:
        via = "dev-of %s" % r.gateway if r.linklocal else "via %s" % r.gateway
        print("route %s %s" % (r.dst, via))
    for res in resolvers:
        print("nameserver %s" % res.address)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
