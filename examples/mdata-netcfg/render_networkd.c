/* render_networkd.c: systemd-networkd .network files, one per nic,
 * matched by MAC (systemd.network(5)). */
#include "render.h"

static const char *dhcp_mode(const nc_iface_t *ifc)
{
    if (ifc->dhcp4 && ifc->ipv6_auto)
        return "yes";
    if (ifc->dhcp4)
        return "ipv4";
    if (ifc->ipv6_auto)
        return "ipv6";
    return "no";
}

static void one(const nc_model_t *m, const nc_iface_t *ifc, nc_buf_t *b)
{
    char t[MDATA_IP_TEXT_MAX];
    size_t i;

    nc_buf_printf(b, "# %s\n", NC_HEADER);
    nc_buf_printf(b, "# SmartOS nic %s%s\n", ifc->name,
                  ifc->primary ? " (primary)" : "");
    nc_buf_printf(b, "[Match]\nMACAddress=%s\nType=ether\n", ifc->mac);
    if (ifc->mtu != 0 || ifc->optional)
        nc_buf_puts(b, "\n[Link]\n");
    if (ifc->mtu != 0)
        nc_buf_printf(b, "MTUBytes=%u\n", ifc->mtu);
    /* A DHCP server may never answer (bhyve runs none): do not hold
     * network-online.target for this nic. */
    if (ifc->optional)
        nc_buf_puts(b, "RequiredForOnline=no\n");
    nc_buf_printf(b, "\n[Network]\nDHCP=%s\nIPv6AcceptRA=%s\n",
                  dhcp_mode(ifc), ifc->ipv6_auto ? "yes" : "no");
    for (i = 0; i < ifc->naddr; i++)
        nc_buf_printf(b, "Address=%s\n", nc_ip_text(&ifc->addr[i], 1, t));
    if (ifc->has_gw4)
        nc_buf_printf(b, "Gateway=%s\n", nc_ip_text(&ifc->gw4, 0, t));
    if (ifc->has_gw6)
        nc_buf_printf(b, "Gateway=%s\n", nc_ip_text(&ifc->gw6, 0, t));
    if (nc_model_dns_iface(m) == ifc) {
        for (i = 0; i < m->ndns; i++)
            nc_buf_printf(b, "DNS=%s\n", nc_ip_text(&m->dns[i], 0, t));
        if (m->domain[0] != '\0')
            nc_buf_printf(b, "Domains=%s\n", m->domain);
    }
    if (ifc->dhcp4 && !ifc->primary && nc_model_primary(m) != NULL)
        nc_buf_puts(b, "\n[DHCPv4]\nUseGateway=no\n");
    for (i = 0; i < ifc->nroute; i++) {
        const nc_route_t *r = &ifc->route[i];

        nc_buf_printf(b, "\n[Route]\nDestination=%s\n",
                      nc_ip_text(&r->dst, 1, t));
        /* On-link: no gateway. networkd takes Scope= for IPv4 only (an
         * IPv6 route without gateway is on-link anyway). */
        if (r->onlink && r->dst.family == MDATA_AF_INET)
            nc_buf_puts(b, "Scope=link\n");
        else if (!r->onlink)
            nc_buf_printf(b, "Gateway=%s\n", nc_ip_text(&r->via, 0, t));
    }
}

int nc_render_networkd(const nc_model_t *m, nc_files_t *out)
{
    return nc_render_per_nic(m, "networkd", one, 0644, out);
}
