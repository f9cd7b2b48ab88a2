/* fetch.c: read keys from the metadata service through libmdata's async
 * client: one connection, all requests in flight together (see fetch.h);
 * nc_raw_fetch reads mdata-netcfg's five. */
#include "fetch.h"
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nc_fetch_parse_timeout(const char *text, uint64_t *ms)
{
    char *end;
    double secs = strtod(text, &end);

    if (end == text || *end != '\0' || !(secs > 0) || secs > 86400)
        return -1;
    *ms = (uint64_t)(secs * 1000 + 0.5);
    if (*ms == 0)
        *ms = 1;
    return 0;
}

int nc_fetch_open(uv_loop_t *loop, const char *device, uint64_t timeout_ms,
                  nc_fetch_configure_fn configure, void *userdata,
                  mdata_client_t **client, char *why, size_t cap)
{
    mdata_options_t *mo = NULL;
    mdata_error_t err;
    int rc;

    memset(&err, 0, sizeof(err));
    if (uv_loop_init(loop) != 0) {
        snprintf(why, cap, "cannot create an event loop");
        return MDATA_ENOMEM;
    }
    rc = mdata_options_new(&mo);
    if (rc == 0 && device != NULL)
        rc = mdata_options_set_device(mo, device);
    if (rc == 0 && timeout_ms != 0)
        rc = mdata_options_set_timeout_ms(mo, timeout_ms);
    if (rc == 0 && configure != NULL)
        rc = configure(mo, userdata);
    if (rc == 0)
        rc = mdata_client_new(loop, mo, client, &err);
    mdata_options_free(mo);
    if (rc != 0) {
        snprintf(why, cap, "%s", err.text[0] ? err.text : mdata_strerror(rc));
        uv_loop_close(loop);
        return rc;
    }
    return 0;
}

typedef struct fetch {
    nc_fetch_reply_fn on_reply;
    void *userdata;
    int pending;
    int rc;           /* first failure */
    int rc_key;
    int oom;
} fetch_t;

typedef struct slot {
    fetch_t *f;
    int key;
} slot_t;

static void on_get(mdata_client_t *client, int status,
                   const mdata_reply_t *reply, void *userdata)
{
    slot_t *s = userdata;
    fetch_t *f = s->f;
    size_t len = 0;
    const uint8_t *v = status == 0 ? mdata_reply_value(reply, &len) : NULL;
    int rc = f->on_reply(s->key, status, v, len, f->userdata);

    if (rc != 0 && status == 0) {
        f->oom = 1;
    } else if (rc != 0 && f->rc == 0) {
        f->rc = rc;
        f->rc_key = s->key;
    }
    if (--f->pending == 0)
        mdata_client_close(client, NULL, NULL);
}

int nc_fetch_keys(uv_loop_t *loop, mdata_client_t *client, int nkeys,
                  nc_fetch_name_fn name, nc_fetch_reply_fn on_reply,
                  void *userdata, char *why, size_t cap)
{
    slot_t slots[NC_FETCH_KEYS_MAX];
    fetch_t f;
    int k, rc;

    memset(&f, 0, sizeof(f));
    f.on_reply = on_reply;
    f.userdata = userdata;
    if (nkeys > NC_FETCH_KEYS_MAX) {
        f.rc = MDATA_EINVAL;
        nkeys = 0;
    }
    for (k = 0; k < nkeys; k++) {
        slots[k].f = &f;
        slots[k].key = k;
        rc = mdata_get(client, name(k), on_get, &slots[k], NULL);
        if (rc != 0) {
            f.rc = rc;
            f.rc_key = k;
            break;
        }
        f.pending++;
    }
    if (f.pending == 0)
        mdata_client_close(client, NULL, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0) {
        uv_run(loop, UV_RUN_DEFAULT);
        uv_loop_close(loop);
    }
    if (f.oom)
        f.rc = MDATA_ENOMEM;
    if (f.rc != 0) {
        snprintf(why, cap, "GET %s: %s", name(f.rc_key),
                 mdata_strerror(f.rc));
        return f.rc;
    }
    return 0;
}

/* --- mdata-netcfg's five keys ---------------------------------------- */

static const char *raw_key_name(int key)
{
    return nc_key_names[key];
}

static int on_raw_reply(int key, int status, const uint8_t *val, size_t len,
                        void *userdata)
{
    if (status == 0)
        return nc_raw_set(userdata, key, val, len);
    /* NOTFOUND is absence (sdc:hostname, sdc:dns_domain often are). */
    return status == MDATA_ENOTFOUND ? 0 : status;
}

int nc_raw_fetch(const nc_fetch_opts_t *opts, nc_raw_t *raw, char *why,
                 size_t cap)
{
    mdata_client_t *client = NULL;
    uv_loop_t loop;
    int rc = nc_fetch_open(&loop, opts->device, opts->timeout_ms, NULL, NULL,
                           &client, why, cap);

    if (rc != 0)
        return rc;
    return nc_fetch_keys(&loop, client, NC_KEY_COUNT, raw_key_name,
                         on_raw_reply, raw, why, cap);
}
