/*
 * Typed getters: fetch sdc:nics, sdc:routes, sdc:resolvers, sdc:hostname
 * or sdc:dns_domain and parse the value in one call (async and blocking).
 *
 * Layering: this file sits above both lib/client (the fetch) and lib/types
 * (the parse) and is built as its own static library, mdata_typed, with
 * neither libuv nor jansson among its dependencies: it reaches both layers
 * only through their public mdata.h functions (plus lib/common). So
 * lib/types stays pure (usable with no client, no loop, no I/O: fuzzers,
 * parsers in tests, bindings on a byte buffer) and lib/client stays free of
 * JSON; only this glue knows both.
 */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define KEY_NICS "sdc:nics"
#define KEY_ROUTES "sdc:routes"
#define KEY_RESOLVERS "sdc:resolvers"
#define KEY_HOSTNAME "sdc:hostname"
#define KEY_DNS_DOMAIN "sdc:dns_domain"

enum { T_NICS, T_ROUTES, T_RESOLVERS, T_STRING };

/* One async request in flight: the user's callback and what to parse. */
typedef struct typed_req {
    int kind;
    const char *key;
    union {
        mdata_nics_cb nics;
        mdata_routes_cb routes;
        mdata_resolvers_cb resolvers;
        mdata_string_cb string;
    } cb;
    void *ud;
} typed_req_t;

/*
 * A plain string value (hostname, dns_domain) as a C string: the host
 * stores text, so a NUL byte inside cannot be meant; refuse it rather than
 * silently cut the value.
 */
static int check_string(const char *key, const uint8_t *v, size_t len,
                        mdata_error_t *err)
{
    const uint8_t *nul = memchr(v, '\0', len);

    if (nul != NULL)
        return mdata__error(err, MDATA_EPROTO, 0, (size_t)(nul - v),
                            "%s: the value holds a NUL byte at offset %zu",
                            key, (size_t)(nul - v));
    return 0;
}

/* Detail for a failed fetch, as mdata_sync_get gives it. */
#define TOO_BIG_TEXT                                                          \
    "%s: the value is over the bound for this key "                           \
    "(mdata_options_set_key_max_reply)"

static void fetch_error(mdata_error_t *err, const char *key, int status,
                        const uint8_t *v, size_t len)
{
    if (status == MDATA_ETOOBIG)
        mdata__error(err, status, 0, 0, TOO_BIG_TEXT, key);
    else if (status == MDATA_EREMOTE)
        mdata__error(err, status, 0, 0, "%.*s",
                     (int)(len < MDATA_ERROR_TEXT_MAX ? len
                                                      : MDATA_ERROR_TEXT_MAX),
                     (const char *)v);
    else
        mdata__error(err, status, 0, 0, "%s", mdata_strerror(status));
}

static void on_value(mdata_client_t *client, int status,
                     const mdata_reply_t *reply, void *userdata)
{
    typed_req_t *t = userdata;
    mdata_error_t err;
    size_t len = 0;
    const uint8_t *v = mdata_reply_value(reply, &len);
    mdata_nic_list_t *nics = NULL;
    mdata_route_list_t *routes = NULL;
    mdata_resolver_list_t *resolvers = NULL;
    const char *str = NULL;

    memset(&err, 0, sizeof(err));
    if (status == MDATA_ENOTFOUND && t->kind == T_STRING) {
        status = 0; /* absent: a normal answer */
    } else if (status != 0) {
        fetch_error(&err, t->key, status, v, len);
    } else {
        switch (t->kind) {
        case T_NICS:
            status = mdata_nics_parse(v, len, &nics, &err);
            break;
        case T_ROUTES:
            status = mdata_routes_parse(v, len, &routes, &err);
            break;
        case T_RESOLVERS:
            status = mdata_resolvers_parse(v, len, &resolvers, &err);
            break;
        default:
            status = check_string(t->key, v, len, &err);
            if (status == 0)
                str = (const char *)v; /* NUL-terminated by the reply */
            break;
        }
    }
    switch (t->kind) {
    case T_NICS:
        t->cb.nics(client, status, nics, status != 0 ? &err : NULL, t->ud);
        mdata_nic_list_free(nics);
        break;
    case T_ROUTES:
        t->cb.routes(client, status, routes, status != 0 ? &err : NULL,
                     t->ud);
        mdata_route_list_free(routes);
        break;
    case T_RESOLVERS:
        t->cb.resolvers(client, status, resolvers,
                        status != 0 ? &err : NULL, t->ud);
        mdata_resolver_list_free(resolvers);
        break;
    default:
        t->cb.string(client, status, str, status != 0 ? &err : NULL, t->ud);
        break;
    }
    free(t);
}

static int submit(mdata_client_t *client, int have_cb,
                  const typed_req_t *proto, uint32_t *req_id)
{
    typed_req_t *t;
    int rc;

    if (client == NULL || !have_cb)
        return MDATA_EINVAL;
    t = malloc(sizeof(*t));
    if (t == NULL)
        return MDATA_ENOMEM;
    *t = *proto;
    rc = mdata_get(client, t->key, on_value, t, req_id);
    if (rc < 0)
        free(t);
    return rc;
}

int mdata_get_nics(mdata_client_t *client, mdata_nics_cb cb, void *userdata,
                   uint32_t *req_id)
{
    typed_req_t t = {T_NICS, KEY_NICS, {.nics = cb}, userdata};

    return submit(client, cb != NULL, &t, req_id);
}

int mdata_get_routes(mdata_client_t *client, mdata_routes_cb cb,
                     void *userdata, uint32_t *req_id)
{
    typed_req_t t = {T_ROUTES, KEY_ROUTES, {.routes = cb}, userdata};

    return submit(client, cb != NULL, &t, req_id);
}

int mdata_get_resolvers(mdata_client_t *client, mdata_resolvers_cb cb,
                        void *userdata, uint32_t *req_id)
{
    typed_req_t t = {T_RESOLVERS, KEY_RESOLVERS, {.resolvers = cb}, userdata};

    return submit(client, cb != NULL, &t, req_id);
}

int mdata_get_hostname(mdata_client_t *client, mdata_string_cb cb,
                       void *userdata, uint32_t *req_id)
{
    typed_req_t t = {T_STRING, KEY_HOSTNAME, {.string = cb}, userdata};

    return submit(client, cb != NULL, &t, req_id);
}

int mdata_get_dns_domain(mdata_client_t *client, mdata_string_cb cb,
                         void *userdata, uint32_t *req_id)
{
    typed_req_t t = {T_STRING, KEY_DNS_DOMAIN, {.string = cb}, userdata};

    return submit(client, cb != NULL, &t, req_id);
}

/* ---- blocking ---- */

/*
 * GET key through the blocking API; the value is owned on success. The
 * detail goes to a local error first and reaches err only when the call
 * fails (an absent hostname is a success that must leave err alone).
 */
static int sync_fetch(mdata_sync_t *sync, const char *key, int absent_ok,
                      uint8_t **v, size_t *len, mdata_error_t *err)
{
    mdata_error_t e;
    int rc;

    if (sync == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "sync is NULL");
    memset(&e, 0, sizeof(e));
    rc = mdata_sync_get(sync, key, v, len, &e);
    if (rc == MDATA_ENOTFOUND && absent_ok)
        return rc;
    if (rc == MDATA_ETOOBIG)
        mdata__error(&e, rc, 0, 0, TOO_BIG_TEXT, key);
    if (rc != 0 && err != NULL)
        *err = e;
    return rc;
}

/* GET key and parse it as kind into out, an mdata_*_list_t ** the
 * caller has set to NULL. */
static int sync_list(mdata_sync_t *sync, int kind, const char *key,
                     void *out, mdata_error_t *err)
{
    uint8_t *v = NULL;
    size_t len = 0;
    int rc = sync_fetch(sync, key, 0, &v, &len, err);

    if (rc == 0 && kind == T_NICS)
        rc = mdata_nics_parse(v, len, out, err);
    else if (rc == 0 && kind == T_ROUTES)
        rc = mdata_routes_parse(v, len, out, err);
    else if (rc == 0)
        rc = mdata_resolvers_parse(v, len, out, err);
    mdata_free(v);
    return rc;
}

int mdata_sync_get_nics(mdata_sync_t *sync, mdata_nic_list_t **out,
                        mdata_error_t *err)
{
    if (out == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "out is NULL");
    *out = NULL;
    return sync_list(sync, T_NICS, KEY_NICS, out, err);
}

int mdata_sync_get_routes(mdata_sync_t *sync, mdata_route_list_t **out,
                          mdata_error_t *err)
{
    if (out == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "out is NULL");
    *out = NULL;
    return sync_list(sync, T_ROUTES, KEY_ROUTES, out, err);
}

int mdata_sync_get_resolvers(mdata_sync_t *sync, mdata_resolver_list_t **out,
                             mdata_error_t *err)
{
    if (out == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "out is NULL");
    *out = NULL;
    return sync_list(sync, T_RESOLVERS, KEY_RESOLVERS, out, err);
}

static int sync_string(mdata_sync_t *sync, const char *key, char **out,
                       mdata_error_t *err)
{
    uint8_t *v = NULL;
    size_t len = 0;
    int rc;

    if (out == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "out is NULL");
    *out = NULL;
    rc = sync_fetch(sync, key, 1, &v, &len, err);
    if (rc == MDATA_ENOTFOUND)
        return 0; /* absent: *out stays NULL, err untouched */
    if (rc == 0)
        rc = check_string(key, v, len, err);
    if (rc == 0) {
        *out = (char *)v; /* NUL-terminated by mdata_sync_get */
        return 0;
    }
    mdata_free(v);
    return rc;
}

int mdata_sync_get_hostname(mdata_sync_t *sync, char **out,
                            mdata_error_t *err)
{
    return sync_string(sync, KEY_HOSTNAME, out, err);
}

int mdata_sync_get_dns_domain(mdata_sync_t *sync, char **out,
                              mdata_error_t *err)
{
    return sync_string(sync, KEY_DNS_DOMAIN, out, err);
}
