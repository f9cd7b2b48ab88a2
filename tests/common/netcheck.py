"""Checks shared by the qemu guest suites (tests/guest, tests/image): a
pass/fail tally and the guest's network, as ip -j printed it, against the
VM object's sdc:nics and sdc:routes."""
import json


def log(msg=""):
    print(msg, flush=True)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            log("  ok    %s" % what)
        else:
            self.failed += 1
            log("  FAIL  %s %s" % (what, detail))


def check_network(c, got, vm):
    """ip -j output against sdc:nics and the routes map."""
    try:
        links = json.loads(got.get("ip-link", "[]"))
        addrs = json.loads(got.get("ip-addr", "[]"))
        r4 = json.loads(got.get("ip-route4", "[]"))
        r6 = json.loads(got.get("ip-route6", "[]"))
    except ValueError as e:
        c.check(False, "ip -j output parses", str(e))
        return
    by_mac = {l.get("address"): l for l in links}
    addr_by_if = {a["ifname"]: a for a in addrs}
    name_of = {}
    for nic in vm["nics"]:
        link = by_mac.get(nic["mac"])
        c.check(link is not None, "interface with MAC %s exists" % nic["mac"])
        if link is None:
            continue
        ifname = link["ifname"]
        name_of[nic["interface"]] = ifname
        have = {"%s/%d" % (a["local"], a["prefixlen"])
                for a in addr_by_if.get(ifname, {}).get("addr_info", [])
                if a.get("scope") == "global"}
        for ip in nic.get("ips", []):
            if ip in ("dhcp", "addrconf"):
                continue
            c.check(ip in have, "%s (%s) has %s" % (ifname, nic["interface"], ip), sorted(have))
        if "mtu" in nic:
            c.check(link.get("mtu") == nic["mtu"], "%s mtu %d" % (ifname, nic["mtu"]), link.get("mtu"))
        c.check("UP" in link.get("flags", []), "%s is up" % ifname)
    primary = [n for n in vm["nics"] if n.get("primary")][0]
    gw4 = [g for g in primary.get("gateways", []) if ":" not in g]
    if gw4:
        default = [r for r in r4 if r.get("dst") == "default"]
        c.check(any(r.get("gateway") == gw4[0] for r in default),
                "default IPv4 route via %s" % gw4[0], default)
    for dst, gw in vm.get("routes", {}).items():
        want = dst
        found = [r for r in r4 + r6 if r.get("dst") == want]
        if gw.startswith("nics[") or gw.startswith("macs["):
            if gw.startswith("nics["):
                nic = vm["nics"][int(gw[5:-1])]
            else:
                mac = gw[5:-1].lower()
                nic = [n for n in vm["nics"] if n["mac"].lower() == mac][0]
            if nic.get("ip", "dhcp") == "dhcp":
                c.check(not found, "route %s (through a dhcp nic) dropped as the host drops it" % dst, found)
                continue
            ifname = name_of.get(nic["interface"])
            c.check(any(r.get("dev") == ifname and "gateway" not in r for r in found),
                    "on-link route %s dev %s" % (dst, ifname), found)
        else:
            c.check(any(r.get("gateway") == gw for r in found), "route %s via %s" % (dst, gw), found)
