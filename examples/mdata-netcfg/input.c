/* input.c: raw key values -> parsed libmdata objects -> model. */
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const nc_key_names[NC_KEY_COUNT] = {
    "sdc:nics", "sdc:routes", "sdc:resolvers", "sdc:hostname",
    "sdc:dns_domain",
};

void nc_raw_init(nc_raw_t *raw)
{
    memset(raw, 0, sizeof(*raw));
}

void nc_raw_free(nc_raw_t *raw)
{
    int k;

    for (k = 0; k < NC_KEY_COUNT; k++)
        free(raw->val[k]);
    nc_raw_init(raw);
}

int nc_raw_set(nc_raw_t *raw, int key, const void *val, size_t len)
{
    char *p;

    if (key < 0 || key >= NC_KEY_COUNT || len == (size_t)-1)
        return MDATA_EINVAL;
    p = malloc(len + 1);
    if (p == NULL)
        return MDATA_ENOMEM;
    if (len > 0)
        memcpy(p, val, len);
    p[len] = '\0';
    free(raw->val[key]);
    raw->val[key] = p;
    raw->len[key] = len;
    return 0;
}

/* A scalar value with surrounding white space removed, copied into out;
 * NULL when absent or empty; "" marks a value holding a NUL byte. */
static const char *scalar(const nc_raw_t *raw, int key, char *out,
                          size_t cap)
{
    const char *v = raw->val[key];
    size_t len = raw->len[key], start = 0;

    if (v == NULL)
        return NULL;
    if (memchr(v, '\0', len) != NULL) {
        out[0] = '\0';
        return out;
    }
    while (start < len && strchr(" \t\r\n", v[start]) != NULL)
        start++;
    while (len > start && strchr(" \t\r\n", v[len - 1]) != NULL)
        len--;
    if (len == start)
        return NULL;
    if (len - start >= cap) {
        out[0] = '\0';
        return out;
    }
    memcpy(out, v + start, len - start);
    out[len - start] = '\0';
    return out;
}

int nc_model_from_raw(const nc_raw_t *raw, nc_model_t **out, char *why,
                      size_t cap)
{
    mdata_nic_list_t *nics = NULL;
    mdata_route_list_t *routes = NULL;
    mdata_resolver_list_t *resolvers = NULL;
    mdata_error_t err, rerr, serr;
    char host[NC_HOSTNAME_MAX + 1], dom[NC_HOSTNAME_MAX + 1];
    nc_input_t in;
    int rc, routes_bad = 0, resolvers_bad = 0;

    *out = NULL;
    if (raw->val[NC_KEY_NICS] == NULL) {
        snprintf(why, cap, "sdc:nics is not set: nothing to configure");
        return MDATA_ENOTFOUND;
    }
    memset(&err, 0, sizeof(err));
    rc = mdata_nics_parse(raw->val[NC_KEY_NICS], raw->len[NC_KEY_NICS],
                          &nics, &err);
    if (rc != 0) {
        snprintf(why, cap, "sdc:nics: %s", err.text[0] ? err.text
                                                        : mdata_strerror(rc));
        return rc;
    }
    memset(&rerr, 0, sizeof(rerr));
    if (raw->val[NC_KEY_ROUTES] != NULL &&
        mdata_routes_parse(raw->val[NC_KEY_ROUTES], raw->len[NC_KEY_ROUTES],
                           &routes, &rerr) != 0)
        routes_bad = 1;
    memset(&serr, 0, sizeof(serr));
    if (raw->val[NC_KEY_RESOLVERS] != NULL &&
        mdata_resolvers_parse(raw->val[NC_KEY_RESOLVERS],
                              raw->len[NC_KEY_RESOLVERS], &resolvers,
                              &serr) != 0)
        resolvers_bad = 1;

    memset(&in, 0, sizeof(in));
    in.nics = nics;
    in.routes = routes;
    in.resolvers = resolvers;
    in.hostname = scalar(raw, NC_KEY_HOSTNAME, host, sizeof(host));
    in.domain = scalar(raw, NC_KEY_DNS_DOMAIN, dom, sizeof(dom));
    rc = nc_model_build(&in, out);
    if (rc == 0 && routes_bad)
        rc = nc_model_warn(*out, "sdc:routes ignored: %s", rerr.text);
    if (rc == 0 && resolvers_bad)
        rc = nc_model_warn(*out, "sdc:resolvers ignored: %s", serr.text);
    if (rc != 0) {
        nc_model_free(*out);
        *out = NULL;
        snprintf(why, cap, "%s", mdata_strerror(rc));
    }
    mdata_nic_list_free(nics);
    mdata_route_list_free(routes);
    mdata_resolver_list_free(resolvers);
    return rc;
}
