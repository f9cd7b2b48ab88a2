/*
 * The libuv glue: one uv_poll_t on the transport's fd, one uv_timer_t for
 * every deadline (engine deadlines, lock retries, deferred callbacks).
 * All work happens in pump(), run from those two callbacks; submit calls
 * only queue into the engine and arm the timer, so callbacks never run
 * inside them. The handles hold a reference on the loop only while
 * requests are pending.
 *
 * How the loop learns that the transport can be read or written is the
 * platform half (client_io.h): a uv_poll_t on the fd (client_unix.c), or
 * on Windows, which has no pollable COM handle, a uv_async_t the
 * transport's I/O thread sends (client_win.c).
 */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "client/client_io.h"

/* Small: a large value is decoded into its own buffer as it arrives, so
 * the read buffer is all a GET costs beyond its value (tests/bench). */
#define READ_CHUNK (32 * 1024)
#define LOCK_RETRY_MIN_MS 5
#define LOCK_RETRY_MAX_MS 100
/* After a lost connection the device is reopened at once; when the next
 * connection too is lost before the host answered anything, the pause
 * before reopening starts here and doubles up to the maximum. */
#define REOPEN_PAUSE_MIN_MS 50
#define REOPEN_PAUSE_MAX_MS 1000

typedef struct req_cb {
    mdata_reply_cb cb;
    void *ud;
} req_cb_t;

static void pump(mdata_client_t *c);

/* ---- link events (mdata_options_set_link_cb) ---- */

/* Requests wait for the host: say why, once until the host is back. */
static void link_down(mdata_client_t *c, const mdata_error_t *why)
{
    if (c->link_cb == NULL || c->link_down || c->closing)
        return;
    c->link_down = 1;
    c->link_cb(MDATA_LINK_DOWN, why, c->link_ud);
}

/* The host answered a request (or a connect): a DOWN is over. Not mere
 * bytes: a host that answers the resync's probe but drops every request
 * is not back. */
static void link_up(mdata_client_t *c)
{
    if (c->link_cb == NULL || !c->link_down || c->closing)
        return;
    c->link_down = 0;
    c->link_cb(MDATA_LINK_UP, NULL, c->link_ud);
}

/*
 * After each pump: an attempt that timed out while requests still wait is
 * a silent (or slow) host. The engine's counter says so, so the engine
 * needs no hook for it.
 */
static void link_check(mdata_client_t *c)
{
    uint64_t timeouts;

    if (c->link_cb == NULL || c->closing)
        return;
    timeouts = mdata__engine_counter(c->eng, MDATA_COUNTER_TIMEOUTS);
    if (timeouts != c->link_timeouts) {
        c->link_timeouts = timeouts;
        if (mdata__engine_busy(c->eng)) {
            mdata_error_t why;

            mdata__error(&why, MDATA_ETIMEDOUT, 0, 0,
                         "no reply from the host in time");
            link_down(c, &why);
        }
    }
}

/* ---- connection ---- */

static void close_transport(mdata_client_t *c)
{
    mdata__trace_flush(&c->trace);
    mdata__io_disconnected(c);
    mdata__tp_close(&c->tp);
    c->conn = CONN_NONE;
}

/*
 * The connection is gone (end of file, reset, a serial EIO): the requests
 * in flight wait in the engine's queue, and the next pump reopens the
 * device and redoes the handshake, at once the first time, after a
 * growing pause while connections keep getting lost before the host
 * answers anything. Other failures (ENOMEM) end the pending requests.
 */
static void lost(mdata_client_t *c, int status)
{
    uint64_t now = uv_now(c->loop);

    close_transport(c);
    if (status != MDATA_ECLOSED && status != MDATA_EIO)
        mdata__engine_fail_all(c->eng, status);
    else {
        mdata_error_t why;

        mdata__error(&why, MDATA_EIO, 0, 0, "connection lost: %s",
                     status == MDATA_ECLOSED ? "the host closed it"
                                             : "I/O error");
        link_down(c, &why);
    }
    mdata__engine_lost(c->eng, now);
    c->reopen_at = now + c->reopen_pause_ms;
    c->reopen_pause_ms = c->reopen_pause_ms == 0 ? REOPEN_PAUSE_MIN_MS
                         : c->reopen_pause_ms >= REOPEN_PAUSE_MAX_MS / 2
                             ? REOPEN_PAUSE_MAX_MS
                             : c->reopen_pause_ms * 2;
}

static void opened(mdata_client_t *c)
{
    int rc;

    mdata__engine_set_wait_status(c->eng, MDATA_ETIMEDOUT);
    rc = mdata__io_connected(c);
    if (rc < 0) {
        mdata__tp_close(&c->tp);
        c->conn = CONN_NONE;
        mdata__engine_fail_all(c->eng, rc);
        return;
    }
    c->conn = CONN_OPEN;
    mdata__engine_connected(c->eng, uv_now(c->loop));
}

static void open_result(mdata_client_t *c, int rc)
{
    uint64_t now = uv_now(c->loop);

    if (rc == 0) {
        c->open_err.code = 0;
        c->kind = c->tp.kind; /* what the path turned out to be */
        opened(c);
    } else if (rc == MDATA_ELOCKED || rc == MDATA_EBUSY) {
        /* Someone else holds the line: poll the lock with a growing
         * interval; the requests' deadlines bound the wait. */
        if (c->conn != CONN_LOCKING)
            c->lock_retry_ms = LOCK_RETRY_MIN_MS;
        else if (c->lock_retry_ms < LOCK_RETRY_MAX_MS)
            c->lock_retry_ms *= 2;
        c->conn = CONN_LOCKING;
        c->lock_retry_at = now + c->lock_retry_ms;
        mdata__engine_set_wait_status(c->eng, rc == MDATA_ELOCKED
                                                  ? MDATA_ELOCKED
                                                  : MDATA_ETIMEDOUT);
        link_down(c, &c->open_err);
    } else {
        mdata__tp_close(&c->tp);
        c->conn = CONN_NONE;
        mdata__engine_fail_all(c->eng, rc);
    }
}

static void connect_step(mdata_client_t *c)
{
    uint64_t now = uv_now(c->loop);

    if (c->conn == CONN_NONE && mdata__engine_want_connect(c->eng) &&
        now >= c->reopen_at)
        open_result(c, mdata__tp_open(&c->tp, c->device, c->kind,
                                      &c->open_err));
    else if (c->conn == CONN_LOCKING) {
        if (!mdata__engine_busy(c->eng)) {
            /* everyone gave up waiting */
            mdata__tp_close(&c->tp);
            c->conn = CONN_NONE;
            mdata__engine_set_wait_status(c->eng, MDATA_ETIMEDOUT);
        } else if (now >= c->lock_retry_at) {
            open_result(c, mdata__tp_retry(&c->tp, c->device, &c->open_err));
        }
    }
}

/*
 * A serial line is exclusive: once nothing is pending for serial_hold_ms,
 * give it back (restore, unlock, close) so the reference tools, cloud-init
 * or another client can use it. The next request opens it again. Sockets
 * are not exclusive and stay connected.
 */
static void idle_step(mdata_client_t *c)
{
    uint64_t now = uv_now(c->loop);

    if (c->conn != CONN_OPEN || mdata__engine_busy(c->eng)) {
        c->idle = 0;
        return;
    }
    if (!c->idle) {
        c->idle = 1;
        c->idle_since = now;
    }
    if (c->kind == MDATA__TP_TTY && c->serial_hold_ms != UINT64_MAX &&
        now - c->idle_since >= c->serial_hold_ms) {
        close_transport(c);
        mdata__engine_lost(c->eng, now); /* nothing pending */
        c->idle = 0;
    }
}

/* ---- I/O ---- */

static void flush(mdata_client_t *c)
{
    c->write_blocked = 0;
    while (c->conn == CONN_OPEN) {
        size_t len, n;
        const char *out = mdata__engine_output(c->eng, &len);
        int rc;

        if (len == 0)
            return;
        rc = mdata__tp_write(&c->tp, out, len, &n);
        if (rc < 0) {
            lost(c, rc);
            return;
        }
        if (n == 0) {
            c->write_blocked = 1; /* wait for UV_WRITABLE */
            return;
        }
        mdata__trace_bytes(&c->trace, MDATA_TRACE_OUT, out, n);
        mdata__engine_output_done(c->eng, n, uv_now(c->loop));
    }
}

static void read_some(mdata_client_t *c)
{
    int i;

    /* A bounded number of chunks per wake-up keeps the loop fair. */
    for (i = 0; i < 64 && c->conn == CONN_OPEN; i++) {
        size_t n;
        int rc = mdata__tp_read(&c->tp, c->rbuf, READ_CHUNK, &n);

        if (rc < 0) {
            lost(c, rc);
            return;
        }
        if (n == 0)
            return;
        uv_update_time(c->loop);
        mdata__trace_bytes(&c->trace, MDATA_TRACE_IN, (const char *)c->rbuf,
                           n);
        rc = mdata__engine_feed(c->eng, c->rbuf, n, uv_now(c->loop));
        if (rc < 0) {
            lost(c, rc);
            return;
        }
        if (n < READ_CHUNK)
            return;
    }
}

void mdata__client_io(mdata_client_t *c, int events)
{
    /* On an error or hang-up what the peer sent first still counts: it
     * is read before the connection is marked lost (read() tells an end
     * of file from a real error). */
    if (events & (MDATA__IO_READABLE | MDATA__IO_FAILED))
        read_some(c);
    if (events & MDATA__IO_FAILED) {
        if (c->conn == CONN_OPEN)
            lost(c, MDATA_EIO);
    } else if (c->conn == CONN_OPEN && (events & MDATA__IO_WRITABLE)) {
        flush(c);
    }
    pump(c);
}

static void on_timer(uv_timer_t *t)
{
    pump(t->data);
}

/* ---- dispatch ---- */

static void dispatch(mdata_client_t *c)
{
    mdata__done_t d;

    while (mdata__engine_next_done(c->eng, &d) == 1) {
        req_cb_t *rc = d.ud;
        mdata_reply_t reply;

        if (d.status == 0 || d.status == MDATA_ENOTFOUND ||
            d.status == MDATA_EREMOTE || d.status == MDATA_ENOTSUP) {
            c->reopen_pause_ms = 0; /* the host answered */
            link_up(c);
        }
        reply.status = d.status;
        reply.value = d.value;
        reply.len = d.value_len;
        reply.attempts = d.attempts;
        reply.eng = c->eng;
        rc->cb(c, d.status, &reply, rc->ud);
        free(rc);
    }
}

uint8_t *mdata__reply_take_value(const mdata_reply_t *reply)
{
    uint8_t *v = mdata__engine_take_value(reply->eng);

    return v != NULL ? v : calloc(1, 1);
}

/* Arm the timer for the next deadline and the poll for what we need. */
static void rearm(mdata_client_t *c)
{
    uint64_t now = uv_now(c->loop), t, delay;
    int busy = mdata__engine_busy(c->eng);

    if (c->closing)
        return;
    t = mdata__engine_next_deadline(c->eng);
    if (c->conn == CONN_LOCKING && c->lock_retry_at < t)
        t = c->lock_retry_at;
    if (c->idle && c->kind == MDATA__TP_TTY && c->serial_hold_ms != UINT64_MAX &&
        c->idle_since + c->serial_hold_ms < t)
        t = c->idle_since + c->serial_hold_ms;
    if (c->conn == CONN_NONE && mdata__engine_want_connect(c->eng) &&
        c->reopen_at < t)
        t = c->reopen_at;
    if (c->kick || t < now)
        t = now;
    c->kick = 0;
    if (t == UINT64_MAX) {
        uv_timer_stop(&c->timer);
    } else {
        delay = t > now ? t - now : 0;
        uv_timer_start(&c->timer, on_timer, delay, 0);
    }
    if (busy)
        uv_ref((uv_handle_t *)&c->timer);
    else
        uv_unref((uv_handle_t *)&c->timer);
    mdata__io_rearm(c, busy);
}

static void pump(mdata_client_t *c)
{
    int round;

    if (c->in_pump || c->closing)
        return;
    c->in_pump = 1;
    for (round = 0; round < 4; round++) {
        uint64_t now;

        connect_step(c);
        now = uv_now(c->loop);
        mdata__engine_tick(c->eng, now);
        flush(c);
        dispatch(c);
        link_check(c);
        if (c->closing)
            break;
        /* callbacks may have submitted: go again if there is output */
        if (!c->kick)
            break;
        c->kick = 0;
    }
    if (!c->closing)
        idle_step(c);
    c->in_pump = 0;
    if (!c->closing)
        rearm(c);
}

/* ---- public ---- */

int mdata_client_new(struct uv_loop_s *loop, const mdata_options_t *opts,
                     mdata_client_t **out, mdata_error_t *err)
{
    mdata__engine_config_t cfg;
    mdata_client_t *c;
    uint64_t hold;
    int rc;

    if (loop == NULL || out == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "loop or out is NULL");
    if (opts != NULL)
        cfg = opts->cfg;
    else
        mdata__engine_config_defaults(&cfg);
    hold = opts != NULL ? opts->serial_hold_ms : MDATA__SERIAL_HOLD_DEFAULT_MS;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    c->loop = loop;
    c->serial_hold_ms = hold;
    if (opts != NULL) {
        c->trace.cb = opts->trace;
        c->trace.ud = opts->trace_ud;
        c->link_cb = opts->link;
        c->link_ud = opts->link_ud;
    }
    mdata__tp_init(&c->tp);
    c->rbuf = malloc(READ_CHUNK);
    if (c->rbuf == NULL) {
        free(c);
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    }
    rc = mdata__device_pick(opts != NULL ? opts->device : NULL, &c->device,
                            &c->kind, err);
    if (rc == 0) {
        cfg.random = mdata__random_next;
        cfg.random_ctx = &c->rnd;
        rc = mdata__engine_new(&cfg, &c->eng);
        if (rc < 0)
            mdata__error(err, rc, 0, 0, "bad options");
    }
    if (rc == 0)
        rc = mdata__io_new(c, err);
    if (rc == 0 && uv_timer_init(loop, &c->timer) != 0)
        rc = mdata__error(err, MDATA_EIO, 0, 0, "uv_timer_init failed");
    if (rc < 0) {
        mdata__io_close(c);
        mdata__engine_free(c->eng);
        free(c->device);
        free(c->rbuf);
        free(c);
        return rc;
    }
    c->timer.data = c;
    uv_unref((uv_handle_t *)&c->timer);
    *out = c;
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    mdata_client_t *c = h->data;
    mdata_close_cb cb = c->close_cb;
    void *ud = c->close_ud;

    /* Requests canceled by close get their callbacks now, from the loop. */
    c->closing = 1;
    dispatch(c);
    mdata__tp_close(&c->tp);
    mdata__engine_free(c->eng);
    free(c->device);
    free(c->rbuf);
    free(c);
    if (cb != NULL)
        cb(ud);
}

void mdata_client_close(mdata_client_t *client, mdata_close_cb cb,
                        void *userdata)
{
    mdata_client_t *c = client;

    if (c == NULL || c->closing)
        return;
    c->closing = 1;
    c->close_cb = cb;
    c->close_ud = userdata;
    mdata__engine_fail_all(c->eng, MDATA_ECANCELED);
    mdata__io_disconnected(c);
    mdata__io_close(c);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

void mdata_client_set_data(mdata_client_t *client, void *data)
{
    if (client != NULL)
        client->data = data;
}

void *mdata_client_get_data(const mdata_client_t *client)
{
    return client != NULL ? client->data : NULL;
}

int mdata_client_protocol(const mdata_client_t *client)
{
    return client != NULL ? mdata__engine_protocol(client->eng) : 0;
}

const mdata_error_t *mdata__client_open_error(const mdata_client_t *c)
{
    return c != NULL && c->open_err.code != 0 ? &c->open_err : NULL;
}

const char *mdata_client_device(const mdata_client_t *client)
{
    return client != NULL ? client->device : NULL;
}

uint64_t mdata_client_counter(const mdata_client_t *client,
                              mdata_counter_t which)
{
    return client != NULL ? mdata__engine_counter(client->eng, (int)which)
                          : 0;
}

static int submit(mdata_client_t *c, int op, const char *key,
                  const void *val, size_t len, mdata_reply_cb cb, void *ud,
                  uint32_t *req_id)
{
    req_cb_t *rcb;
    int rc;

    if (c == NULL || cb == NULL)
        return MDATA_EINVAL;
    if (c->closing)
        return MDATA_ECLOSED;
    rcb = malloc(sizeof(*rcb));
    if (rcb == NULL)
        return MDATA_ENOMEM;
    rcb->cb = cb;
    rcb->ud = ud;
    /* The loop's cached time may be old (a blocking caller that did other
     * work since its last call): deadlines count from now. */
    uv_update_time(c->loop);
    rc = mdata__engine_submit(c->eng, op, key, val, len, rcb,
                              uv_now(c->loop), req_id, NULL);
    if (rc < 0) {
        free(rcb);
        return rc;
    }
    c->kick = 1;
    if (!c->in_pump)
        rearm(c);
    return 0;
}

int mdata_get(mdata_client_t *client, const char *key, mdata_reply_cb cb,
              void *userdata, uint32_t *req_id)
{
    return submit(client, MDATA__OP_GET, key, NULL, 0, cb, userdata, req_id);
}

int mdata_keys(mdata_client_t *client, mdata_reply_cb cb, void *userdata,
               uint32_t *req_id)
{
    return submit(client, MDATA__OP_KEYS, NULL, NULL, 0, cb, userdata,
                  req_id);
}

int mdata_connect(mdata_client_t *client, mdata_reply_cb cb, void *userdata,
                  uint32_t *req_id)
{
    return submit(client, MDATA__OP_CONNECT, NULL, NULL, 0, cb, userdata,
                  req_id);
}

int mdata_client_set_timeout_ms(mdata_client_t *client, uint64_t ms)
{
    if (client == NULL || ms < 1 || ms > 86400000)
        return MDATA_EINVAL;
    mdata__engine_set_timeout(client->eng, ms);
    return 0;
}

int mdata_put(mdata_client_t *client, const char *key, const void *value,
              size_t len, mdata_reply_cb cb, void *userdata, uint32_t *req_id)
{
    return submit(client, MDATA__OP_PUT, key, value, len, cb, userdata,
                  req_id);
}

int mdata_delete(mdata_client_t *client, const char *key, mdata_reply_cb cb,
                 void *userdata, uint32_t *req_id)
{
    return submit(client, MDATA__OP_DELETE, key, NULL, 0, cb, userdata,
                  req_id);
}

int mdata_client_cancel(mdata_client_t *client, uint32_t req_id)
{
    int rc;

    if (client == NULL || client->closing)
        return MDATA_EINVAL;
    uv_update_time(client->loop);
    rc = mdata__engine_cancel(client->eng, req_id, uv_now(client->loop));
    if (rc == 0) {
        client->kick = 1;
        if (!client->in_pump)
            rearm(client);
    }
    return rc;
}
