/* render_json.c: the normalised model as JSON, ASCII only (non-ASCII text
 * is escaped as \uXXXX). */
#include "render.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* jansson steals the references passed to the *_new setters; a NULL value
 * makes the setter fail, which marks the whole document failed. */
typedef struct doc {
    int failed;
} doc_t;

static void set(doc_t *d, json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        d->failed = 1;
}

static void push(doc_t *d, json_t *arr, json_t *v)
{
    if (v == NULL || json_array_append_new(arr, v) != 0)
        d->failed = 1;
}

static json_t *ip(const mdata_ip_t *a, int with_prefix)
{
    char t[MDATA_IP_TEXT_MAX];

    return json_string(nc_ip_text(a, with_prefix, t));
}

static json_t *opt_ip(const mdata_ip_t *a, int has)
{
    return has ? ip(a, 0) : json_null();
}

static json_t *iface(doc_t *d, const nc_iface_t *ifc)
{
    json_t *o = json_object(), *addrs = json_array(), *routes = json_array();
    size_t i;

    if (o == NULL || addrs == NULL || routes == NULL) {
        json_decref(o);
        json_decref(addrs);
        json_decref(routes);
        d->failed = 1;
        return NULL;
    }
    set(d, o, "name", json_string(ifc->name));
    if (ifc->ifname_resolved)
        set(d, o, "ifname", json_string(ifc->ifname));
    set(d, o, "mac", json_string(ifc->mac));
    set(d, o, "primary", json_boolean(ifc->primary));
    set(d, o, "mtu", ifc->mtu ? json_integer(ifc->mtu) : json_null());
    set(d, o, "dhcp4", json_boolean(ifc->dhcp4));
    set(d, o, "ipv6_auto", json_boolean(ifc->ipv6_auto));
    set(d, o, "optional", json_boolean(ifc->optional));
    for (i = 0; i < ifc->naddr; i++)
        push(d, addrs, ip(&ifc->addr[i], 1));
    set(d, o, "addresses", addrs);
    set(d, o, "gateway4", opt_ip(&ifc->gw4, ifc->has_gw4));
    set(d, o, "gateway6", opt_ip(&ifc->gw6, ifc->has_gw6));
    for (i = 0; i < ifc->nroute; i++) {
        const nc_route_t *r = &ifc->route[i];
        json_t *ro = json_object();

        if (ro != NULL) {
            set(d, ro, "to", ip(&r->dst, 1));
            if (r->onlink)
                set(d, ro, "scope", json_string("link"));
            else
                set(d, ro, "via", ip(&r->via, 0));
        }
        push(d, routes, ro);
    }
    set(d, o, "routes", routes);
    return o;
}

int nc_render_json(const nc_model_t *m, nc_files_t *out)
{
    json_t *root = json_object(), *ifs = json_array(), *dns = json_array();
    json_t *search = json_array(), *warn = json_array();
    doc_t d = {0};
    nc_buf_t b;
    char *text = NULL;
    size_t i;

    if (root == NULL || ifs == NULL || dns == NULL || search == NULL ||
        warn == NULL) {
        json_decref(root);
        json_decref(ifs);
        json_decref(dns);
        json_decref(search);
        json_decref(warn);
        return MDATA_ENOMEM;
    }
    set(&d, root, "hostname",
        m->hostname[0] ? json_string(m->hostname) : json_null());
    set(&d, root, "dns_domain",
        m->domain[0] ? json_string(m->domain) : json_null());
    for (i = 0; i < m->ndns; i++)
        push(&d, dns, ip(&m->dns[i], 0));
    set(&d, root, "nameservers", dns);
    if (m->domain[0] != '\0')
        push(&d, search, json_string(m->domain));
    set(&d, root, "search", search);
    set(&d, root, "dns_interface",
        nc_model_dns_iface(m) ? json_string(nc_model_dns_iface(m)->name)
                              : json_null());
    for (i = 0; i < m->niface; i++)
        push(&d, ifs, iface(&d, &m->iface[i]));
    set(&d, root, "interfaces", ifs);
    for (i = 0; i < m->nwarn; i++)
        push(&d, warn, json_string(m->warn[i]));
    set(&d, root, "warnings", warn);
    if (!d.failed)
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                    JSON_ENSURE_ASCII);
    json_decref(root);
    if (text == NULL)
        return MDATA_ENOMEM;
    nc_buf_init(&b);
    nc_buf_puts(&b, text);
    nc_buf_puts(&b, "\n");
    free(text);
    return nc_files_add(out, "network.json", 0644, &b);
}
