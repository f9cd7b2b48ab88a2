/*
 * conn.c: one guest byte stream: reading and line splitting (per-chunk
 * UTF-8 decoding as node does), handing lines to the protocol handler,
 * deferred PUT/DELETE completion, fault injection and writing replies.
 */
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "transcript.h"
#include "util.h"

struct pending {
    conn_t *c;          /* NULL once orphaned (its connection is gone) */
    emu_t *emu;
    pending_t **head;   /* the list it is on: c->pending or emu->orphans */
    uv_timer_t timer;
    int is_update;      /* a PUT/DELETE completing, else a delayed reply */
    host_update_t upd;  /* is_update */
    buf_t bytes;        /* a delayed reply */
    int v2;
    char *reqid;
    pending_t *next, *prev;
};

static void emit(conn_t *c, const char *bytes, size_t len, int v2,
                 const char *reqid);
static void reply(conn_t *c, const char *bytes, size_t len, int v2,
                  const char *reqid, unsigned ms_more);

/* ------------------------------------------------------------------ */
/* Pending replies and updates                                         */
/* ------------------------------------------------------------------ */

static void pending_free(uv_handle_t *h)
{
    pending_t *p = h->data;

    host_update_clear(&p->upd);
    buf_free(&p->bytes);
    free(p->reqid);
    free(p);
}

static void pending_link(pending_t *p, pending_t **head)
{
    p->head = head;
    p->prev = NULL;
    p->next = *head;
    if (*head != NULL)
        (*head)->prev = p;
    *head = p;
}

static void pending_detach(pending_t *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        *p->head = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->next = p->prev = NULL;
}

static void pending_unlink(pending_t *p)
{
    pending_detach(p);
    uv_close((uv_handle_t *)&p->timer, pending_free);
}

static void pending_fire(uv_timer_t *t)
{
    pending_t *p = t->data;
    conn_t *c = p->c;

    pending_unlink(p);
    if (p->is_update) {
        buf_t out = {0};

        host_finish_update(&p->emu->vm, &p->upd, &out);
        emu_log(2, "update of '%.*s' done%s", (int)p->upd.key_len,
                p->upd.key, c == NULL ? " (its client is gone)" : "");
        if (c != NULL)
            reply(c, out.p, out.len, 1, p->upd.reqid, 0);
        buf_free(&out);
    } else {
        emit(c, p->bytes.p, p->bytes.len, p->v2, p->reqid);
    }
}

static pending_t *pending_add(conn_t *c, unsigned ms)
{
    pending_t *p = xcalloc(1, sizeof(*p));

    p->c = c;
    p->emu = c->emu;
    uv_timer_init(c->emu->loop, &p->timer);
    p->timer.data = p;
    pending_link(p, &c->pending);
    /* The loop's cached clock may be older than the request (a slow
     * iteration, valgrind): refresh it so the delay counts from now.
     * Equal timeouts fire in start order, so replies keep their order. */
    uv_update_time(c->emu->loop);
    uv_timer_start(&p->timer, pending_fire, ms, 0);
    return p;
}

/*
 * The connection's pending work when it goes away. Delayed replies have
 * nowhere to go. Updates are kept running (keep_updates) when only the
 * connection is gone: the agent's VM.update completes without its client.
 * When the agent itself would have died, they are lost with it.
 */
static void pending_release(conn_t *c, int keep_updates)
{
    while (c->pending != NULL) {
        pending_t *p = c->pending;

        if (keep_updates && p->is_update) {
            pending_detach(p);
            p->c = NULL;
            pending_link(p, &c->emu->orphans);
            continue;
        }
        uv_timer_stop(&p->timer);
        pending_unlink(p);
    }
}

void conn_cancel_orphans(emu_t *emu)
{
    while (emu->orphans != NULL) {
        uv_timer_stop(&emu->orphans->timer);
        pending_unlink(emu->orphans);
    }
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static void maybe_hangup(conn_t *c)
{
    if ((c->hangup_pending || c->gone_pending) && c->writes_in_flight == 0 &&
        c->wbatch.len == 0 && c->outq_off >= c->outq.len && !c->closing) {
        if (c->gone_pending) {
            c->gone_pending = 0;
            transport_gone_soon(c->emu);
        } else
            conn_drop(c, "hangup fault", 0);
    }
}

/* A write owns the bytes it sends. */
typedef struct wreq {
    uv_write_t req;
    buf_t bytes;
} wreq_t;

static void on_write(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    conn_t *c = req->data;

    buf_free(&w->bytes);
    free(w);
    c->writes_in_flight--;
    if (status < 0 && status != UV_ECANCELED)
        emu_log(2, "c%u: write: %s", c->id, uv_strerror(status));
    maybe_hangup(c);
}

/*
 * Hand what is batched to libuv in one write. The replies to the lines of
 * one chunk go out together: with many requests in flight that is one
 * system call (and one wake-up of the guest) per chunk, not per reply.
 * A guest sees the same bytes in the same order; the agent, whose replies
 * are written by node as they come, may split them differently, which a
 * byte stream never promises anyway.
 */
static void flush_batch(conn_t *c)
{
    wreq_t *w;
    uv_buf_t b;
    int rc;

    if (c->wbatch.len == 0)
        return;
    if (c->closing) {
        c->wbatch.len = 0;
        return;
    }
    w = xmalloc(sizeof(*w));
    w->bytes = c->wbatch;
    memset(&c->wbatch, 0, sizeof(c->wbatch));
    w->req.data = c;
    b = uv_buf_init(w->bytes.p, (unsigned)w->bytes.len);
    rc = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_write);
    if (rc < 0) {
        emu_log(1, "c%u: write: %s", c->id, uv_strerror(rc));
        buf_free(&w->bytes);
        free(w);
        return;
    }
    c->writes_in_flight++;
}

static void write_now(conn_t *c, const char *p, size_t n)
{
    if (n == 0 || c->closing)
        return;
    transcript_data(c->id, "H>G", p, n);
    buf_add(&c->wbatch, p, n);
    if (!c->batching)
        flush_batch(c);
}

/* bytewise: one byte per write, bytewise_gap ms apart */
static void pump(uv_timer_t *t)
{
    conn_t *c = t->data;

    if (c->outq_off < c->outq.len)
        write_now(c, c->outq.p + c->outq_off++, 1);
    if (c->outq_off >= c->outq.len) {
        c->outq.len = c->outq_off = 0;
        c->pumping = 0;
        maybe_hangup(c);
        return;
    }
    uv_timer_start(&c->byte_timer, pump, c->emu->faults.bytewise_gap, 0);
}

static void emit(conn_t *c, const char *bytes, size_t len, int v2,
                 const char *reqid)
{
    buf_t wire = {0};
    int hangup = 0;

    if (c->closing)
        return;
    fault_shape_reply(&c->emu->faults, &c->fst, bytes, len, v2, reqid,
                      &wire, &hangup);
    if (c->emu->faults.bytewise) {
        buf_add(&c->outq, wire.p, wire.len);
        if (!c->pumping) {
            c->pumping = 1;
            pump(&c->byte_timer);
        }
    } else {
        write_now(c, wire.p, wire.len);
    }
    buf_free(&wire);
    if (hangup != FAULT_KEEP) {
        emu_log(1, "c%u: fault: %s after this reply", c->id,
                hangup == FAULT_GONE ? "going away for good" : "hanging up");
        if (hangup == FAULT_GONE)
            c->gone_pending = 1;
        else
            c->hangup_pending = 1;
        maybe_hangup(c);
    }
}

/* A reply is ready: now, or after the delay, slow or v1-slow fault
 * (ms_more) on a timer: the connection reads and answers other requests
 * meanwhile. */
static void reply(conn_t *c, const char *bytes, size_t len, int v2,
                  const char *reqid, unsigned ms_more)
{
    unsigned ms = fault_reply_delay(&c->emu->faults, v2) + ms_more;
    pending_t *p;

    if (ms == 0) {
        emit(c, bytes, len, v2, reqid);
        return;
    }
    p = pending_add(c, ms);
    buf_add(&p->bytes, bytes, len);
    p->v2 = v2;
    p->reqid = reqid != NULL ? xstrdup(reqid) : NULL;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* -v: the request (printable, shortened) and what it got. */
static void log_request(conn_t *c, const char *line, size_t len,
                        const host_out_t *out)
{
    static const char *const what[] = {"no answer", "answered", "deferred",
                                       "crash"};
    char shown[81];
    size_t i, n = len < 80 ? len : 80;

    for (i = 0; i < n; i++)
        shown[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
    shown[n] = '\0';
    emu_log(2, "c%u: %s%s -> %s", c->id, shown, len > n ? "..." : "",
            what[out->action]);
}

/* One request line. Returns 0 when the connection was dropped. */
static int handle_line(conn_t *c, const char *line, size_t len)
{
    emu_t *emu = c->emu;
    host_out_t out;
    pending_t *p;
    unsigned more = 0;

    memset(&out, 0, sizeof(out));
    host_handle_line(&emu->vm, &emu->hopts, line, len, &out);
    if (emu_verbosity >= 2)
        log_request(c, line, len, &out);
    if (out.v2 && out.action != HOST_SILENT &&
        fault_drop_request(&emu->faults, &c->fst)) {
        emu_log(1, "c%u: fault: request %s dropped unanswered", c->id,
                out.reqid);
        host_out_clear(&out);
        return 1;
    }
    if (out.is_probe && fault_ignore_probe(&emu->faults, &c->fst)) {
        emu_log(1, "c%u: fault: probe ignored", c->id);
        host_out_clear(&out);
        return 1;
    }
    switch (out.action) {
    case HOST_SILENT:
        emu_log(2, "c%u: no answer: %s", c->id, out.why);
        break;
    case HOST_REPLY:
        if (!out.v2 && emu->faults.v1_slow_ms > 0) {
            uv_update_time(emu->loop); /* as pending_add does */
            more = fault_v1_line_delay(&emu->faults, &c->fst, line, len,
                                       uv_now(emu->loop));
        }
        reply(c, out.reply.p, out.reply.len, out.v2, out.reqid, more);
        break;
    case HOST_DEFERRED:
        /* answered when the (emulated) VM.update completes: at the
         * earliest after the rest of this chunk, as on a real host */
        p = pending_add(c, emu->update_delay_ms);
        p->is_update = 1;
        p->upd = out.upd;
        memset(&out.upd, 0, sizeof(out.upd));
        break;
    case HOST_CRASH:
        emu_log(0,
                "c%u: the real agent would crash here (%s); dropping this "
                "connection",
                c->id, out.why);
        host_out_clear(&out);
        conn_drop(c, "agent crash", 1);
        return 0;
    }
    host_out_clear(&out);
    return 1;
}

static void handle_lines(conn_t *c, const char *data, size_t n)
{
    buf_t *text = &c->text;
    const char *line;
    size_t len;
    int rc;

    transcript_data(c->id, "G>H", data, n);
    /* node decodes every chunk on its own: a character split between two
     * chunks becomes two U+FFFD (doc/protocol.md §2.1) */
    text->len = 0;
    emu_utf8_sanitize((const uint8_t *)data, n, text);
    if (mdata_decoder_feed(c->dec, text->p, text->len) < 0) {
        emu_log(0, "c%u: out of memory buffering input", c->id);
        conn_drop(c, "out of memory", 1);
        return;
    }
    while ((rc = mdata_decoder_next_line(c->dec, &line, &len)) != 0) {
        if (rc < 0) {
            emu_log(1, "c%u: line longer than --max-line %zu bytes ignored",
                    c->id, c->emu->max_line);
            continue;
        }
        if (!handle_line(c, line, len))
            return;
    }
}

static void handle_chunk(conn_t *c, const char *data, size_t n)
{
    c->batching = 1;
    handle_lines(c, data, n);
    c->batching = 0;
    flush_batch(c);
    maybe_hangup(c);
}

/* One read buffer per connection: a chunk is handled before the next read
 * (qemu hands a serial line over a byte at a time; no malloc per byte). */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    conn_t *c = h->data;

    (void)suggested;
    b->base = c->rbuf;
    b->len = sizeof(c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn_t *c = s->data;

    if (nread > 0) {
        handle_chunk(c, b->base, (size_t)nread);
    } else if (nread < 0) {
        if (c->kind == CONN_PTY) {
            /* cannot happen while we hold the slave open; keep going */
            emu_log(1, "pty read: %s", uv_strerror((int)nread));
        } else {
            conn_close(c, nread == UV_EOF ? "closed by the peer"
                                          : uv_strerror((int)nread));
        }
    }
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                            */
/* ------------------------------------------------------------------ */

conn_t *conn_new(emu_t *emu, conn_kind_t kind)
{
    conn_t *c = xcalloc(1, sizeof(*c));

    c->emu = emu;
    c->kind = kind;
    uv_pipe_init(emu->loop, &c->pipe, 0);
    uv_timer_init(emu->loop, &c->byte_timer);
    c->pipe.data = c;
    c->byte_timer.data = c;
    c->open_handles = 2;
    if (mdata_decoder_new(emu->max_line, &c->dec) < 0) {
        emu_log(0, "out of memory");
        abort();
    }
    c->next = emu->conns;
    if (emu->conns != NULL)
        emu->conns->prev = c;
    emu->conns = c;
    return c;
}

int conn_start(conn_t *c, const char *how)
{
    int rc;

    c->id = ++c->emu->next_conn_id;
    rc = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
    if (rc < 0) {
        emu_log(0, "cannot read: %s", uv_strerror(rc));
        return rc;
    }
    transcript_event(c->id, "connected (%s)", how);
    emu_log(2, "c%u: connected (%s)", c->id, how);
    return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
    conn_t *c = h->data;

    if (--c->open_handles > 0)
        return;
    mdata_decoder_free(c->dec);
    buf_free(&c->outq);
    buf_free(&c->wbatch);
    buf_free(&c->text);
    free(c);
}

void conn_close(conn_t *c, const char *why)
{
    emu_t *emu = c->emu;

    if (c->closing)
        return;
    flush_batch(c); /* replies given before the end still go out */
    c->closing = 1;
    if (c->id != 0) {
        transcript_event(c->id, "closed (%s)", why);
        emu_log(2, "c%u: closed (%s)", c->id, why);
    }
    pending_release(c, !c->agent_died && !emu->stopping);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        emu->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (emu->pty_conn == c)
        emu->pty_conn = NULL;
    uv_close((uv_handle_t *)&c->pipe, on_handle_closed);
    uv_close((uv_handle_t *)&c->byte_timer, on_handle_closed);
    if (c->kind == CONN_CONNECT && !emu->stopping)
        transport_connect_retry(emu);
}

void conn_drop(conn_t *c, const char *why, int agent_died)
{
    flush_batch(c); /* replies given before the drop still go out */
    c->agent_died = agent_died;
    if (c->kind != CONN_PTY) {
        conn_close(c, why);
        return;
    }
    /* a serial line has no hang-up: the guest just loses what was in
     * flight, as when the agent restarts */
    transcript_event(c->id, "session reset (%s)", why);
    pending_release(c, !agent_died);
    c->agent_died = 0;
    mdata_decoder_reset(c->dec);
    uv_timer_stop(&c->byte_timer);
    c->outq.len = c->outq_off = 0;
    c->pumping = 0;
    c->hangup_pending = 0;
    memset(&c->fst, 0, sizeof(c->fst));
}
