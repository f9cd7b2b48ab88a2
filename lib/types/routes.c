/*
 * sdc:routes and sdc:resolvers: flat lists of fixed-size entries, each
 * list one heap block (so _dup is a copy and _free one free).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/types.h"

struct mdata_route {
    mdata_ip_t dst;
    mdata_ip_t gateway;
    int linklocal;
};

struct mdata_route_list {
    size_t count;
    struct mdata_route routes[];
};

struct mdata_resolver_list {
    size_t count;
    mdata_ip_t resolvers[];
};

static int parse_route(const json_t *v, const char *path,
                       struct mdata_route *r, mdata_error_t *err)
{
    char sub[MDATA__PATH2];
    const json_t *dst, *gw, *ll;
    int rc;

    if (!json_is_object(v))
        return mdata__path_error(err, MDATA_EJSON, path,
                                 "expected an object, got %s",
                                 mdata__json_kind(v));
    dst = json_object_get(v, "dst");
    gw = json_object_get(v, "gateway");
    ll = json_object_get(v, "linklocal");
    if (dst == NULL)
        return mdata__path_error(err, MDATA_EJSON, path, "missing \"dst\"");
    if (gw == NULL)
        return mdata__path_error(err, MDATA_EJSON, path,
                                 "missing \"gateway\"");
    snprintf(sub, sizeof(sub), "%s.dst", path);
    rc = mdata__json_ip(dst, MDATA_IP_PREFIX_OPTIONAL, sub, &r->dst, err);
    if (rc < 0)
        return rc;
    snprintf(sub, sizeof(sub), "%s.gateway", path);
    rc = mdata__json_ip(gw, 0, sub, &r->gateway, err);
    if (rc < 0)
        return rc;
    r->linklocal = 0;
    if (ll != NULL) {
        snprintf(sub, sizeof(sub), "%s.linklocal", path);
        if (!json_is_boolean(ll))
            return mdata__path_error(err, MDATA_EJSON, sub,
                                     "expected a boolean, got %s",
                                     mdata__json_kind(ll));
        r->linklocal = json_is_true(ll);
    }
    return 0;
}

int mdata_routes_parse(const void *json, size_t len, mdata_route_list_t **out,
                       mdata_error_t *err)
{
    static const mdata__json_bounds_t bounds = {MDATA_ROUTES_MAX, MDATA_ROUTES_VALUES_MAX};
    mdata_route_list_t *list;
    json_t *root;
    size_t i, n;
    int rc = 0;

    if (out == NULL || (json == NULL && len > 0))
        return mdata__error(err, MDATA_EINVAL, 0, 0,
                            "mdata_routes_parse: NULL argument");
    *out = NULL;
    root = mdata__json_load(json, len, "routes", &bounds, err, &rc);
    if (root == NULL)
        return rc;
    rc = mdata__expect_array(root, MDATA_ROUTES_MAX, "routes", err);
    if (rc < 0) {
        json_decref(root);
        return rc;
    }
    n = json_array_size(root);
    list = calloc(1, sizeof(*list) + n * sizeof(list->routes[0]));
    if (list == NULL) {
        json_decref(root);
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "routes: out of memory");
    }
    list->count = n;
    for (i = 0; i < n && rc == 0; i++) {
        char path[MDATA__PATH1];

        snprintf(path, sizeof(path), "routes[%zu]", i);
        rc = parse_route(json_array_get(root, i), path, &list->routes[i], err);
    }
    json_decref(root);
    if (rc < 0) {
        free(list);
        return rc;
    }
    *out = list;
    return 0;
}

void mdata_route_list_free(mdata_route_list_t *list)
{
    free(list);
}

int mdata_route_list_dup(const mdata_route_list_t *list,
                         mdata_route_list_t **out)
{
    size_t size;

    if (out == NULL)
        return MDATA_EINVAL;
    *out = NULL;
    if (list == NULL)
        return MDATA_EINVAL;
    size = sizeof(*list) + list->count * sizeof(list->routes[0]);
    *out = malloc(size);
    if (*out == NULL)
        return MDATA_ENOMEM;
    memcpy(*out, list, size);
    return 0;
}

size_t mdata_route_list_count(const mdata_route_list_t *list)
{
    return list != NULL ? list->count : 0;
}

const mdata_route_t *mdata_route_list_at(const mdata_route_list_t *list,
                                         size_t i)
{
    return list != NULL && i < list->count ? &list->routes[i] : NULL;
}

const mdata_ip_t *mdata_route_dst(const mdata_route_t *route)
{
    return &route->dst;
}

const mdata_ip_t *mdata_route_gateway(const mdata_route_t *route)
{
    return &route->gateway;
}

int mdata_route_is_linklocal(const mdata_route_t *route)
{
    return route->linklocal;
}

int mdata_resolvers_parse(const void *json, size_t len,
                          mdata_resolver_list_t **out, mdata_error_t *err)
{
    static const mdata__json_bounds_t bounds = {MDATA_RESOLVERS_MAX, MDATA_RESOLVERS_VALUES_MAX};
    mdata_resolver_list_t *list;
    json_t *root;
    size_t i, n;
    int rc = 0;

    if (out == NULL || (json == NULL && len > 0))
        return mdata__error(err, MDATA_EINVAL, 0, 0,
                            "mdata_resolvers_parse: NULL argument");
    *out = NULL;
    root = mdata__json_load(json, len, "resolvers", &bounds, err, &rc);
    if (root == NULL)
        return rc;
    rc = mdata__expect_array(root, MDATA_RESOLVERS_MAX, "resolvers", err);
    if (rc < 0) {
        json_decref(root);
        return rc;
    }
    n = json_array_size(root);
    list = calloc(1, sizeof(*list) + n * sizeof(list->resolvers[0]));
    if (list == NULL) {
        json_decref(root);
        return mdata__error(err, MDATA_ENOMEM, 0, 0,
                            "resolvers: out of memory");
    }
    list->count = n;
    for (i = 0; i < n && rc == 0; i++) {
        char path[MDATA__PATH1];

        snprintf(path, sizeof(path), "resolvers[%zu]", i);
        rc = mdata__json_ip(json_array_get(root, i), 0, path,
                            &list->resolvers[i], err);
    }
    json_decref(root);
    if (rc < 0) {
        free(list);
        return rc;
    }
    *out = list;
    return 0;
}

void mdata_resolver_list_free(mdata_resolver_list_t *list)
{
    free(list);
}

int mdata_resolver_list_dup(const mdata_resolver_list_t *list,
                            mdata_resolver_list_t **out)
{
    size_t size;

    if (out == NULL)
        return MDATA_EINVAL;
    *out = NULL;
    if (list == NULL)
        return MDATA_EINVAL;
    size = sizeof(*list) + list->count * sizeof(list->resolvers[0]);
    *out = malloc(size);
    if (*out == NULL)
        return MDATA_ENOMEM;
    memcpy(*out, list, size);
    return 0;
}

size_t mdata_resolver_list_count(const mdata_resolver_list_t *list)
{
    return list != NULL ? list->count : 0;
}

const mdata_ip_t *mdata_resolver_list_at(const mdata_resolver_list_t *list,
                                         size_t i)
{
    return list != NULL && i < list->count ? &list->resolvers[i] : NULL;
}
