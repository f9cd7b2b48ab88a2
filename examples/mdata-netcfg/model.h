/*
 * model.h: the normalised network model of mdata-netcfg.
 *
 * Layers: fetch (fetch.c, input_file.c) gives the raw values of the five
 * keys -> input.c parses them with libmdata's typed parsers -> model.c
 * builds this model -> one renderer per output format (render_*.c). The
 * model depends on no output format; every renderer is a pure function of
 * it.
 *
 * Rules (see doc/mdata-netcfg.8):
 *  - one interface per nic of sdc:nics, identified by its MAC;
 *  - names unique by construction: a nic keeps its interface name when it
 *    is valid, not reserved and not the same (nc_ifname_same) as an
 *    earlier nic's; else it gets the first free net<N>, N >= its index
 *    (never a name another nic keeps);
 *  - static addresses keep their prefix; "dhcp" sets dhcp4, "addrconf"
 *    sets ipv6_auto (SLAAC, DHCPv6 when the router asks for it);
 *  - one default route per family, only from the primary nic: the first
 *    gateway of each family, kept when that nic has a static address of
 *    the family whose network holds the gateway (or, for IPv6, any static
 *    address when the gateway is link-local, fe80::/10). A default route
 *    (prefix 0) of sdc:routes is ignored with a warning, and a non-primary
 *    nic's DHCP lease never takes the default route (cloud-init's SmartOS
 *    datasource also takes only the primary nic's first gateway);
 *  - a route of sdc:routes is attached to the interface that reaches its
 *    gateway: for a link-local route the nic owning the gateway address
 *    (on-link route, no gateway), else the nic with a static network
 *    holding the gateway;
 *  - a non-primary nic configured by DHCP or router advertisements is
 *    optional: not waited for by network-online.target (bhyve serves no
 *    DHCP);
 *  - resolvers and dns_domain become DNS servers and the search domain,
 *    attached to the primary interface (dns_iface);
 *  - odd data gives warnings (the model's warn list), never a failure.
 */
#ifndef NC_MODEL_H
#define NC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "mdata.h"

#define NC_IFNAME_MAX 16 /* IFNAMSIZ */
#define NC_MAC_TEXT 18
#define NC_HOSTNAME_MAX 254

typedef struct nc_route {
    mdata_ip_t dst;  /* destination with prefix */
    mdata_ip_t via;  /* gateway; unused when onlink */
    int onlink;      /* 1: route straight out of the interface (linklocal) */
} nc_route_t;

typedef struct nc_iface {
    char name[NC_IFNAME_MAX];   /* SmartOS name ("net0"): file names, ids */
    char ifname[NC_IFNAME_MAX]; /* kernel name; equals name until resolved */
    int ifname_resolved;        /* 1 when ifname came from the system */
    int absent;                 /* the system was searched and has no
                                   usable interface for this MAC: the
                                   formats naming interfaces leave it out */
    char mac[NC_MAC_TEXT];      /* lower-case aa:bb:cc:dd:ee:ff */
    uint8_t macb[6];
    int primary;
    unsigned int mtu;           /* 0: not set */
    int dhcp4;                  /* "dhcp" among ips */
    int ipv6_auto;              /* "addrconf" among ips */
    int optional;               /* not required for "online": a non-primary
                                   nic configured by DHCP or RAs */
    size_t naddr;               /* static addresses, document order */
    mdata_ip_t addr[MDATA_NIC_IPS_MAX];
    int has_gw4, has_gw6;       /* default gateways (primary nic only) */
    mdata_ip_t gw4, gw6;
    size_t nroute;
    nc_route_t *route;          /* routes of sdc:routes through this nic */
} nc_iface_t;

typedef struct nc_model {
    size_t niface;
    nc_iface_t iface[MDATA_NICS_MAX];
    int dns_iface;              /* index of the interface carrying DNS, -1 */
    size_t ndns;
    mdata_ip_t dns[MDATA_RESOLVERS_MAX];
    char hostname[NC_HOSTNAME_MAX]; /* "" when absent */
    char domain[NC_HOSTNAME_MAX];   /* search domain, "" when absent */
    size_t nwarn;
    char **warn;                /* warnings, in the order they arose */
} nc_model_t;

/* Parsed inputs; routes, resolvers, hostname and domain may be NULL. */
typedef struct nc_input {
    const mdata_nic_list_t *nics;
    const mdata_route_list_t *routes;
    const mdata_resolver_list_t *resolvers;
    const char *hostname;
    const char *domain;
} nc_input_t;

/* Build the model. Returns 0 or MDATA_ENOMEM / MDATA_EINVAL. *out is owned
 * (nc_model_free). Odd data never fails: it adds warnings. */
int nc_model_build(const nc_input_t *in, nc_model_t **out);
void nc_model_free(nc_model_t *m);

/* Append a warning (printf style). Returns 0 or MDATA_ENOMEM. */
int nc_model_warn(nc_model_t *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Text of an address: with_prefix as mdata_ip_format. Never fails for the
 * addresses a model holds; buf must hold MDATA_IP_TEXT_MAX bytes. */
const char *nc_ip_text(const mdata_ip_t *ip, int with_prefix, char *buf);

/* 1 when net (an address with prefix) contains addr, same family. */
int nc_ip_in_net(const mdata_ip_t *net, const mdata_ip_t *addr);

/* 1 for an IPv6 link-local address (fe80::/10). */
int nc_ip_is_linklocal6(const mdata_ip_t *ip);

/* The primary interface, or NULL. */
const nc_iface_t *nc_model_primary(const nc_model_t *m);

/* The interface carrying DNS, or NULL. */
const nc_iface_t *nc_model_dns_iface(const nc_model_t *m);

/* Counts of static addresses of a family (MDATA_AF_INET / _INET6). */
size_t nc_iface_count_family(const nc_iface_t *ifc, int family);

/* Safe names: [A-Za-z0-9_.-], 1..15 chars, not starting with '.' or '-'. */
int nc_ifname_valid(const char *name);
/* 1 when two interface names would name the same thing somewhere: equal
 * ignoring case, with '.' and '-' equal to '_' (FreeBSD's rc.conf
 * variables, case-insensitive file systems). */
int nc_ifname_same(const char *a, const char *b);
/* 1 for a name no nic may have: the loopback (lo, lo0), the
 * /proc/sys/net/ipv{4,6}/conf entries all and default, sysfs'
 * bonding_masters, and names whose rc.conf variable would be another
 * interface's setting (ifconfig_DEFAULT, <if>_ipv6, <if>_aliasN,
 * <if>_aliases, <if>_name, <if>_descr). Compared as nc_ifname_same. */
int nc_ifname_reserved(const char *name);
/* RFC 1123 host name (labels of letters, digits, '-'; dots between). */
int nc_hostname_valid(const char *name);

#endif
