/* model.c: build the normalised network model from libmdata's parsed
 * sdc:nics, sdc:routes and sdc:resolvers (rules in model.h). */
#include "model.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nc_ip_text(const mdata_ip_t *ip, int with_prefix, char *buf)
{
    if (mdata_ip_format(ip, with_prefix, buf, MDATA_IP_TEXT_MAX) < 0)
        snprintf(buf, MDATA_IP_TEXT_MAX, "?");
    return buf;
}

int nc_ip_in_net(const mdata_ip_t *net, const mdata_ip_t *addr)
{
    unsigned int bits, i;

    if (net->family != addr->family ||
        (net->family != MDATA_AF_INET && net->family != MDATA_AF_INET6))
        return 0;
    bits = net->prefix;
    for (i = 0; bits > 0; i++) {
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

        if ((net->addr[i] & mask) != (addr->addr[i] & mask))
            return 0;
        bits = bits >= 8 ? bits - 8 : 0;
    }
    return 1;
}

int nc_ip_is_linklocal6(const mdata_ip_t *ip)
{
    return ip->family == MDATA_AF_INET6 && ip->addr[0] == 0xfe &&
           (ip->addr[1] & 0xc0) == 0x80;
}

size_t nc_iface_count_family(const nc_iface_t *ifc, int family)
{
    size_t i, n = 0;

    for (i = 0; i < ifc->naddr; i++)
        if (ifc->addr[i].family == family)
            n++;
    return n;
}

const nc_iface_t *nc_model_primary(const nc_model_t *m)
{
    size_t i;

    for (i = 0; i < m->niface; i++)
        if (m->iface[i].primary)
            return &m->iface[i];
    return NULL;
}

const nc_iface_t *nc_model_dns_iface(const nc_model_t *m)
{
    if (m->dns_iface < 0 || (size_t)m->dns_iface >= m->niface)
        return NULL;
    return &m->iface[m->dns_iface];
}

int nc_ifname_valid(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n >= NC_IFNAME_MAX || name[0] == '.' || name[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!(isascii(c) && (isalnum(c) || c == '_' || c == '.' || c == '-')))
            return 0;
    }
    return 1;
}

/* A name as it compares: lower case, '.' and '-' as '_'. */
static void fold(const char *name, char out[NC_IFNAME_MAX])
{
    size_t i;

    for (i = 0; i + 1 < NC_IFNAME_MAX && name[i] != '\0'; i++) {
        char c = (char)tolower((unsigned char)name[i]);

        out[i] = c == '.' || c == '-' ? '_' : c;
    }
    out[i] = '\0';
}

int nc_ifname_same(const char *a, const char *b)
{
    char fa[NC_IFNAME_MAX], fb[NC_IFNAME_MAX];

    fold(a, fa);
    fold(b, fb);
    return strcmp(fa, fb) == 0;
}

/* 1 when folded ends with _<word>, followed by digits when digits. */
static int has_suffix(const char *folded, const char *word, int digits)
{
    size_t n = strlen(folded), w = strlen(word), end = n;

    if (digits)
        while (end > 0 && isdigit((unsigned char)folded[end - 1]))
            end--;
    return end > w + 1 && folded[end - w - 1] == '_' &&
           memcmp(folded + end - w, word, w) == 0;
}

int nc_ifname_reserved(const char *name)
{
    static const char *const names[] = {"lo", "lo0", "all", "default",
                                        "bonding_masters", NULL};
    char f[NC_IFNAME_MAX];
    size_t i;

    fold(name, f);
    for (i = 0; names[i] != NULL; i++)
        if (strcmp(f, names[i]) == 0)
            return 1;
    /* ifconfig_<name> must not read as another interface's variable. */
    return has_suffix(f, "ipv6", 0) || has_suffix(f, "alias", 1) ||
           has_suffix(f, "aliases", 0) || has_suffix(f, "name", 0) ||
           has_suffix(f, "descr", 0);
}

int nc_hostname_valid(const char *name)
{
    size_t i, n = strlen(name), label = 0;

    if (n == 0 || n >= NC_HOSTNAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c == '.') {
            if (label == 0 || name[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!(isascii(c) && (isalnum(c) || c == '-')))
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && name[n - 1] != '-';
}

int nc_model_warn(nc_model_t *m, const char *fmt, ...)
{
    va_list ap;
    char **w;
    char *text;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MDATA_EINVAL;
    text = malloc((size_t)n + 1);
    if (text == NULL)
        return MDATA_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w = realloc(m->warn, (m->nwarn + 1) * sizeof(*w));
    if (w == NULL) {
        free(text);
        return MDATA_ENOMEM;
    }
    m->warn = w;
    m->warn[m->nwarn++] = text;
    return 0;
}

void nc_model_free(nc_model_t *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->niface; i++)
        free(m->iface[i].route);
    for (i = 0; i < m->nwarn; i++)
        free(m->warn[i]);
    free(m->warn);
    free(m);
}

/* Building state: the model plus, per interface, the nic it came from and
 * that nic's index in sdc:nics. */
typedef struct build {
    nc_model_t *m;
    const mdata_nic_t *src[MDATA_NICS_MAX];
    size_t index[MDATA_NICS_MAX];
    int oom;
} build_t;

#define WARN(b, ...)                                                          \
    do {                                                                      \
        if (nc_model_warn((b)->m, __VA_ARGS__) != 0)                          \
            (b)->oom = 1;                                                     \
    } while (0)

static const char *family_name(int family)
{
    return family == MDATA_AF_INET6 ? "IPv6" : "IPv4";
}

/* One nic -> one interface (or none, for a repeated MAC). */
static void add_nic(build_t *b, const mdata_nic_t *nic, size_t index)
{
    nc_model_t *m = b->m;
    nc_iface_t *ifc;
    uint8_t mac[6];
    size_t i;

    mdata_nic_mac(nic, mac);
    for (i = 0; i < m->niface; i++) {
        if (memcmp(m->iface[i].macb, mac, 6) == 0) {
            WARN(b, "nic %zu (%s) repeats the MAC of nic %zu; ignored",
                 index, mdata_nic_mac_text(nic), b->index[i]);
            return;
        }
    }
    ifc = &m->iface[m->niface];
    memset(ifc, 0, sizeof(*ifc));
    memcpy(ifc->macb, mac, 6);
    snprintf(ifc->mac, sizeof(ifc->mac), "%s", mdata_nic_mac_text(nic));
    /* The name is chosen once every nic is in (name_ifaces). */
    ifc->mtu = mdata_nic_mtu(nic);
    for (i = 0; i < mdata_nic_ip_count(nic); i++) {
        const mdata_ip_t *ip = mdata_nic_ip_at(nic, i);

        if (ip->family == MDATA_AF_DHCP)
            ifc->dhcp4 = 1;
        else if (ip->family == MDATA_AF_ADDRCONF)
            ifc->ipv6_auto = 1;
        else if (ifc->naddr < MDATA_NIC_IPS_MAX)
            ifc->addr[ifc->naddr++] = *ip;
    }
    b->src[m->niface] = nic;
    b->index[m->niface] = index;
    m->niface++;
}

/* The interface other than self whose name is the same as name, or
 * NULL. */
static const nc_iface_t *name_taken(const nc_model_t *m,
                                    const nc_iface_t *self, const char *name)
{
    size_t i;

    for (i = 0; i < m->niface; i++)
        if (&m->iface[i] != self && m->iface[i].name[0] != '\0' &&
            nc_ifname_same(m->iface[i].name, name))
            return &m->iface[i];
    return NULL;
}

/*
 * Names unique by construction. First every nic whose interface name is
 * valid, not reserved and not the same as an earlier nic's keeps it; then
 * each other nic takes the first net<N>, N from its index up, that no nic
 * has. A fallback therefore never takes a name that a nic keeps.
 */
static void name_ifaces(build_t *b)
{
    nc_model_t *m = b->m;
    size_t i, k;

    for (i = 0; i < m->niface; i++) {
        const char *given = mdata_nic_interface(b->src[i]);

        if (given != NULL && nc_ifname_valid(given) &&
            !nc_ifname_reserved(given) && name_taken(m, NULL, given) == NULL)
            snprintf(m->iface[i].name, sizeof(m->iface[i].name), "%s",
                     given);
    }
    for (i = 0; i < m->niface; i++) {
        nc_iface_t *ifc = &m->iface[i];
        const char *given = mdata_nic_interface(b->src[i]);
        char cand[NC_IFNAME_MAX];

        if (ifc->name[0] == '\0') {
            /* At most niface names are taken: one of these is free. */
            for (k = b->index[i]; k <= b->index[i] + m->niface; k++) {
                snprintf(cand, sizeof(cand), "net%u", (unsigned int)k);
                if (name_taken(m, ifc, cand) == NULL)
                    break;
            }
            memcpy(ifc->name, cand, sizeof(ifc->name));
            if (given == NULL)
                WARN(b, "nic %s has no interface name; calling it %s",
                     ifc->mac, ifc->name);
            else if (!nc_ifname_valid(given))
                WARN(b, "nic %s has an unusable interface name; calling it "
                     "%s", ifc->mac, ifc->name);
            else if (nc_ifname_reserved(given))
                WARN(b, "nic %s has the reserved interface name %s; calling "
                     "it %s", ifc->mac, given, ifc->name);
            else
                WARN(b, "nic %s: interface name %s is taken by nic %s; "
                     "calling it %s", ifc->mac, given,
                     name_taken(m, ifc, given)->mac, ifc->name);
        }
        memcpy(ifc->ifname, ifc->name, sizeof(ifc->ifname));
        if (ifc->naddr == 0 && !ifc->dhcp4 && !ifc->ipv6_auto)
            WARN(b, "nic %s (%s) has no addresses; it is only brought up",
                 ifc->name, ifc->mac);
    }
}

/* Index of the interface built from nic, or -1. */
static int iface_of(const build_t *b, const mdata_nic_t *nic)
{
    size_t i;

    for (i = 0; i < b->m->niface; i++)
        if (b->src[i] == nic)
            return (int)i;
    return -1;
}

/* Choose the primary interface; -1 when there is none. */
static int pick_primary(build_t *b)
{
    nc_model_t *m = b->m;
    int first = -1;
    size_t i;

    for (i = 0; i < m->niface; i++) {
        if (!mdata_nic_is_primary(b->src[i]))
            continue;
        if (first < 0) {
            first = (int)i;
        } else {
            WARN(b, "nics %s and %s are both marked primary; using %s",
                 m->iface[first].name, m->iface[i].name,
                 m->iface[first].name);
        }
    }
    if (first < 0 && m->niface == 1) {
        WARN(b, "no nic is marked primary; using the only nic, %s",
             m->iface[0].name);
        first = 0;
    } else if (first < 0 && m->niface > 1) {
        WARN(b, "no nic is marked primary; no default gateway is set");
    }
    if (first >= 0)
        m->iface[first].primary = 1;
    return first;
}

/* The default gateway of one family from the primary nic. */
static void set_gateway(build_t *b, nc_iface_t *ifc, const mdata_nic_t *nic,
                        int family)
{
    char gtext[MDATA_IP_TEXT_MAX];
    const mdata_ip_t *gw = NULL;
    size_t i, nfam;

    for (i = 0; i < mdata_nic_gateway_count(nic); i++) {
        const mdata_ip_t *g = mdata_nic_gateway_at(nic, i);

        if (g->family == family) {
            gw = g;
            break;
        }
    }
    if (gw == NULL)
        return;
    nc_ip_text(gw, 0, gtext);
    nfam = nc_iface_count_family(ifc, family);
    if (nfam == 0) {
        WARN(b, "gateway %s of %s ignored: the nic has no static %s address",
             gtext, ifc->name, family_name(family));
        return;
    }
    for (i = 0; i < ifc->naddr; i++) {
        /* An IPv6 router is often known by its link-local address. */
        if (nc_ip_in_net(&ifc->addr[i], gw) || nc_ip_is_linklocal6(gw)) {
            if (family == MDATA_AF_INET) {
                ifc->gw4 = *gw;
                ifc->has_gw4 = 1;
            } else {
                ifc->gw6 = *gw;
                ifc->has_gw6 = 1;
            }
            return;
        }
    }
    WARN(b, "gateway %s of %s ignored: it is on none of the nic's networks",
         gtext, ifc->name);
}

static int same_route_dst(const nc_model_t *m, const mdata_ip_t *dst)
{
    size_t i, k;

    for (i = 0; i < m->niface; i++)
        for (k = 0; k < m->iface[i].nroute; k++)
            if (mdata_ip_equal(&m->iface[i].route[k].dst, dst))
                return 1;
    return 0;
}

static void push_route(build_t *b, nc_iface_t *ifc, const nc_route_t *r)
{
    nc_route_t *p = realloc(ifc->route, (ifc->nroute + 1) * sizeof(*p));

    if (p == NULL) {
        b->oom = 1;
        return;
    }
    ifc->route = p;
    ifc->route[ifc->nroute++] = *r;
}

/* Network of dst in canonical form: host bits cleared. */
static void clear_host_bits(mdata_ip_t *ip)
{
    unsigned int bits = ip->prefix, i;
    unsigned int n = ip->family == MDATA_AF_INET ? 4 : 16;

    for (i = 0; i < n; i++) {
        if (bits >= 8) {
            bits -= 8;
        } else {
            ip->addr[i] &= (uint8_t)(0xff << (8 - bits));
            bits = 0;
        }
    }
}

static void add_route(build_t *b, const mdata_nic_list_t *nics,
                      const mdata_route_t *rt)
{
    nc_model_t *m = b->m;
    const mdata_ip_t *dst = mdata_route_dst(rt);
    const mdata_ip_t *gw = mdata_route_gateway(rt);
    char dtext[MDATA_IP_TEXT_MAX], gtext[MDATA_IP_TEXT_MAX];
    nc_route_t r;
    int idx = -1;
    size_t i, k;

    nc_ip_text(dst, 1, dtext);
    nc_ip_text(gw, 0, gtext);
    if (dst->family != gw->family) {
        WARN(b, "route to %s via %s skipped: address families differ", dtext,
             gtext);
        return;
    }
    memset(&r, 0, sizeof(r));
    r.dst = *dst;
    clear_host_bits(&r.dst);
    if (!mdata_ip_equal(&r.dst, dst)) {
        char ntext[MDATA_IP_TEXT_MAX];

        WARN(b, "route destination %s has host bits set; using %s", dtext,
             nc_ip_text(&r.dst, 1, ntext));
        nc_ip_text(&r.dst, 1, dtext);
    }
    r.via = *gw;
    /* One default route per family, from the primary nic's gateways (as
     * cloud-init's SmartOS datasource takes it): a second one here would
     * compete with it, or replace it. */
    if (r.dst.prefix == 0) {
        WARN(b, "default route via %s in sdc:routes ignored: the default "
             "route is the primary nic's gateway", gtext);
        return;
    }
    if (mdata_route_is_linklocal(rt)) {
        idx = iface_of(b, mdata_nic_list_find_address(nics, gw));
        if (idx < 0) {
            WARN(b, "link-local route to %s skipped: %s is not an address of "
                 "any nic", dtext, gtext);
            return;
        }
        r.onlink = 1;
    } else {
        for (i = 0; i < m->niface && idx < 0; i++)
            for (k = 0; k < m->iface[i].naddr; k++)
                if (nc_ip_in_net(&m->iface[i].addr[k], gw)) {
                    idx = (int)i;
                    break;
                }
        if (idx >= 0 &&
            mdata_nic_list_find_address(nics, gw) == b->src[idx]) {
            WARN(b, "route to %s: gateway %s is the VM's own address; "
                 "made an on-link route", dtext, gtext);
            r.onlink = 1;
        }
        if (idx < 0) {
            WARN(b, "route to %s skipped: gateway %s is on no nic's network",
                 dtext, gtext);
            return;
        }
    }
    if (same_route_dst(m, &r.dst)) {
        WARN(b, "route to %s repeated; the later one is skipped", dtext);
        return;
    }
    push_route(b, &m->iface[idx], &r);
}

static void add_dns(build_t *b, const nc_input_t *in)
{
    nc_model_t *m = b->m;
    size_t i, k;

    for (i = 0; i < mdata_resolver_list_count(in->resolvers); i++) {
        const mdata_ip_t *ip = mdata_resolver_list_at(in->resolvers, i);
        int dup = 0;

        for (k = 0; k < m->ndns; k++)
            dup |= mdata_ip_equal(&m->dns[k], ip);
        if (dup) {
            char t[MDATA_IP_TEXT_MAX];

            WARN(b, "resolver %s repeated; listed once", nc_ip_text(ip, 0, t));
            continue;
        }
        if (m->ndns < MDATA_RESOLVERS_MAX)
            m->dns[m->ndns++] = *ip;
    }
    if (in->domain != NULL) {
        if (nc_hostname_valid(in->domain))
            snprintf(m->domain, sizeof(m->domain), "%s", in->domain);
        else
            WARN(b, "sdc:dns_domain is not a valid domain name; ignored");
    }
    if (in->hostname != NULL) {
        if (nc_hostname_valid(in->hostname))
            snprintf(m->hostname, sizeof(m->hostname), "%s", in->hostname);
        else
            WARN(b, "sdc:hostname is not a valid host name; ignored");
    }
}

int nc_model_build(const nc_input_t *in, nc_model_t **out)
{
    build_t b;
    size_t i;
    int primary;

    if (in == NULL || out == NULL)
        return MDATA_EINVAL;
    *out = NULL;
    memset(&b, 0, sizeof(b));
    b.m = calloc(1, sizeof(*b.m));
    if (b.m == NULL)
        return MDATA_ENOMEM;
    b.m->dns_iface = -1;

    for (i = 0; i < mdata_nic_list_count(in->nics); i++)
        add_nic(&b, mdata_nic_list_at(in->nics, i), i);
    if (b.m->niface == 0)
        WARN(&b, "sdc:nics lists no nic");
    name_ifaces(&b);

    primary = pick_primary(&b);
    if (primary >= 0) {
        set_gateway(&b, &b.m->iface[primary], b.src[primary], MDATA_AF_INET);
        set_gateway(&b, &b.m->iface[primary], b.src[primary], MDATA_AF_INET6);
        b.m->dns_iface = primary;
    } else if (b.m->niface > 0) {
        b.m->dns_iface = 0;
    }

    for (i = 0; i < b.m->niface; i++) {
        nc_iface_t *ifc = &b.m->iface[i];

        ifc->optional = !ifc->primary && (ifc->dhcp4 || ifc->ipv6_auto);
    }

    for (i = 0; i < mdata_route_list_count(in->routes); i++)
        add_route(&b, in->nics, mdata_route_list_at(in->routes, i));

    add_dns(&b, in);

    if (b.oom) {
        nc_model_free(b.m);
        return MDATA_ENOMEM;
    }
    *out = b.m;
    return 0;
}
