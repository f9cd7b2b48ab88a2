/* render_nm.c: NetworkManager keyfiles (nm-settings-keyfile(5)), one per
 * nic, bound to the nic by MAC. The connection UUID is derived from the
 * MAC, so rendering twice gives the same file. */
#include "render.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A stable UUID (RFC 9562 version 8, "custom") from the MAC. */
static void mac_uuid(const nc_iface_t *ifc, char out[37])
{
    static const char salt[] = "mdata-netcfg nm connection";
    uint8_t u[16];
    uint32_t h = 0;
    int i;

    for (i = 0; i < 4; i++) {
        uint8_t round = (uint8_t)i;

        h = mdata_crc32(h, salt, sizeof(salt) - 1);
        h = mdata_crc32(h, ifc->macb, 6);
        h = mdata_crc32(h, &round, 1);
        u[4 * i] = (uint8_t)(h >> 24);
        u[4 * i + 1] = (uint8_t)(h >> 16);
        u[4 * i + 2] = (uint8_t)(h >> 8);
        u[4 * i + 3] = (uint8_t)h;
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x80);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void family(const nc_model_t *m, const nc_iface_t *ifc, int fam,
                   nc_buf_t *b)
{
    char t[MDATA_IP_TEXT_MAX], g[MDATA_IP_TEXT_MAX];
    int is6 = fam == MDATA_AF_INET6, n = 0;
    int autoconf = is6 ? ifc->ipv6_auto : ifc->dhcp4;
    size_t nstatic = nc_iface_count_family(ifc, fam), i;
    const char *method;

    if (autoconf)
        method = "auto";
    else if (nstatic > 0)
        method = "manual";
    else
        method = is6 ? "link-local" : "disabled";
    nc_buf_printf(b, "\n[%s]\nmethod=%s\n", is6 ? "ipv6" : "ipv4", method);
    for (i = 0; i < ifc->naddr; i++) {
        if (ifc->addr[i].family != fam)
            continue;
        nc_buf_printf(b, "address%d=%s\n", ++n,
                      nc_ip_text(&ifc->addr[i], 1, t));
    }
    if (!is6 && ifc->has_gw4)
        nc_buf_printf(b, "gateway=%s\n", nc_ip_text(&ifc->gw4, 0, t));
    if (is6 && ifc->has_gw6)
        nc_buf_printf(b, "gateway=%s\n", nc_ip_text(&ifc->gw6, 0, t));
    if (nc_model_dns_iface(m) == ifc) {
        int any = 0;

        for (i = 0; i < m->ndns; i++) {
            if (m->dns[i].family != fam)
                continue;
            nc_buf_puts(b, any ? "" : "dns=");
            nc_buf_printf(b, "%s;", nc_ip_text(&m->dns[i], 0, t));
            any = 1;
        }
        if (any)
            nc_buf_puts(b, "\n");
        if (m->domain[0] != '\0' && !is6)
            nc_buf_printf(b, "dns-search=%s;\n", m->domain);
    }
    n = 0;
    for (i = 0; i < ifc->nroute; i++) {
        const nc_route_t *r = &ifc->route[i];

        if (r->dst.family != fam)
            continue;
        nc_ip_text(&r->dst, 1, t);
        if (r->onlink)
            nc_buf_printf(b, "route%d=%s\n", ++n, t);
        else
            nc_buf_printf(b, "route%d=%s,%s\n", ++n, t,
                          nc_ip_text(&r->via, 0, g));
    }
    if (!is6 && ifc->dhcp4 && !ifc->primary && nc_model_primary(m) != NULL)
        nc_buf_puts(b, "never-default=true\n");
    /* The connection is up once either family is (the IPv6 link-local
     * address takes seconds), so an unanswered DHCP does not hold
     * NetworkManager's startup and network-online.target. */
    if (ifc->optional)
        nc_buf_puts(b, "may-fail=true\n");
}

static void one(const nc_model_t *m, const nc_iface_t *ifc, nc_buf_t *b)
{
    char uuid[37], mac[NC_MAC_TEXT];
    size_t i;

    for (i = 0; i < sizeof(mac); i++)
        mac[i] = (char)toupper((unsigned char)ifc->mac[i]);
    mac_uuid(ifc, uuid);
    nc_buf_printf(b, "# %s\n", NC_HEADER);
    nc_buf_printf(b, "[connection]\nid=mdata-%s\nuuid=%s\ntype=ethernet\n"
                  "autoconnect=true\n", ifc->name, uuid);
    nc_buf_printf(b, "\n[ethernet]\nmac-address=%s\n", mac);
    if (ifc->mtu != 0)
        nc_buf_printf(b, "mtu=%u\n", ifc->mtu);
    family(m, ifc, MDATA_AF_INET, b);
    family(m, ifc, MDATA_AF_INET6, b);
}

int nc_render_nm(const nc_model_t *m, nc_files_t *out)
{
    /* NetworkManager ignores keyfiles others can read. */
    return nc_render_per_nic(m, "nm", one, 0600, out);
}
