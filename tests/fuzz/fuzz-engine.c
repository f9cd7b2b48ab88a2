/*
 * libFuzzer target for the sans-I/O engine, driven the way a client and a
 * host would drive it: the input is a script of submits, cancels, time
 * steps, partial writes, connects and losses, arbitrary host bytes, and
 * replies from a model host. The model host reads what the engine wrote,
 * answers probes and NEGOTIATE in order (as a V2 or some kind of V1 host),
 * answers V1 requests in order, and answers any V2 frame the engine sent,
 * in any order, late, twice or damaged, with a payload that names the
 * reply ("T<serial> ..."), so a completion shows which reply it got.
 * Request ids come from the input through the config's random function.
 *
 * Contracts checked after every call:
 * - a submit fails exactly when its arguments are bad or max_pending are
 *   held, and a failed submit never completes;
 * - every accepted request completes exactly once, only after its submit
 *   returned, by its total deadline at the latest, and all of them once the
 *   connection is lost or the clock runs on;
 * - a reply value is the very payload served for a frame (or V1 request)
 *   of the same operation and arguments, and no served reply completes two
 *   requests; a status says what the reply's code said;
 * - memory and output stay bounded: bytes written per call by the requests
 *   held and the lines read, memory held by the requests held and the
 *   configured line bound (measured by the sanitizer's allocator, or
 *   glibc's, when there is one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__) && !defined(_WIN32)
#include <malloc.h>
#endif

#include "engine/engine.h"
#include "mdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz-engine: check failed at line %d: %s\n",     \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* FUZZ_ENGINE_TRACE=1 in the environment: say what a run does (to tell
 * an engine bug from a model bug when a check fails). */
static int tracing;
#define TRACE(...)                                                            \
    do {                                                                      \
        if (tracing)                                                          \
            fprintf(stderr, __VA_ARGS__);                                     \
    } while (0)

#define MAX_REQS 128   /* submits tracked per input; more are skipped */
#define MAX_FRAMES 256 /* V2 frames the engine sent, per input */
#define MAX_TOKENS 256 /* replies served, per input */
#define MAX_KEY 24
#define MAX_VAL 48
#define MAX_LINE 2048  /* host-side line buffer */
#define MAX_QUEUE 64   /* non-V2 lines waiting for the host's answer */

/* ---- the input ---- */

typedef struct input {
    const uint8_t *p;
    size_t left;
    uint32_t fallback; /* random ids once the input is used up */
} input_t;

static uint8_t take_u8(input_t *in)
{
    uint8_t b;

    if (in->left == 0)
        return 0;
    b = *in->p++;
    in->left--;
    return b;
}

static uint16_t take_u16(input_t *in)
{
    uint16_t hi = take_u8(in);

    return (uint16_t)(hi << 8 | take_u8(in));
}

static size_t take_bytes(input_t *in, uint8_t *dst, size_t max)
{
    size_t n = take_u8(in) % (max + 1);

    if (n > in->left)
        n = in->left;
    memcpy(dst, in->p, n);
    in->p += n;
    in->left -= n;
    return n;
}

/* Request ids from the input: often one of eight, so ids collide with
 * those in use; a counter once the input is used up (any source that
 * keeps giving used ids would stall the engine, as it should). */
static uint32_t fuzz_random(void *ctx)
{
    input_t *in = ctx;
    uint8_t b;

    if (in->left == 0)
        return ++in->fallback * 2654435761u;
    b = take_u8(in);
    if (b & 0x80)
        return b & 7;
    return (uint32_t)take_u16(in) << 16 | take_u16(in);
}

/* ---- the model ---- */

enum req_state { REQ_PENDING = 1, REQ_DONE };

typedef struct req {
    uint32_t id;
    int op;
    enum req_state state;
    char key[MAX_KEY + 1];
    uint8_t val[MAX_VAL];
    size_t val_len;
    uint64_t deadline;
    unsigned done_action;    /* the action that completed it */
    char code[MDATA_CODE_MAX + 1]; /* V2 code of its frames */
    char arg[2 * (MAX_KEY + MAX_VAL) + 8]; /* V2 argument of its frames */
    size_t arg_len;
} req_t;

typedef struct frame_rec {
    char reqid[MDATA_REQID_MAX + 1];
    char code[MDATA_CODE_MAX + 1];
    char arg[sizeof(((req_t *)0)->arg)];
    size_t arg_len;
} frame_rec_t;

/* A reply served: for a V2 frame (frame >= 0) or a V1 request. */
typedef struct token {
    int frame;
    char v1_line[MAX_KEY + 16]; /* "GET key" or "KEYS" */
    uint8_t payload[MAX_VAL + 64];
    size_t payload_len;
    size_t fill_len;    /* a large reply: payload, then this many ... */
    uint8_t fill;       /* ... of this byte */
    int status; /* what its code means */
    int used;
} token_t;

enum host_kind { HOST_V2 = 0, HOST_V1_INVALID, HOST_V1_FAILURE,
                 HOST_V1_SUCCESS, HOST_ODD, HOST_KINDS };

enum done_cause { BY_CALL = 0, BY_RAW, BY_REPLY, BY_HOST, BY_FAIL_ALL };

typedef struct model {
    mdata__engine_t *e;
    mdata__engine_config_t cfg;
    input_t in;
    uint64_t now, timeout;
    int connected;
    enum host_kind host;
    int v1_tainted;     /* junk went in on this connection: a V1 reply
                         * cannot be told from it */
    req_t reqs[MAX_REQS];
    size_t nreqs, pending, peak_pending;
    frame_rec_t frames[MAX_FRAMES];
    size_t nframes;
    token_t tokens[MAX_TOKENS];
    size_t ntokens;
    /* what the host read: the line being written, lines to answer */
    char line[MAX_LINE];
    size_t line_len;
    int line_overlong;
    char queue[MAX_QUEUE][MAX_KEY + 16];
    size_t qhead, qlen;
    unsigned action;    /* actions run so far */
    unsigned losses;    /* connections lost */
    unsigned bigs;      /* large replies sent */
    int frames_lost;    /* more frames than MAX_FRAMES */
    char dropped[8192]; /* what lost connections never sent */
    size_t dropped_len;
    /* bounds */
    size_t mem_base, out_peak, feed_peak;
    size_t own_bytes;   /* the model's own buffers while they live */
    uint64_t bytes_out;
} model_t;

static size_t allocated_bytes(void);

static req_t *req_by_id(model_t *m, uint32_t id)
{
    size_t i;

    for (i = 0; i < m->nreqs; i++)
        if (m->reqs[i].id == id)
            return &m->reqs[i];
    return NULL;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* The keys the host can address (the engine's rule, restated). */
static int key_ok(const char *k)
{
    size_t n = strlen(k);

    return n > 0 && strpbrk(k, "\r\n") == NULL &&
           !is_space((unsigned char)k[0]) && !is_space((unsigned char)k[n - 1]);
}

static size_t out_pending(const model_t *m)
{
    size_t n;

    (void)mdata__engine_output(m->e, &n);
    return n;
}

/* Most bytes one request can add to the output in one call. */
static size_t frame_bound(const req_t *r)
{
    return mdata_frame_encoded_size(8, 6, r->arg_len) + 8 + strlen(r->key);
}

/* ---- checks after every call ---- */

/*
 * Did a later attempt get the request id of frame f? Ids are unique only
 * among pending requests: once a request is done its ids may come again
 * (the fuzzer's ids often do), and a late reply to f then answers the
 * newer request, which no client can tell. Frames still in the engine's
 * output count too.
 */
static int reqid_reused(const model_t *m, const frame_rec_t *f)
{
    char needle[MDATA_REQID_MAX + 3], *all;
    const char *out;
    size_t n, k, i;
    int found = 0;

    if (m->frames_lost)
        return 1;
    for (i = (size_t)(f - m->frames) + 1; i < m->nframes; i++)
        if (strcmp(m->frames[i].reqid, f->reqid) == 0)
            return 1;
    /* what lost connections never sent, the line the host is reading,
     * then what is still to be written */
    k = (size_t)snprintf(needle, sizeof(needle), " %s ", f->reqid);
    out = mdata__engine_output(m->e, &n);
    all = malloc(m->dropped_len + m->line_len + n + 1);
    CHECK(all != NULL);
    memcpy(all, m->dropped, m->dropped_len);
    memcpy(all + m->dropped_len, m->line, m->line_len);
    memcpy(all + m->dropped_len + m->line_len, out, n);
    n += m->dropped_len + m->line_len;
    for (i = 0; i + k <= n && !found; i++)
        found = memcmp(all + i, needle, k) == 0;
    free(all);
    return found;
}

static int token_matches(const model_t *m, const token_t *t, const req_t *r)
{
    char v1[sizeof(t->v1_line)];

    if (t->frame >= 0) {
        const frame_rec_t *f = &m->frames[t->frame];

        return (strcmp(f->code, r->code) == 0 && f->arg_len == r->arg_len &&
                memcmp(f->arg, r->arg, r->arg_len) == 0) ||
               reqid_reused(m, f);
    }
    if (r->op == MDATA__OP_KEYS)
        return strcmp(t->v1_line, "KEYS") == 0;
    snprintf(v1, sizeof(v1), "GET %s", r->key);
    return r->op == MDATA__OP_GET && strcmp(t->v1_line, v1) == 0;
}

/* The served reply a value names, or NULL. */
static token_t *token_of(model_t *m, const uint8_t *v, size_t n)
{
    unsigned serial = 0;
    size_t i;

    if (n < 2 || v[0] != 'T')
        return NULL;
    for (i = 1; i < n && v[i] >= '0' && v[i] <= '9' && i < 8; i++)
        serial = serial * 10 + (unsigned)(v[i] - '0');
    if (i == 1 || serial >= m->ntokens)
        return NULL;
    return &m->tokens[serial];
}

static void check_reply_value(model_t *m, const req_t *r,
                              const mdata__done_t *d, enum done_cause cause)
{
    token_t *t = token_of(m, d->value, d->value_len);
    size_t i;

    if (cause == BY_RAW || (cause == BY_HOST && m->v1_tainted))
        return; /* junk could say anything */
    /* A value only comes with a reply. */
    CHECK(cause == BY_REPLY || cause == BY_HOST);
    if (cause == BY_HOST && d->status == MDATA_EREMOTE)
        return; /* V1: the message is the reply's header line */
    CHECK(t != NULL);
    /* once, unless a duplicate met a later request with the same id */
    CHECK(!t->used ||
          (t->frame >= 0 && reqid_reused(m, &m->frames[t->frame])));
    t->used = 1;
    CHECK(token_matches(m, t, r));
    CHECK(d->status == t->status);
    CHECK(d->value_len == t->payload_len + t->fill_len &&
          memcmp(d->value, t->payload, t->payload_len) == 0);
    for (i = t->payload_len; i < d->value_len; i++)
        CHECK(d->value[i] == t->fill);
}

static void drain(model_t *m, enum done_cause cause, int fail_status)
{
    mdata__done_t d;

    while (mdata__engine_next_done(m->e, &d) == 1) {
        req_t *r = req_by_id(m, d.id);

        TRACE("  done id %u status %d value '%.*s'\n", (unsigned)d.id, d.status,
              (int)d.value_len, (const char *)d.value);
        CHECK(r != NULL && r->state == REQ_PENDING);
        CHECK(d.ud == r && (int)d.op == r->op);
        CHECK(d.value != NULL);
        /* attempts a lost connection cut short do not count */
        CHECK(d.attempts <= m->cfg.max_attempts + m->losses);
        r->state = REQ_DONE;
        r->done_action = m->action;
        m->pending--;
        if (cause == BY_FAIL_ALL) {
            CHECK(d.status == fail_status);
            CHECK(d.value_len == 0);
            continue;
        }
        switch (d.status) {
        case 0:
            if (r->op == MDATA__OP_CONNECT) {
                CHECK(d.value_len == 0 && d.attempts == 0);
                break;
            }
            check_reply_value(m, r, &d, cause);
            break;
        case MDATA_ENOTFOUND:
        case MDATA_EREMOTE:
            CHECK(r->op != MDATA__OP_CONNECT);
            if (d.value_len > 0 || cause == BY_REPLY)
                check_reply_value(m, r, &d, cause);
            else
                CHECK(cause == BY_HOST || cause == BY_RAW);
            break;
        case MDATA_ENOTSUP:
            /* V1: PUT and DELETE, or the host's "invalid command" */
            CHECK(d.value_len == 0);
            break;
        default:
            CHECK(d.status < 0 && d.status != MDATA_EINVAL &&
                  d.status != MDATA_EBUSY);
            CHECK(d.value_len == 0);
            break;
        }
    }
}

/* After a call that ran the engine's clock: nothing pending is past its
 * total deadline, nothing is held beyond the bounds. */
static void check_state(model_t *m, uint64_t out_before, size_t lines_in,
                        size_t feed_len)
{
    size_t i, allow = 16 * (lines_in + 3), held = 0, mem;
    uint64_t out_now = mdata__engine_counter(m->e, MDATA_COUNTER_BYTES_OUT);

    for (i = 0; i < m->nreqs; i++) {
        const req_t *r = &m->reqs[i];

        if (r->state == REQ_DONE && r->done_action == m->action)
            allow += frame_bound(r); /* it may have gone out first */
        if (r->state != REQ_PENDING)
            continue;
        CHECK(r->deadline > m->now);
        allow += frame_bound(r);
        held += 4 * (strlen(r->key) + r->val_len) + 1024;
    }
    /* Each request held goes out at most once per call; handshake and
     * probe lines at most a few per line read. */
    CHECK(out_now - out_before <= allow);
    if (m->pending > 0) {
        CHECK(mdata__engine_busy(m->e));
        CHECK(mdata__engine_next_deadline(m->e) != UINT64_MAX);
        if (!m->connected)
            CHECK(mdata__engine_want_connect(m->e));
    }
    CHECK(m->pending <= m->cfg.max_pending);
    if (out_pending(m) > m->out_peak)
        m->out_peak = out_pending(m);
    if (feed_len > m->feed_peak)
        m->feed_peak = feed_len;
    mem = allocated_bytes();
    if (mem != 0 && m->mem_base != 0) {
        size_t line = mdata_frame_encoded_size(MDATA_REQID_MAX, MDATA_CODE_MAX,
                                               m->cfg.max_reply);

        CHECK(mem <= m->mem_base + m->own_bytes + (64u << 10) + held +
                         m->peak_pending * 1024 + 2 * m->out_peak +
                         4 * line + 2 * m->feed_peak);
    }
}

/* ---- memory ---- */

#if defined(__GNUC__) && !defined(_WIN32)
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));
#endif

static size_t allocated_bytes(void)
{
#if defined(__GNUC__) && !defined(_WIN32)
    if (__sanitizer_get_current_allocated_bytes != NULL)
        return __sanitizer_get_current_allocated_bytes();
#endif
#if defined(__GLIBC__) && !defined(_WIN32) &&                                 \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

/* ---- the host reading what the engine wrote ---- */

static void host_queue(model_t *m, const char *line)
{
    if (m->qlen == MAX_QUEUE)
        return; /* a host this far behind drops lines */
    snprintf(m->queue[(m->qhead + m->qlen) % MAX_QUEUE], sizeof(m->queue[0]),
             "%s", line);
    m->qlen++;
}

/* One line the engine wrote: it must be a probe, NEGOTIATE, or a request
 * some submit asked for. */
static void host_read_line(model_t *m, const char *line, size_t len)
{
    size_t i;

    if (len >= 3 && memcmp(line, "V2 ", 3) == 0) {
        uint8_t buf[MAX_LINE];
        mdata_frame_t f;
        int known = 0;

        CHECK(mdata_base64_decoded_maxlen(len) <= sizeof(buf));
        CHECK(mdata_frame_parse(line, len, buf, &f, NULL) == 0);
        CHECK(strlen(f.reqid) == 8);
        for (i = 0; i < m->nreqs && !known; i++)
            known = strcmp(m->reqs[i].code, f.code) == 0 &&
                    m->reqs[i].arg_len == f.payload_len &&
                    memcmp(m->reqs[i].arg, f.payload, f.payload_len) == 0;
        CHECK(known);
        if (m->nframes < MAX_FRAMES) {
            frame_rec_t *fr = &m->frames[m->nframes++];

            memcpy(fr->reqid, f.reqid, sizeof(fr->reqid));
            snprintf(fr->code, sizeof(fr->code), "%s", f.code);
            memcpy(fr->arg, f.payload, f.payload_len);
            fr->arg_len = f.payload_len;
        } else {
            m->frames_lost = 1;
        }
        return;
    }
    if (len == 0 || (len == 12 && memcmp(line, "NEGOTIATE V2", 12) == 0) ||
        (len == 4 && memcmp(line, "KEYS", 4) == 0)) {
        char copy[16];

        memcpy(copy, line, len);
        copy[len] = '\0';
        host_queue(m, copy);
        return;
    }
    CHECK(len > 4 && memcmp(line, "GET ", 4) == 0 && len <= MAX_KEY + 4);
    {
        char copy[MAX_KEY + 8];
        int known = 0;

        memcpy(copy, line, len);
        copy[len] = '\0';
        for (i = 0; i < m->nreqs && !known; i++)
            known = m->reqs[i].op == MDATA__OP_GET &&
                    strcmp(m->reqs[i].key, copy + 4) == 0;
        CHECK(known);
        host_queue(m, copy);
    }
}

static void host_read(model_t *m, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == '\n') {
            CHECK(!m->line_overlong);
            host_read_line(m, m->line, m->line_len);
            m->line_len = 0;
        } else if (m->line_len < MAX_LINE) {
            m->line[m->line_len++] = p[i];
        } else {
            m->line_overlong = 1;
        }
    }
}

/* ---- actions ---- */

static void submit(model_t *m)
{
    static const int ops[] = {MDATA__OP_GET, MDATA__OP_GET, MDATA__OP_KEYS,
                              MDATA__OP_PUT, MDATA__OP_DELETE,
                              MDATA__OP_CONNECT, 0, 6};
    uint8_t sel = take_u8(&m->in);
    int op = ops[sel % 8];
    req_t *r;
    uint8_t key[MAX_KEY];
    size_t klen = take_bytes(&m->in, key, MAX_KEY), i;
    uint32_t id = 0;
    uint64_t before = mdata__engine_counter(m->e, MDATA_COUNTER_BYTES_OUT);
    int rc, want;
    mdata_error_t err;

    if (m->nreqs == MAX_REQS)
        return;
    r = &m->reqs[m->nreqs];
    memset(r, 0, sizeof(*r));
    /* Mostly short keys of a small alphabet, so keys repeat. */
    for (i = 0; i < klen; i++)
        r->key[i] = (sel & 0x80) ? (char)key[i] : (char)('a' + key[i] % 3);
    r->key[klen] = '\0';
    klen = strlen(r->key); /* the engine sees the key up to a NUL */
    if (op == MDATA__OP_PUT)
        r->val_len = take_bytes(&m->in, r->val, MAX_VAL);
    r->op = op;
    r->deadline = m->now + m->timeout;

    if (op < MDATA__OP_GET || op > MDATA__OP_CONNECT)
        want = MDATA_EINVAL;
    else if (op != MDATA__OP_KEYS && op != MDATA__OP_CONNECT &&
             !key_ok(r->key))
        want = MDATA_EINVAL;
    else if (op == MDATA__OP_PUT && r->val_len == 0)
        want = MDATA_EINVAL;
    else if (m->pending >= m->cfg.max_pending)
        want = MDATA_EBUSY;
    else
        want = 0;

    memset(&err, 0, sizeof(err));
    TRACE("submit op %d key '%s' -> ", op, r->key);
    rc = mdata__engine_submit(m->e, op, r->key, r->val, r->val_len, r, m->now,
                              &id, &err);
    TRACE("%d id %u\n", rc, (unsigned)id);
    CHECK(rc == want);
    if (rc < 0) {
        CHECK(err.code == rc && err.text[0] != '\0');
        /* a refused submit completes nothing */
        CHECK(mdata__engine_next_done(m->e, &(mdata__done_t){0}) == 0);
        return;
    }
    CHECK(id != 0 && req_by_id(m, id) == NULL);
    r->id = id;
    r->state = REQ_PENDING;
    if (op == MDATA__OP_PUT) {
        size_t kb = mdata_base64_encode(r->key, strlen(r->key), r->arg);

        r->arg[kb] = ' ';
        r->arg_len = kb + 1 + mdata_base64_encode(r->val, r->val_len,
                                                  r->arg + kb + 1);
    } else if (op != MDATA__OP_KEYS && op != MDATA__OP_CONNECT) {
        r->arg_len = strlen(r->key);
        memcpy(r->arg, r->key, r->arg_len);
    }
    snprintf(r->code, sizeof(r->code), "%s",
             op == MDATA__OP_GET    ? "GET"
             : op == MDATA__OP_KEYS ? "KEYS"
             : op == MDATA__OP_PUT  ? "PUT"
             : op == MDATA__OP_DELETE ? "DELETE"
                                      : "-");
    m->nreqs++;
    m->pending++;
    if (m->pending > m->peak_pending)
        m->peak_pending = m->pending;
    drain(m, BY_CALL, 0);
    check_state(m, before, 0, 0);
}

static size_t count_lf(const void *p, size_t n)
{
    const char *c = p;
    size_t i, k = 0;

    for (i = 0; i < n; i++)
        k += c[i] == '\n';
    return k;
}

static void feed(model_t *m, const void *p, size_t n, enum done_cause cause)
{
    uint64_t before = mdata__engine_counter(m->e, MDATA_COUNTER_BYTES_OUT);

    TRACE("feed %d '%.*s'\n", (int)cause, (int)n, (const char *)p);
    CHECK(mdata__engine_feed(m->e, p, n, m->now) == 0);
    drain(m, cause, 0);
    check_state(m, before, count_lf(p, n), n);
}

static void feed_raw(model_t *m)
{
    uint8_t buf[256];
    size_t n = take_bytes(&m->in, buf, sizeof(buf) - 1);

    m->v1_tainted = 1;
    feed(m, buf, n, BY_RAW);
}

/* The host answers the oldest line it has not answered. */
static void host_step(model_t *m)
{
    char line[sizeof(m->queue[0])], reply[256];
    uint8_t kind = take_u8(&m->in);
    size_t n = 0;

    if (m->qlen == 0)
        return;
    snprintf(line, sizeof(line), "%s", m->queue[m->qhead]);
    m->qhead = (m->qhead + 1) % MAX_QUEUE;
    m->qlen--;
    if (line[0] == '\0') {
        n = (size_t)snprintf(reply, sizeof(reply), "invalid command\n");
    } else if (strcmp(line, "NEGOTIATE V2") == 0) {
        static const char *const answers[HOST_KINDS] = {
            "V2_OK\n", "invalid command\n", "FAILURE\n", "SUCCESS\nx\n.\n",
            "what?\n"};

        n = (size_t)snprintf(reply, sizeof(reply), "%s", answers[m->host]);
    } else if (m->ntokens < MAX_TOKENS) {
        /* A V1 request: the value names its reply. */
        token_t *t = &m->tokens[m->ntokens];

        memset(t, 0, sizeof(*t));
        t->frame = -1;
        snprintf(t->v1_line, sizeof(t->v1_line), "%s", line);
        switch (kind % 4) {
        case 0:
        case 1:
            t->status = 0;
            t->payload_len = (size_t)snprintf((char *)t->payload,
                                              sizeof(t->payload), "T%zu %s",
                                              m->ntokens, line);
            n = (size_t)snprintf(reply, sizeof(reply), "SUCCESS\n%s\n.\n",
                                 (char *)t->payload);
            break;
        case 2:
            t->status = MDATA_ENOTFOUND;
            n = (size_t)snprintf(reply, sizeof(reply), "NOTFOUND\n");
            break;
        default:
            t->status = MDATA_EREMOTE;
            n = (size_t)snprintf(reply, sizeof(reply), "FAILURE\n");
            break;
        }
        m->ntokens++;
    }
    if (n >= sizeof(reply))
        n = sizeof(reply) - 1;
    if (n > 0)
        feed(m, reply, n, BY_HOST);
}

/* Feed a reply in pieces: first bytes, then n at a time (the large path
 * parses the header as it comes and decodes the rest chunk by chunk). */
static void feed_chunks(model_t *m, const char *p, size_t len, size_t first,
                        size_t n, enum done_cause cause)
{
    size_t at;

    feed(m, p, first < len ? first : len, cause);
    for (at = first; at < len; at += n)
        feed(m, p + at, len - at < n ? len - at : n, cause);
}

/*
 * A V2 reply to a frame the engine sent: any of them, in any order, whole,
 * split, twice, cut short or with a bit flipped; or a large one (over
 * MDATA__STREAM_MIN, decoded as it arrives) in pieces, perhaps damaged.
 */
static void v2_reply(model_t *m)
{
    static const char *const codes[] = {"SUCCESS", "SUCCESS", "NOTFOUND",
                                        "FAILURE", "BOGUS"};
    static const int statuses[] = {0, 0, MDATA_ENOTFOUND, MDATA_EREMOTE,
                                   MDATA_EREMOTE};
    uint8_t pick = take_u8(&m->in), how = take_u8(&m->in);
    uint8_t filler[MAX_VAL], *payload;
    size_t nfill = take_bytes(&m->in, filler, MAX_VAL);
    const frame_rec_t *f;
    token_t *t;
    char *buf;
    size_t len, cut, total, cap;
    int c = (how >> 4) % 5, mode = how % 8;
    /* two large ones per input at most: they cost a thousand small ones */
    int big = (mode == 5 || mode == 6) && m->bigs < 2;
    enum done_cause cause = BY_REPLY;

    if (m->nframes == 0 || m->ntokens == MAX_TOKENS || !m->connected ||
        m->host != HOST_V2)
        return;
    if (mdata__engine_protocol(m->e) != MDATA__PROTO_V2)
        cause = BY_RAW; /* junk made it take the host for V1 */
    f = &m->frames[pick % m->nframes];
    t = &m->tokens[m->ntokens];
    memset(t, 0, sizeof(*t));
    t->frame = (int)(f - m->frames);
    t->status = statuses[c];
    t->payload_len = (size_t)snprintf((char *)t->payload, sizeof(t->payload),
                                      "T%zu ", m->ntokens);
    memcpy(t->payload + t->payload_len, filler, nfill);
    t->payload_len += nfill;
    if (big) {
        m->bigs++;
        t->fill_len = 49200 + (size_t)take_u8(&m->in) * 64;
        t->fill = nfill > 0 ? filler[0] : 'x';
    }
    m->ntokens++;
    total = t->payload_len + t->fill_len;
    payload = malloc(total);
    cap = mdata_frame_encoded_size(strlen(f->reqid), strlen(codes[c]), total);
    buf = malloc(cap);
    CHECK(payload != NULL && buf != NULL);
    m->own_bytes = total + cap;
    memcpy(payload, t->payload, t->payload_len);
    memset(payload + t->payload_len, t->fill, t->fill_len);
    CHECK(mdata_frame_encode(f->reqid, codes[c], payload, total, buf, cap,
                             &len) == 0);
    cut = (size_t)take_u8(&m->in) * len / 256;
    if (mode == 2 || mode == 6) {
        /* one bit flipped: never a value, unless the frame still says the
         * same (a CRC digit's case) */
        uint8_t *dec = malloc(mdata_base64_decoded_maxlen(len));
        mdata_frame_t same;

        CHECK(dec != NULL);
        buf[cut] ^= (char)(1u << (take_u8(&m->in) % 8));
        t->used = buf[len - 1] != '\n' ||
                  mdata_frame_parse(buf, len - 1, dec, &same, NULL) != 0 ||
                  strcmp(same.reqid, f->reqid) != 0 ||
                  same.payload_len != total ||
                  memcmp(same.payload, payload, total) != 0;
        free(dec);
    }
    switch (mode) {
    case 0: /* in two pieces */
        feed(m, buf, cut, cause);
        feed(m, buf + cut, len - cut, cause);
        break;
    case 1: /* twice: the second is stale */
        feed(m, buf, len, cause);
        feed(m, buf, len, cause);
        break;
    case 3: /* cut short: it spoils whatever line follows */
        t->used = 1;
        m->v1_tainted = 1;
        feed(m, buf, cut, cause);
        break;
    case 5:
    case 6:
        if (!big) {
            feed(m, buf, len, cause);
            break;
        }
        feed_chunks(m, buf, len, 1 + cut % 64,
                    512 + (size_t)take_u8(&m->in) * 256, cause);
        break;
    default:
        feed(m, buf, len, cause);
        break;
    }
    free(buf);
    free(payload);
    m->own_bytes = 0;
}

static void tick(model_t *m, uint64_t to)
{
    uint64_t before = mdata__engine_counter(m->e, MDATA_COUNTER_BYTES_OUT);

    if (to > m->now)
        m->now = to;
    TRACE("tick %llu\n", (unsigned long long)m->now);
    mdata__engine_tick(m->e, m->now);
    drain(m, BY_CALL, 0);
    check_state(m, before, 0, 0);
}

static void output_done(model_t *m)
{
    uint8_t frac = take_u8(&m->in);
    uint64_t before = mdata__engine_counter(m->e, MDATA_COUNTER_BYTES_OUT);
    size_t n;
    const char *p = mdata__engine_output(m->e, &n);

    if (frac < 128)
        n = n * frac / 128;
    TRACE("written '%.*s'\n", (int)n, p);
    host_read(m, p, n);
    mdata__engine_output_done(m->e, n, m->now);
    drain(m, BY_CALL, 0);
    check_state(m, before, 0, 0);
}

static void cancel(model_t *m)
{
    uint8_t pick = take_u8(&m->in);
    uint32_t id = m->nreqs > 0 && pick < 250 ? m->reqs[pick % m->nreqs].id
                                              : (uint32_t)pick << 24;
    req_t *r = req_by_id(m, id);
    uint64_t before = mdata__engine_counter(m->e, MDATA_COUNTER_BYTES_OUT);
    mdata__done_t d;
    int rc = mdata__engine_cancel(m->e, id, m->now);

    TRACE("cancel %u -> %d\n", (unsigned)id, rc);
    if (r == NULL || r->state != REQ_PENDING) {
        CHECK(rc == MDATA_EINVAL);
        return;
    }
    CHECK(rc == 0);
    /* the canceled one first, then whatever the clock finished */
    CHECK(mdata__engine_next_done(m->e, &d) == 1);
    CHECK(d.id == id && d.status == MDATA_ECANCELED && d.value_len == 0);
    r->state = REQ_DONE;
    m->pending--;
    drain(m, BY_CALL, 0);
    check_state(m, before, 0, 0);
}

/* The connection is gone: requests in flight wait for the next one. */
static void lose(model_t *m)
{
    size_t n;
    const char *out = mdata__engine_output(m->e, &n);

    /* Frames never sent still had ids, which may come again. */
    if (m->dropped_len + m->line_len + n + 1 <= sizeof(m->dropped)) {
        memcpy(m->dropped + m->dropped_len, m->line, m->line_len);
        memcpy(m->dropped + m->dropped_len + m->line_len, out, n);
        m->dropped_len += m->line_len + n;
        m->dropped[m->dropped_len++] = '\n';
    } else {
        m->frames_lost = 1;
    }
    TRACE("lost\n");
    mdata__engine_lost(m->e, m->now);
    m->losses++;
    drain(m, BY_CALL, 0);
    CHECK(out_pending(m) == 0);
    if (m->pending > 0)
        CHECK(mdata__engine_want_connect(m->e));
    m->connected = 0;
    m->line_len = 0;
    m->line_overlong = 0;
    m->qlen = 0;
}

static void connect_or_lose(model_t *m)
{
    uint8_t b = take_u8(&m->in);
    uint64_t before = mdata__engine_counter(m->e, MDATA_COUNTER_BYTES_OUT);

    if (m->connected) {
        lose(m);
        return;
    }
    m->connected = 1;
    m->host = (enum host_kind)(b % HOST_KINDS);
    m->v1_tainted = 0;
    TRACE("connected, host kind %d\n", (int)m->host);
    mdata__engine_connected(m->e, m->now);
    drain(m, BY_CALL, 0);
    check_state(m, before, 0, 0);
}

static void settings(model_t *m)
{
    uint8_t b = take_u8(&m->in);

    if (b & 1) {
        m->timeout = 1 + (uint64_t)(b >> 1) * 100;
        mdata__engine_set_timeout(m->e, m->timeout);
    } else {
        mdata__engine_set_wait_status(m->e, b & 2 ? MDATA_ELOCKED
                                                  : MDATA_ETIMEDOUT);
    }
}

/* As the client uses it: a connection could not be opened, failed for
 * good (it goes too), or the client closes. */
static void fail_all(model_t *m)
{
    static const int statuses[] = {MDATA_ENOMEM, MDATA_ENODEV, MDATA_EIO,
                                   MDATA_ECANCELED};
    int status = statuses[take_u8(&m->in) % 4];
    size_t i;

    TRACE("fail_all %d\n", status);
    mdata__engine_fail_all(m->e, status);
    drain(m, BY_FAIL_ALL, status);
    for (i = 0; i < m->nreqs; i++)
        CHECK(m->reqs[i].state != REQ_PENDING);
    if (m->connected)
        lose(m);
}

/* ---- the run ---- */

static void configure(model_t *m)
{
    mdata__engine_config_t *c = &m->cfg;
    uint8_t cap = take_u8(&m->in);

    mdata__engine_config_defaults(c);
    c->max_attempts = 1 + take_u8(&m->in) % 5;
    c->max_inflight = 1 + take_u8(&m->in) % 4;
    c->max_pending = 1 + take_u8(&m->in) % 16;
    c->max_reply = 1 + take_u16(&m->in) % 1024;
    if (cap & 0x80) /* room for large replies */
        c->max_reply = (size_t)128 << 10;
    c->read_attempt_ms = 1 + (uint64_t)take_u8(&m->in) * 8;
    c->write_attempt_ms = 1 + (uint64_t)take_u8(&m->in) * 8;
    c->handshake_ms = 1 + (uint64_t)take_u8(&m->in) * 4;
    c->backoff_initial_ms = (uint64_t)take_u8(&m->in) * 2;
    c->backoff_max_ms = (uint64_t)take_u8(&m->in) * 8;
    c->timeout_ms = 1 + (uint64_t)take_u8(&m->in) * 40;
    /* a GET key with a bound of its own */
    CHECK(mdata__engine_config_key_cap(c, "a", cap % 32) == 0);
    c->random = fuzz_random;
    c->random_ctx = &m->in;
    m->timeout = c->timeout_ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static model_t model;
    model_t *m = &model;
    size_t i;

    memset(m, 0, sizeof(*m));
    tracing = getenv("FUZZ_ENGINE_TRACE") != NULL;
    m->in.p = data;
    m->in.left = size;
    m->now = 1000;
    configure(m);
    CHECK(mdata__engine_new(&m->cfg, &m->e) == 0);
    m->mem_base = allocated_bytes();
    if (take_u8(&m->in) & 1)
        connect_or_lose(m);

    while (m->in.left > 0) {
        m->action++;
        switch (take_u8(&m->in) % 16) {
        case 0:
        case 1:
        case 2:
            submit(m);
            break;
        case 3:
            feed_raw(m);
            break;
        case 4:
        case 5:
            host_step(m);
            break;
        case 6:
        case 7:
            v2_reply(m);
            break;
        case 8:
            tick(m, m->now + take_u8(&m->in));
            break;
        case 9:
            tick(m, mdata__engine_next_deadline(m->e) == UINT64_MAX
                        ? m->now
                        : mdata__engine_next_deadline(m->e));
            break;
        case 10:
        case 11:
            output_done(m);
            break;
        case 12:
            cancel(m);
            break;
        case 13:
            connect_or_lose(m);
            break;
        case 14:
            settings(m);
            break;
        default:
            if (take_u8(&m->in) == 0)
                fail_all(m);
            else
                tick(m, m->now + (uint64_t)take_u8(&m->in) * 256);
            break;
        }
    }

    /* The clock runs on: every request reaches its deadline. */
    tick(m, m->now + 100000000);
    for (i = 0; i < m->nreqs; i++)
        CHECK(m->reqs[i].state != REQ_PENDING);
    CHECK(m->pending == 0);
    if (m->connected)
        lose(m);
    mdata__engine_free(m->e);
    return 0;
}
