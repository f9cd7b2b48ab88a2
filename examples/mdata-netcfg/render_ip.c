/* render_ip.c: a POSIX shell script of ip(8) commands. Every command
 * replaces, so the script may run again; a failing command is reported
 * and the script goes on, exiting 1 at the end. DNS is not its business:
 * see the resolv format. */
#include "render.h"

#include <stdio.h>

static const char prologue[] =
    "set -u\n"
    "rc=0\n"
    "run() {\n"
    "    \"$@\" || { echo \"mdata-netcfg: failed: $*\" >&2; rc=1; }\n"
    "}\n"
    "dhcp4() {\n"
    "    # $2: metric of the lease's default route, behind the primary's\n"
    "    if command -v dhclient >/dev/null 2>&1; then\n"
    "        if [ -n \"${2:-}\" ]; then\n"
    "            run dhclient -4 -nw -e \"IF_METRIC=$2\" \"$1\"\n"
    "        else\n"
    "            run dhclient -4 -nw \"$1\"\n"
    "        fi\n"
    "    elif command -v udhcpc >/dev/null 2>&1; then\n"
    "        run udhcpc -b -i \"$1\"\n"
    "    else\n"
    "        echo \"mdata-netcfg: no DHCP client for $1\" >&2; rc=1\n"
    "    fi\n"
    "}\n"
    "ipv6_ra() {\n"
    "    if [ -d \"/proc/sys/net/ipv6/conf/$1\" ]; then\n"
    "        echo \"$2\" >\"/proc/sys/net/ipv6/conf/$1/accept_ra\"\n"
    "        echo \"$3\" >\"/proc/sys/net/ipv6/conf/$1/autoconf\"\n"
    "    fi\n"
    "}\n"
    "set_hostname() {\n"
    "    if command -v hostname >/dev/null 2>&1; then\n"
    "        run hostname \"$1\"\n"
    "    else\n"
    "        echo \"$1\" >/proc/sys/kernel/hostname || rc=1\n"
    "    fi\n"
    "}\n";

static void link_up(const nc_model_t *m, const nc_iface_t *ifc, nc_buf_t *b)
{
    char t[MDATA_IP_TEXT_MAX];
    size_t i;

    nc_buf_printf(b, "\n# SmartOS nic %s%s, MAC %s\n", ifc->name,
                  ifc->primary ? " (primary)" : "", ifc->mac);
    if (ifc->mtu != 0) {
        nc_buf_puts(b, "run ip link set dev ");
        nc_sh_quote(b, ifc->ifname);
        nc_buf_printf(b, " mtu %u\n", ifc->mtu);
    }
    nc_buf_puts(b, "ipv6_ra ");
    nc_sh_quote(b, ifc->ifname);
    nc_buf_puts(b, ifc->ipv6_auto ? " 2 1\n" : " 0 0\n");
    nc_buf_puts(b, "run ip link set dev ");
    nc_sh_quote(b, ifc->ifname);
    nc_buf_puts(b, " up\n");
    for (i = 0; i < ifc->naddr; i++) {
        nc_buf_printf(b, "run ip %saddr replace %s dev ",
                      ifc->addr[i].family == MDATA_AF_INET6 ? "-6 " : "",
                      nc_ip_text(&ifc->addr[i], 1, t));
        nc_sh_quote(b, ifc->ifname);
        nc_buf_puts(b, "\n");
    }
    if (ifc->dhcp4) {
        nc_buf_puts(b, "dhcp4 ");
        nc_sh_quote(b, ifc->ifname);
        nc_buf_puts(b, !ifc->primary && nc_model_primary(m) != NULL
                           ? " " NC_DHCP_SECONDARY_METRIC "\n"
                           : "\n");
    }
}

static void route(const nc_iface_t *ifc, const char *dst, const char *via,
                  int is6, nc_buf_t *b)
{
    nc_buf_printf(b, "run ip %sroute replace %s ", is6 ? "-6 " : "", dst);
    if (via != NULL)
        nc_buf_printf(b, "via %s ", via);
    nc_buf_puts(b, "dev ");
    nc_sh_quote(b, ifc->ifname);
    /* IPv6 has no route scopes: a route without gateway is on-link. */
    nc_buf_puts(b, via == NULL && !is6 ? " scope link\n" : "\n");
}

int nc_render_ip(const nc_model_t *m, nc_files_t *out)
{
    char t[MDATA_IP_TEXT_MAX], g[MDATA_IP_TEXT_MAX];
    nc_buf_t b;
    size_t i, k;

    nc_buf_init(&b);
    nc_buf_printf(&b, "#!/bin/sh\n# %s\n", NC_HEADER);
    nc_buf_puts(&b, prologue);
    /* An absent nic (ifname.c) has no interface of its own here. */
    for (i = 0; i < m->niface; i++)
        if (!m->iface[i].absent)
            link_up(m, &m->iface[i], &b);
    nc_buf_puts(&b, "\n# Routes\n");
    for (i = 0; i < m->niface; i++) {
        const nc_iface_t *ifc = &m->iface[i];

        if (ifc->absent)
            continue;
        if (ifc->has_gw4)
            route(ifc, "default", nc_ip_text(&ifc->gw4, 0, g), 0, &b);
        if (ifc->has_gw6)
            route(ifc, "default", nc_ip_text(&ifc->gw6, 0, g), 1, &b);
    }
    for (i = 0; i < m->niface; i++) {
        const nc_iface_t *ifc = &m->iface[i];

        for (k = 0; k < ifc->nroute && !ifc->absent; k++) {
            const nc_route_t *r = &ifc->route[k];

            route(ifc, nc_ip_text(&r->dst, 1, t),
                  r->onlink ? NULL : nc_ip_text(&r->via, 0, g),
                  r->dst.family == MDATA_AF_INET6, &b);
        }
    }
    if (m->hostname[0] != '\0') {
        nc_buf_puts(&b, "\nset_hostname ");
        nc_sh_quote(&b, m->hostname);
        nc_buf_puts(&b, "\n");
    }
    nc_buf_puts(&b, "exit $rc\n");
    return nc_files_add(out, "mdata-network.sh", 0755, &b);
}
