/* input.c: raw key values -> parsed libmdata objects -> model. */
#include "input.h"

#include <jansson.h>
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
/*
 * jansson spends some hundred bytes on every value, so a 16 MiB file of
 * "{}," would take gigabytes: count values first (every '[', '{' and ','
 * outside strings starts one) and refuse more than the five keys' parsers
 * accept together, plus room for other keys.
 */
#define NC_FILE_VALUES_MAX                                                   \
    (MDATA_NICS_VALUES_MAX + MDATA_ROUTES_VALUES_MAX +                       \
     MDATA_RESOLVERS_VALUES_MAX + 4096)

static size_t count_values(const char *p, size_t len)
{
    size_t i, n = 1;
    int in_string = 0;

    for (i = 0; i < len; i++) {
        if (in_string) {
            if (p[i] == '\\')
                i++;
            else if (p[i] == '"')
                in_string = 0;
        } else if (p[i] == '"') {
            in_string = 1;
        } else if (p[i] == '[' || p[i] == '{' || p[i] == ',') {
            n++;
        }
    }
    return n;
}

int nc_raw_from_json(const char *path, const char *data, size_t len,
                     const char *not_object, nc_raw_t *raw, char *why,
                     size_t cap)
{
    json_error_t jerr;
    json_t *root;
    int k, rc = 0;

    if (count_values(data, len) > NC_FILE_VALUES_MAX) {
        snprintf(why, cap, "%s: more than %d JSON values", path,
                 NC_FILE_VALUES_MAX);
        return MDATA_ERANGE;
    }
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        snprintf(why, cap, "%s: %s", path,
                 root == NULL ? jerr.text : not_object);
        json_decref(root);
        return MDATA_EJSON;
    }
    for (k = 0; k < NC_KEY_COUNT && rc == 0; k++) {
        json_t *v = json_object_get(root, nc_key_names[k]);
        char *text;

        if (v == NULL || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            rc = nc_raw_set(raw, k, json_string_value(v),
                            json_string_length(v));
            continue;
        }
        text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                 JSON_ENCODE_ANY);
        if (text == NULL) {
            rc = MDATA_ENOMEM;
            break;
        }
        rc = nc_raw_set(raw, k, text, strlen(text));
        free(text);
    }
    json_decref(root);
    return rc;
}

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
