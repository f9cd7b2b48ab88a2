/* render_ifupdown.c: Debian's /etc/network/interfaces (interfaces(5)).
 * One stanza per address: ifupdown allows several for an interface. The
 * first stanza of a family carries its gateway and routes; the first
 * stanza of the interface carries mtu and DNS (for resolvconf). */
#include "render.h"

#include <stdio.h>

typedef struct stanza_state {
    int first;      /* no stanza written yet for this interface */
} stanza_state_t;

/* Options every interface's first stanza carries. mtu_opt: the method
 * takes an "mtu" option. */
static void first_opts(const nc_model_t *m, const nc_iface_t *ifc,
                       nc_buf_t *b, stanza_state_t *st, int mtu_opt)
{
    char t[MDATA_IP_TEXT_MAX];
    size_t i;

    if (!st->first)
        return;
    st->first = 0;
    if (ifc->mtu != 0 && mtu_opt)
        nc_buf_printf(b, "    mtu %u\n", ifc->mtu);
    else if (ifc->mtu != 0)
        nc_buf_printf(b, "    pre-up ip link set dev %s mtu %u\n",
                      ifc->ifname, ifc->mtu);
    if (nc_model_dns_iface(m) == ifc && m->ndns > 0) {
        nc_buf_puts(b, "    dns-nameservers");
        for (i = 0; i < m->ndns; i++)
            nc_buf_printf(b, " %s", nc_ip_text(&m->dns[i], 0, t));
        nc_buf_puts(b, "\n");
    }
    if (nc_model_dns_iface(m) == ifc && m->domain[0] != '\0')
        nc_buf_printf(b, "    dns-search %s\n", m->domain);
}

static void routes(const nc_iface_t *ifc, int family, nc_buf_t *b)
{
    char d[MDATA_IP_TEXT_MAX], g[MDATA_IP_TEXT_MAX];
    const char *ip = family == MDATA_AF_INET6 ? "ip -6" : "ip";
    size_t i;

    for (i = 0; i < ifc->nroute; i++) {
        const nc_route_t *r = &ifc->route[i];

        if (r->dst.family != family)
            continue;
        nc_ip_text(&r->dst, 1, d);
        if (r->onlink)
            nc_buf_printf(b, "    up %s route replace %s dev %s%s\n", ip, d,
                          ifc->ifname,
                          family == MDATA_AF_INET ? " scope link" : "");
        else
            nc_buf_printf(b, "    up %s route replace %s via %s dev %s\n", ip,
                          d, nc_ip_text(&r->via, 0, g), ifc->ifname);
    }
}

static void statics(const nc_model_t *m, const nc_iface_t *ifc, int family,
                    nc_buf_t *b, stanza_state_t *st)
{
    char t[MDATA_IP_TEXT_MAX];
    int first_of_family = 1;
    size_t i;

    for (i = 0; i < ifc->naddr; i++) {
        if (ifc->addr[i].family != family)
            continue;
        nc_buf_printf(b, "iface %s %s static\n", ifc->ifname,
                      family == MDATA_AF_INET6 ? "inet6" : "inet");
        nc_buf_printf(b, "    address %s\n", nc_ip_text(&ifc->addr[i], 1, t));
        first_opts(m, ifc, b, st, 1);
        if (first_of_family) {
            if (family == MDATA_AF_INET && ifc->has_gw4)
                nc_buf_printf(b, "    gateway %s\n",
                              nc_ip_text(&ifc->gw4, 0, t));
            if (family == MDATA_AF_INET6 && ifc->has_gw6)
                nc_buf_printf(b, "    gateway %s\n",
                              nc_ip_text(&ifc->gw6, 0, t));
            if (family == MDATA_AF_INET6)
                nc_buf_printf(b, "    accept_ra %d\n    autoconf %d\n",
                              ifc->ipv6_auto ? 2 : 0, ifc->ipv6_auto);
            routes(ifc, family, b);
            first_of_family = 0;
        }
    }
}

static void one(const nc_model_t *m, const nc_iface_t *ifc, nc_buf_t *b)
{
    stanza_state_t st = {1};

    nc_buf_printf(b, "\n# SmartOS nic %s%s, MAC %s\n", ifc->name,
                  ifc->primary ? " (primary)" : "", ifc->mac);
    nc_buf_printf(b, "auto %s\n", ifc->ifname);
    statics(m, ifc, MDATA_AF_INET, b, &st);
    if (ifc->dhcp4 && ifc->optional) {
        /* ifup waits for the "dhcp" method's lease, and networking.service
         * for ifup: an optional nic's client goes to the background. */
        nc_buf_printf(b, "iface %s inet manual\n", ifc->ifname);
        first_opts(m, ifc, b, &st, 1);
        nc_buf_printf(b, "    up dhclient -4 -nw%s -pf /run/dhclient.%s.pid "
                      "-lf /var/lib/dhcp/dhclient.%s.leases %s\n",
                      nc_model_primary(m) != NULL
                          ? " -e IF_METRIC=" NC_DHCP_SECONDARY_METRIC
                          : "",
                      ifc->ifname, ifc->ifname, ifc->ifname);
        nc_buf_printf(b, "    down dhclient -4 -r -pf /run/dhclient.%s.pid "
                      "-lf /var/lib/dhcp/dhclient.%s.leases %s\n",
                      ifc->ifname, ifc->ifname, ifc->ifname);
    } else if (ifc->dhcp4) {
        nc_buf_printf(b, "iface %s inet dhcp\n", ifc->ifname);
        first_opts(m, ifc, b, &st, 0);
    }
    statics(m, ifc, MDATA_AF_INET6, b, &st);
    if (ifc->ipv6_auto && nc_iface_count_family(ifc, MDATA_AF_INET6) == 0) {
        /* "dhcp 1" makes ifup wait for a DHCPv6 answer: not for an
         * optional nic, which takes router advertisements only. */
        nc_buf_printf(b, "iface %s inet6 auto\n%s", ifc->ifname,
                      ifc->optional ? "" : "    dhcp 1\n");
        first_opts(m, ifc, b, &st, 0);
    }
    if (st.first) {
        nc_buf_printf(b, "iface %s inet manual\n", ifc->ifname);
        first_opts(m, ifc, b, &st, 1);
    }
}

int nc_render_ifupdown(const nc_model_t *m, nc_files_t *out)
{
    nc_buf_t b;
    size_t i;

    nc_buf_init(&b);
    nc_buf_printf(&b, "# %s\n", NC_HEADER);
    nc_buf_puts(&b, "auto lo\niface lo inet loopback\n");
    /* An absent nic (ifname.c) has no interface of its own here. */
    for (i = 0; i < m->niface; i++)
        if (!m->iface[i].absent)
            one(m, &m->iface[i], &b);
    return nc_files_add(out, "interfaces", 0644, &b);
}
