/*
 * The client's Windows half. A COM handle cannot be polled: the
 * transport's I/O thread (lib/transport/com_win.c) wakes the loop through
 * one uv_async_t, made with the client, whenever it read bytes, finished a
 * write or failed; mdata__tp_read then tells which.
 */
#include <stdlib.h>

#include "client/client_io.h"

/* The COM I/O thread read bytes, finished a write or failed. */
static void on_async(uv_async_t *h)
{
    mdata_client_t *c = h->data;

    if (c != NULL)
        mdata__client_io(c, MDATA__IO_READABLE);
}

/* Called from the I/O thread: the one libuv call allowed there. */
static void wake_loop(void *arg)
{
    uv_async_send(arg);
}

static void on_async_closed(uv_handle_t *h)
{
    free(h);
}

int mdata__io_new(mdata_client_t *c, mdata_error_t *err)
{
    uv_async_t *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    if (uv_async_init(c->loop, a, on_async) != 0) {
        free(a);
        return mdata__error(err, MDATA_EIO, 0, 0, "uv_async_init failed");
    }
    a->data = c;
    uv_unref((uv_handle_t *)a);
    c->io.async = a;
    mdata__tp_set_notify(&c->tp, wake_loop, a);
    return 0;
}

int mdata__io_connected(mdata_client_t *c)
{
    (void)c; /* the async handle, made with the client, does the polling */
    return 0;
}

void mdata__io_disconnected(mdata_client_t *c)
{
    (void)c;
}

void mdata__io_rearm(mdata_client_t *c, int busy)
{
    if (busy)
        uv_ref((uv_handle_t *)c->io.async);
    else
        uv_unref((uv_handle_t *)c->io.async);
}

void mdata__io_close(mdata_client_t *c)
{
    /* Join the I/O thread before its wake-up handle goes away; a handle
     * is freed only in its close callback, on the loop's next run. */
    mdata__tp_close(&c->tp);
    if (c->io.async != NULL) {
        c->io.async->data = NULL;
        uv_close((uv_handle_t *)c->io.async, on_async_closed);
        c->io.async = NULL;
    }
}
