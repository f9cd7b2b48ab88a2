/*
 * The blocking API: a private uv loop and one client. Each call submits
 * one request and runs the loop until its callback has run; the request's
 * deadline bounds the wait.
 */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "client/client_int.h"

struct mdata_sync {
    uv_loop_t loop;
    mdata_client_t *client;
};

typedef struct sync_wait {
    int done;
    int status;
    uint8_t *value;
    size_t len;
} sync_wait_t;

int mdata_sync_new(const mdata_options_t *opts, mdata_sync_t **out,
                   mdata_error_t *err)
{
    mdata_sync_t *s;
    int rc;

    if (out == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "out is NULL");
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    if (uv_loop_init(&s->loop) != 0) {
        free(s);
        return mdata__error(err, MDATA_EIO, 0, 0, "uv_loop_init failed");
    }
    rc = mdata_client_new(&s->loop, opts, &s->client, err);
    if (rc < 0) {
        uv_loop_close(&s->loop);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void on_closed(void *ud)
{
    *(int *)ud = 1;
}

static void close_left_over(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void mdata_sync_free(mdata_sync_t *sync)
{
    int closed = 0;

    if (sync == NULL)
        return;
    mdata_client_close(sync->client, on_closed, &closed);
    while (!closed && uv_run(&sync->loop, UV_RUN_DEFAULT) != 0)
        ;
    if (uv_loop_close(&sync->loop) != 0) {
        /* cannot happen: the client closes all its handles; but never
         * free a loop with live handles */
        uv_walk(&sync->loop, close_left_over, NULL);
        uv_run(&sync->loop, UV_RUN_DEFAULT);
        (void)uv_loop_close(&sync->loop);
    }
    free(sync);
}

mdata_client_t *mdata_sync_client(mdata_sync_t *sync)
{
    return sync != NULL ? sync->client : NULL;
}

static void on_reply(mdata_client_t *client, int status,
                     const mdata_reply_t *reply, void *userdata)
{
    sync_wait_t *w = userdata;
    size_t len;

    (void)client;
    (void)mdata_reply_value(reply, &len);
    w->done = 1;
    w->status = status;
    /* the value changes hands: a large one is never copied */
    w->value = mdata__reply_take_value(reply);
    if (w->value == NULL) {
        w->status = MDATA_ENOMEM;
        return;
    }
    w->len = len;
}

/* Run the loop until w is done; fill err for a failure. */
static int wait_for(mdata_sync_t *s, sync_wait_t *w, mdata_error_t *err)
{
    const mdata_error_t *open_err;

    while (!w->done) {
        if (uv_run(&s->loop, UV_RUN_ONCE) == 0 && !w->done) {
            /* cannot happen while a request is pending: be safe anyway */
            return mdata__error(err, MDATA_EIO, 0, 0,
                                "the loop stopped before the reply");
        }
    }
    open_err = mdata__client_open_error(s->client);
    if (w->status == MDATA_EREMOTE)
        mdata__error(err, w->status, 0, 0, "%.*s",
                     (int)(w->len < MDATA_ERROR_TEXT_MAX ? w->len
                                                         : MDATA_ERROR_TEXT_MAX),
                     (const char *)w->value);
    else if (open_err != NULL &&
             (w->status == open_err->code || w->status == MDATA_ETIMEDOUT))
        /* the device could not be opened (yet): say why */
        mdata__error(err, w->status, open_err->sys_errno, 0, "%s%s",
                     w->status == MDATA_ETIMEDOUT ? "deadline expired: " : "",
                     open_err->text);
    else if (w->status < 0)
        mdata__error(err, w->status, 0, 0, "%s", mdata_strerror(w->status));
    return w->status;
}

static int take_value(sync_wait_t *w, int rc, uint8_t **value, size_t *len)
{
    if (rc == 0 && value != NULL) {
        *value = w->value;
        if (len != NULL)
            *len = w->len;
        return 0;
    }
    free(w->value);
    if (value != NULL)
        *value = NULL;
    if (len != NULL)
        *len = 0;
    return rc;
}

/* A submit's result: its error text in err when it failed. */
static int submitted(int rc, mdata_error_t *err)
{
    if (rc < 0)
        mdata__error(err, rc, 0, 0, "%s", mdata_strerror(rc));
    return rc;
}

/*
 * The end of every blocking call: rc is the check or submit that came
 * first (its text already in err); if it went through, wait for the reply.
 * The value goes to *value / *len when asked for, else is freed.
 */
static int finish(mdata_sync_t *s, sync_wait_t *w, int rc, uint8_t **value,
                  size_t *len, mdata_error_t *err)
{
    if (rc == 0)
        rc = wait_for(s, w, err);
    return take_value(w, rc, value, len);
}

typedef int (*keyed_submit_fn)(mdata_client_t *client, const char *key,
                               mdata_reply_cb cb, void *userdata,
                               uint32_t *req_id);

/* GET or DELETE of one key: check the key, submit, wait. */
static int sync_keyed(mdata_sync_t *sync, keyed_submit_fn submit,
                      const char *key, uint8_t **value, size_t *len,
                      mdata_error_t *err)
{
    sync_wait_t w = {0, 0, NULL, 0};
    int rc;

    if (sync == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "sync is NULL");
    rc = mdata__check_key(key, err);
    if (rc == 0)
        rc = submitted(submit(sync->client, key, on_reply, &w, NULL), err);
    return finish(sync, &w, rc, value, len, err);
}

int mdata_sync_get(mdata_sync_t *sync, const char *key, uint8_t **value,
                   size_t *len, mdata_error_t *err)
{
    return sync_keyed(sync, mdata_get, key, value, len, err);
}

int mdata_sync_keys(mdata_sync_t *sync, uint8_t **list, size_t *len,
                    mdata_error_t *err)
{
    sync_wait_t w = {0, 0, NULL, 0};
    int rc;

    if (sync == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "sync is NULL");
    rc = submitted(mdata_keys(sync->client, on_reply, &w, NULL), err);
    return finish(sync, &w, rc, list, len, err);
}

int mdata_sync_put(mdata_sync_t *sync, const char *key, const void *value,
                   size_t len, mdata_error_t *err)
{
    sync_wait_t w = {0, 0, NULL, 0};
    int rc;

    if (sync == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "sync is NULL");
    rc = mdata__check_key(key, err);
    if (rc == 0 && len == 0)
        rc = mdata__error(err, MDATA_EINVAL, 0, 0,
                          "empty value: the host refuses to PUT it (use "
                          "DELETE to remove a key)");
    if (rc == 0)
        rc = submitted(mdata_put(sync->client, key, value, len, on_reply, &w,
                                 NULL),
                       err);
    return finish(sync, &w, rc, NULL, NULL, err);
}

int mdata_sync_delete(mdata_sync_t *sync, const char *key, mdata_error_t *err)
{
    return sync_keyed(sync, mdata_delete, key, NULL, NULL, err);
}

int mdata_sync_connect(mdata_sync_t *sync, mdata_error_t *err)
{
    sync_wait_t w = {0, 0, NULL, 0};

    if (sync == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "sync is NULL");
    return finish(sync, &w,
                  submitted(mdata_connect(sync->client, on_reply, &w, NULL),
                            err),
                  NULL, NULL, err);
}

int mdata_sync_set_timeout_ms(mdata_sync_t *sync, uint64_t ms)
{
    if (sync == NULL)
        return MDATA_EINVAL;
    return mdata_client_set_timeout_ms(sync->client, ms);
}
