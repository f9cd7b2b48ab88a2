/* render_freebsd.c: FreeBSD rc.conf(5) lines: ifconfig_<if>[_ipv6|_aliasN],
 * defaultrouter, ipv6_defaultrouter, static routes, hostname. */
#include "render.h"

#include <stdio.h>

/* The interface name as rc.conf spells it in variable names: rc.subr maps
 * '.', '-', '/' and '+' to '_' ("ifconfig_em0_100" for em0.100). */
static const char *var(const nc_iface_t *ifc, char out[NC_IFNAME_MAX])
{
    size_t i;

    for (i = 0; i + 1 < NC_IFNAME_MAX && ifc->ifname[i] != '\0'; i++)
        out[i] = (ifc->ifname[i] == '.' || ifc->ifname[i] == '-')
                     ? '_'
                     : ifc->ifname[i];
    out[i] = '\0';
    return out;
}

static void mtu(const nc_iface_t *ifc, nc_buf_t *b)
{
    if (ifc->mtu != 0)
        nc_buf_printf(b, " mtu %u", ifc->mtu);
}

static void one(const nc_iface_t *ifc, nc_buf_t *b)
{
    char t[MDATA_IP_TEXT_MAX];
    size_t i, n4 = nc_iface_count_family(ifc, MDATA_AF_INET);
    size_t n6 = nc_iface_count_family(ifc, MDATA_AF_INET6);
    int alias = 0, main4 = 0, main6 = 0;
    char v[NC_IFNAME_MAX];

    var(ifc, v);

    nc_buf_printf(b, "\n# SmartOS nic %s%s, MAC %s\n", ifc->name,
                  ifc->primary ? " (primary)" : "", ifc->mac);
    nc_buf_printf(b, "ifconfig_%s=\"", v);
    if (ifc->dhcp4) {
        nc_buf_puts(b, "DHCP");
    } else if (n4 > 0) {
        for (i = 0; i < ifc->naddr && !main4; i++)
            if (ifc->addr[i].family == MDATA_AF_INET) {
                nc_buf_printf(b, "inet %s", nc_ip_text(&ifc->addr[i], 1, t));
                main4 = (int)i + 1;
            }
    } else {
        nc_buf_puts(b, "up");
    }
    mtu(ifc, b);
    nc_buf_puts(b, "\"\n");
    if (n6 > 0 || ifc->ipv6_auto) {
        nc_buf_printf(b, "ifconfig_%s_ipv6=\"inet6", v);
        for (i = 0; i < ifc->naddr && !main6; i++)
            if (ifc->addr[i].family == MDATA_AF_INET6) {
                nc_buf_printf(b, " %s", nc_ip_text(&ifc->addr[i], 1, t));
                main6 = (int)i + 1;
            }
        nc_buf_puts(b, ifc->ipv6_auto ? " accept_rtadv\"\n" : "\"\n");
    }
    for (i = 0; i < ifc->naddr; i++) {
        const mdata_ip_t *a = &ifc->addr[i];

        if ((int)i + 1 == main4 || (int)i + 1 == main6)
            continue;
        nc_buf_printf(b, "ifconfig_%s_alias%d=\"%s %s\"\n", v,
                      alias++, a->family == MDATA_AF_INET6 ? "inet6" : "inet",
                      nc_ip_text(a, 1, t));
    }
}

/* static_routes / ipv6_static_routes and their route_* lines. */
static void routes(const nc_model_t *m, int fam, nc_buf_t *b)
{
    const char *pre = fam == MDATA_AF_INET6 ? "ipv6_" : "";
    char t[MDATA_IP_TEXT_MAX], g[MDATA_IP_TEXT_MAX];
    unsigned int full = fam == MDATA_AF_INET6 ? 128 : 32;
    size_t i, k;
    int n = 0;

    for (i = 0; i < m->niface; i++)
        for (k = 0; k < m->iface[i].nroute && !m->iface[i].absent; k++)
            if (m->iface[i].route[k].dst.family == fam)
                n++;
    if (n == 0)
        return;
    nc_buf_printf(b, "%sstatic_routes=\"", pre);
    for (i = 0; i < (size_t)n; i++)
        nc_buf_printf(b, "%smdata%zu", i ? " " : "", i);
    nc_buf_puts(b, "\"\n");
    n = 0;
    for (i = 0; i < m->niface; i++) {
        const nc_iface_t *ifc = &m->iface[i];

        for (k = 0; k < ifc->nroute && !ifc->absent; k++) {
            const nc_route_t *r = &ifc->route[k];

            if (r->dst.family != fam)
                continue;
            nc_buf_printf(b, "%sroute_mdata%d=\"%s %s ", pre, n++,
                          r->dst.prefix == full ? "-host" : "-net",
                          nc_ip_text(&r->dst, r->dst.prefix != full, t));
            if (r->onlink)
                nc_buf_printf(b, "-interface %s\"\n", ifc->ifname);
            else
                nc_buf_printf(b, "%s\"\n", nc_ip_text(&r->via, 0, g));
        }
    }
}

int nc_render_freebsd(const nc_model_t *m, nc_files_t *out)
{
    char t[MDATA_IP_TEXT_MAX], fqdn[2 * NC_HOSTNAME_MAX];
    const nc_iface_t *p = nc_model_primary(m);
    nc_buf_t b;
    size_t i;
    int rtsold = 0;

    nc_buf_init(&b);
    nc_buf_printf(&b, "# %s\n", NC_HEADER);
    if (nc_fqdn(m, fqdn, sizeof(fqdn))[0] != '\0')
        nc_buf_printf(&b, "hostname=\"%s\"\n", fqdn);
    /* An absent nic (ifname.c) has no interface of its own here. */
    if (p != NULL && p->absent)
        p = NULL;
    for (i = 0; i < m->niface; i++) {
        if (m->iface[i].absent)
            continue;
        one(&m->iface[i], &b);
        rtsold |= m->iface[i].ipv6_auto;
    }
    nc_buf_puts(&b, "\n");
    if (p != NULL && p->has_gw4)
        nc_buf_printf(&b, "defaultrouter=\"%s\"\n", nc_ip_text(&p->gw4, 0, t));
    if (p != NULL && p->has_gw6)
        nc_buf_printf(&b, "ipv6_defaultrouter=\"%s%s%s\"\n",
                      nc_ip_text(&p->gw6, 0, t),
                      nc_ip_is_linklocal6(&p->gw6) ? "%" : "",
                      nc_ip_is_linklocal6(&p->gw6) ? p->ifname : "");
    if (rtsold)
        nc_buf_puts(&b, "rtsold_enable=\"YES\"\n");
    routes(m, MDATA_AF_INET, &b);
    routes(m, MDATA_AF_INET6, &b);
    return nc_files_add(out, "rc.conf.local", 0644, &b);
}
