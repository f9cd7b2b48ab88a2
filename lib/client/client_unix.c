/*
 * The client's Unix half: a uv_poll_t on the transport's fd, made when a
 * connection opens and closed with it.
 */
#include <stdlib.h>

#include "client/client_io.h"

int mdata__io_new(mdata_client_t *c, mdata_error_t *err)
{
    (void)c;
    (void)err;
    return 0;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    mdata_client_t *c = h->data;
    int ready = 0;

    if (c == NULL)
        return;
    if (status < 0)
        ready = MDATA__IO_FAILED;
    else {
        /* On a hang-up, what the peer sent before it is still read first;
         * the end of file then marks the connection lost. */
        if (events & (UV_READABLE | UV_DISCONNECT))
            ready |= MDATA__IO_READABLE;
        if (events & UV_WRITABLE)
            ready |= MDATA__IO_WRITABLE;
    }
    mdata__client_io(c, ready);
}

static void on_poll_closed(uv_handle_t *h)
{
    free(h);
}

int mdata__io_connected(mdata_client_t *c)
{
    uv_poll_t *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return MDATA_ENOMEM;
    if (uv_poll_init(c->loop, p, c->tp.fd) != 0) {
        free(p);
        return MDATA_EIO;
    }
    p->data = c;
    c->io.poll = p;
    c->io.events = 0;
    return 0;
}

void mdata__io_disconnected(mdata_client_t *c)
{
    if (c->io.poll != NULL) {
        uv_poll_stop(c->io.poll);
        c->io.poll->data = NULL; /* the client may be gone before it closes */
        uv_close((uv_handle_t *)c->io.poll, on_poll_closed);
        c->io.poll = NULL;
    }
    c->io.events = 0;
}

void mdata__io_rearm(mdata_client_t *c, int busy)
{
    /* Writes are tried at once from pump(); UV_WRITABLE is asked for only
     * while the kernel's buffer is full, so a request costs no epoll_ctl
     * churn. */
    int ev = UV_READABLE | UV_DISCONNECT;

    if (c->io.poll == NULL)
        return;
    if (c->write_blocked)
        ev |= UV_WRITABLE;
    if (ev != c->io.events) {
        uv_poll_start(c->io.poll, ev, on_poll);
        c->io.events = ev;
    }
    if (busy)
        uv_ref((uv_handle_t *)c->io.poll);
    else
        uv_unref((uv_handle_t *)c->io.poll);
}

void mdata__io_close(mdata_client_t *c)
{
    (void)c; /* the poll went with the connection */
}
