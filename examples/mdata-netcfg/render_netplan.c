/* render_netplan.c: netplan version 2 YAML (one file, every nic matched by
 * MAC). Strings that YAML could read as something else are quoted. */
#include "render.h"

#include <stdio.h>

static void ethernet(const nc_model_t *m, const nc_iface_t *ifc, nc_buf_t *b)
{
    char t[MDATA_IP_TEXT_MAX];
    size_t i;

    nc_buf_printf(b, "    \"%s\":\n", ifc->name);
    nc_buf_printf(b, "      match:\n        macaddress: \"%s\"\n", ifc->mac);
    if (ifc->mtu != 0)
        nc_buf_printf(b, "      mtu: %u\n", ifc->mtu);
    /* Not waited for by network-online.target (RequiredForOnline=no). */
    if (ifc->optional)
        nc_buf_puts(b, "      optional: true\n");
    nc_buf_printf(b, "      dhcp4: %s\n", ifc->dhcp4 ? "true" : "false");
    if (ifc->dhcp4 && !ifc->primary && nc_model_primary(m) != NULL)
        nc_buf_puts(b, "      dhcp4-overrides:\n        use-routes: false\n");
    nc_buf_printf(b, "      dhcp6: %s\n", ifc->ipv6_auto ? "true" : "false");
    nc_buf_printf(b, "      accept-ra: %s\n", ifc->ipv6_auto ? "true" : "false");
    if (ifc->naddr > 0) {
        nc_buf_puts(b, "      addresses:\n");
        for (i = 0; i < ifc->naddr; i++)
            nc_buf_printf(b, "        - \"%s\"\n",
                          nc_ip_text(&ifc->addr[i], 1, t));
    }
    if (ifc->has_gw4 || ifc->has_gw6 || ifc->nroute > 0) {
        nc_buf_puts(b, "      routes:\n");
        if (ifc->has_gw4)
            nc_buf_printf(b, "        - to: \"0.0.0.0/0\"\n          via: "
                          "\"%s\"\n", nc_ip_text(&ifc->gw4, 0, t));
        if (ifc->has_gw6)
            nc_buf_printf(b, "        - to: \"::/0\"\n          via: \"%s\"\n",
                          nc_ip_text(&ifc->gw6, 0, t));
        for (i = 0; i < ifc->nroute; i++) {
            const nc_route_t *r = &ifc->route[i];

            nc_buf_printf(b, "        - to: \"%s\"\n",
                          nc_ip_text(&r->dst, 1, t));
            if (r->onlink && r->dst.family == MDATA_AF_INET)
                nc_buf_puts(b, "          scope: link\n");
            else if (!r->onlink)
                nc_buf_printf(b, "          via: \"%s\"\n",
                              nc_ip_text(&r->via, 0, t));
        }
    }
    if (nc_model_dns_iface(m) == ifc && (m->ndns > 0 || m->domain[0])) {
        nc_buf_puts(b, "      nameservers:\n");
        if (m->ndns > 0) {
            nc_buf_puts(b, "        addresses:\n");
            for (i = 0; i < m->ndns; i++)
                nc_buf_printf(b, "          - \"%s\"\n",
                              nc_ip_text(&m->dns[i], 0, t));
        }
        if (m->domain[0] != '\0')
            nc_buf_printf(b, "        search:\n          - \"%s\"\n",
                          m->domain);
    }
}

int nc_render_netplan(const nc_model_t *m, nc_files_t *out)
{
    nc_buf_t b;
    size_t i;

    nc_buf_init(&b);
    nc_buf_printf(&b, "# %s\n", NC_HEADER);
    nc_buf_puts(&b, "network:\n  version: 2\n");
    if (m->niface > 0)
        nc_buf_puts(&b, "  ethernets:\n");
    for (i = 0; i < m->niface; i++)
        ethernet(m, &m->iface[i], &b);
    /* netplan refuses to read world-readable configuration quietly. */
    return nc_files_add(out, "50-mdata.yaml", 0600, &b);
}
