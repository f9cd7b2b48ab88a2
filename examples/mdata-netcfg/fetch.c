/* fetch.c: read the five keys from the metadata service through libmdata's
 * async client: one connection, all requests in flight together. */
#include "input.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

typedef struct fetch {
    nc_raw_t *raw;
    int pending;
    int rc;           /* first failure */
    int rc_key;
    int oom;
} fetch_t;

typedef struct slot {
    fetch_t *f;
    int key;
} slot_t;

static void on_reply(mdata_client_t *client, int status,
                     const mdata_reply_t *reply, void *userdata)
{
    slot_t *s = userdata;
    fetch_t *f = s->f;

    if (status == 0) {
        size_t len = 0;
        const uint8_t *v = mdata_reply_value(reply, &len);

        if (nc_raw_set(f->raw, s->key, v, len) != 0)
            f->oom = 1;
    } else if (status != MDATA_ENOTFOUND && f->rc == 0) {
        /* NOTFOUND is absence (sdc:hostname, sdc:dns_domain often are). */
        f->rc = status;
        f->rc_key = s->key;
    }
    if (--f->pending == 0)
        mdata_client_close(client, NULL, NULL);
}

int nc_raw_fetch(const nc_fetch_opts_t *opts, nc_raw_t *raw, char *why,
                 size_t cap)
{
    mdata_options_t *mo = NULL;
    mdata_client_t *client = NULL;
    mdata_error_t err;
    slot_t slots[NC_KEY_COUNT];
    fetch_t f;
    uv_loop_t loop;
    int k, rc;

    memset(&f, 0, sizeof(f));
    memset(&err, 0, sizeof(err));
    f.raw = raw;
    if (uv_loop_init(&loop) != 0) {
        snprintf(why, cap, "cannot create an event loop");
        return MDATA_ENOMEM;
    }
    rc = mdata_options_new(&mo);
    if (rc == 0 && opts->device != NULL)
        rc = mdata_options_set_device(mo, opts->device);
    if (rc == 0 && opts->timeout_ms != 0)
        rc = mdata_options_set_timeout_ms(mo, opts->timeout_ms);
    if (rc == 0)
        rc = mdata_client_new(&loop, mo, &client, &err);
    mdata_options_free(mo);
    if (rc != 0) {
        snprintf(why, cap, "%s", err.text[0] ? err.text : mdata_strerror(rc));
        uv_loop_close(&loop);
        return rc;
    }
    for (k = 0; k < NC_KEY_COUNT; k++) {
        slots[k].f = &f;
        slots[k].key = k;
        rc = mdata_get(client, nc_key_names[k], on_reply, &slots[k], NULL);
        if (rc != 0) {
            f.rc = rc;
            f.rc_key = k;
            break;
        }
        f.pending++;
    }
    if (f.pending == 0)
        mdata_client_close(client, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    if (f.oom)
        f.rc = MDATA_ENOMEM;
    if (f.rc != 0) {
        snprintf(why, cap, "GET %s: %s", nc_key_names[f.rc_key],
                 mdata_strerror(f.rc));
        return f.rc;
    }
    return 0;
}
