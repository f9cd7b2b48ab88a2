/*
 * Engine core: configuration, the request table, output buffer, deadlines,
 * retries and sending. Line handling is in rx.c.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

void mdata__engine_config_defaults(mdata__engine_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->timeout_ms = 30000;
    cfg->read_attempt_ms = 3000;
    cfg->write_attempt_ms = 10000;
    cfg->handshake_ms = 2000;
    cfg->backoff_initial_ms = 100;
    cfg->backoff_max_ms = 2000;
    cfg->max_attempts = 4;
    cfg->max_inflight = 16;
    cfg->max_pending = 4096;
    cfg->max_reply = (size_t)64 << 20;
    /* The typed values are small on any real VM (32 nics are some 20 KiB);
     * bounds far above that keep a hostile host from filling memory. */
    (void)mdata__engine_config_key_cap(cfg, "sdc:nics", (size_t)1 << 20);
    (void)mdata__engine_config_key_cap(cfg, "sdc:routes", (size_t)256 << 10);
    (void)mdata__engine_config_key_cap(cfg, "sdc:resolvers",
                                       (size_t)64 << 10);
    (void)mdata__engine_config_key_cap(cfg, "sdc:hostname", 4096);
    (void)mdata__engine_config_key_cap(cfg, "sdc:dns_domain", 4096);
}

int mdata__engine_config_key_cap(mdata__engine_config_t *cfg,
                                 const char *key, size_t bytes)
{
    mdata__key_cap_t *slot = NULL;
    size_t i, n = strlen(key);

    if (n >= MDATA__KEY_CAP_LEN)
        return MDATA_EINVAL;
    for (i = 0; i < MDATA__KEY_CAPS; i++) {
        mdata__key_cap_t *c = &cfg->key_caps[i];

        if (strcmp(c->key, key) == 0 && c->key[0] != '\0') {
            slot = c;
            break;
        }
        if (c->key[0] == '\0' && slot == NULL)
            slot = c;
    }
    if (slot == NULL)
        return bytes == 0 ? 0 : MDATA_EINVAL;
    if (bytes == 0) {
        if (strcmp(slot->key, key) == 0)
            memset(slot, 0, sizeof(*slot));
        return 0;
    }
    memcpy(slot->key, key, n + 1);
    slot->max = bytes;
    return 0;
}

/* The largest value a GET of key may bring back. */
static size_t max_reply_for(const mdata__engine_t *e, mdata__op_t op,
                            const char *key)
{
    size_t i;

    if (op == MDATA__OP_GET)
        for (i = 0; i < MDATA__KEY_CAPS; i++)
            if (e->cfg.key_caps[i].key[0] != '\0' &&
                strcmp(e->cfg.key_caps[i].key, key) == 0)
                return e->cfg.key_caps[i].max < e->cfg.max_reply
                           ? e->cfg.key_caps[i].max
                           : e->cfg.max_reply;
    return e->cfg.max_reply;
}

/* Longest line a reply of max_reply bytes can take. */
static size_t max_line_for(size_t max_reply)
{
    return mdata_frame_encoded_size(MDATA_REQID_MAX, MDATA_CODE_MAX,
                                    max_reply);
}

int mdata__engine_new(const mdata__engine_config_t *cfg,
                      mdata__engine_t **out)
{
    mdata__engine_t *e;
    int rc;

    if (cfg == NULL || out == NULL || cfg->max_attempts == 0 ||
        cfg->max_inflight == 0 || cfg->max_pending == 0 ||
        cfg->max_reply == 0 || cfg->timeout_ms == 0 || cfg->random == NULL)
        return MDATA_EINVAL;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return MDATA_ENOMEM;
    e->cfg = *cfg;
    e->wait_status = MDATA_ETIMEDOUT;
    rc = mdata_decoder_new(max_line_for(cfg->max_reply), &e->dec);
    if (rc == 0)
        rc = mdata_v1_reply_new(cfg->max_reply, &e->v1);
    if (rc < 0) {
        mdata__engine_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

static void req_free(mdata__req_t *r)
{
    if (r == NULL)
        return;
    free(r->key);
    free(r->arg);
    free(r->val);
    free(r);
}

static void list_free(req_list_t *l)
{
    mdata__req_t *r, *n;

    for (r = l->head; r != NULL; r = n) {
        n = r->next;
        req_free(r);
    }
    l->head = l->tail = NULL;
    l->n = 0;
}

void mdata__engine_free(mdata__engine_t *e)
{
    if (e == NULL)
        return;
    list_free(&e->queued);
    list_free(&e->inflight);
    list_free(&e->done);
    req_free(e->taken);
    mdata__reqid_table_free(e);
    mdata_decoder_free(e->dec);
    mdata_v1_reply_free(e->v1);
    free(e->out);
    free(e->scratch);
    mdata__stream_reset(e);
    free(e);
}

/* ---- lists ---- */

static req_list_t *list_of(mdata__engine_t *e, mdata__req_where_t where)
{
    switch (where) {
    case RQ_QUEUED:
        return &e->queued;
    case RQ_INFLIGHT:
        return &e->inflight;
    case RQ_DONE:
        break;
    }
    return &e->done;
}

static void list_unlink(req_list_t *l, mdata__req_t *r)
{
    assert(l->n > 0 && (r->prev != NULL || l->head == r) &&
           (r->next != NULL || l->tail == r));
    if (r->prev)
        r->prev->next = r->next;
    else
        l->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        l->tail = r->prev;
    r->prev = r->next = NULL;
    l->n--;
}

static void list_push(req_list_t *l, mdata__req_t *r)
{
    r->next = NULL;
    r->prev = l->tail;
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    l->n++;
}

void mdata__req_move(mdata__engine_t *e, mdata__req_t *r,
                     mdata__req_where_t where)
{
    assert(r->where != RQ_DONE); /* a done request never moves again */
    list_unlink(list_of(e, r->where), r);
    r->where = where;
    list_push(list_of(e, where), r);
}

void mdata__req_finish(mdata__engine_t *e, mdata__req_t *r, int status,
                       uint8_t *val, size_t len)
{
    assert(r->where != RQ_DONE); /* every request completes once */
    mdata__reqid_forget(e, r); /* later replies to it are stale */
    assert(r->nids == 0);
    free(r->val);
    r->val = val;
    r->val_len = val != NULL ? len : 0;
    r->status = status;
    e->counters[MDATA_COUNTER_REQUESTS]++;
    mdata__req_move(e, r, RQ_DONE);
}

/* ---- keys ---- */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

int mdata__check_key(const char *key, mdata_error_t *err)
{
    size_t n;

    if (key == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "key is NULL");
    n = strlen(key);
    if (n == 0)
        return mdata__error(err, MDATA_EINVAL, 0, 0,
                            "key is empty: the host cannot address it");
    if (strpbrk(key, "\r\n") != NULL)
        return mdata__error(err, MDATA_EINVAL, 0,
                            (size_t)(strpbrk(key, "\r\n") - key),
                            "key contains a line break: the host cannot "
                            "address it");
    if (is_space((unsigned char)key[0]))
        return mdata__error(err, MDATA_EINVAL, 0, 0,
                            "key begins with white space: the host trims "
                            "keys and cannot address it");
    if (is_space((unsigned char)key[n - 1]))
        return mdata__error(err, MDATA_EINVAL, 0, n - 1,
                            "key ends with white space: the host trims keys "
                            "and cannot address it");
    return 0;
}

/* ---- output ---- */

int mdata__out_append(mdata__engine_t *e, const void *p, size_t n)
{
    assert(e->out_start <= e->out_end && e->out_end <= e->out_cap);
    if (e->out_end + n > e->out_cap && e->out_start > 0) {
        memmove(e->out, e->out + e->out_start, e->out_end - e->out_start);
        e->out_base += e->out_start;
        e->out_end -= e->out_start;
        e->out_start = 0;
    }
    if (e->out_end + n > e->out_cap) {
        size_t ncap = e->out_cap ? e->out_cap : 4096;
        char *nb;

        while (ncap < e->out_end + n)
            ncap *= 2;
        nb = realloc(e->out, ncap);
        if (nb == NULL)
            return MDATA_ENOMEM;
        e->out = nb;
        e->out_cap = ncap;
    }
    if (p != NULL)
        memcpy(e->out + e->out_end, p, n);
    e->out_end += n;
    e->counters[MDATA_COUNTER_BYTES_OUT] += n;
    return 0;
}

const char *mdata__engine_output(const mdata__engine_t *e, size_t *len)
{
    *len = e->out_end - e->out_start;
    return e->out != NULL ? e->out + e->out_start : "";
}

/*
 * How long the current attempt of r waits for its reply, from now: the
 * configured wait doubled for every attempt before it (3, 6, 12 s ...),
 * so a host that needs longer than the first wait still gets an attempt
 * long enough. The last attempt doubles once more: within a deadline of
 * about a minute that is all that is left of it, and with the tools'
 * one-day deadline (no -t) a host that answers no request is still given
 * up on. The total deadline cuts any attempt short.
 */
uint64_t mdata__attempt_wait(const mdata__engine_t *e, const mdata__req_t *r,
                             uint64_t now)
{
    uint64_t w = r->op == MDATA__OP_PUT || r->op == MDATA__OP_DELETE
                     ? e->cfg.write_attempt_ms
                     : e->cfg.read_attempt_ms;
    uint64_t left = r->deadline > now ? r->deadline - now : 0;
    unsigned doublings = r->attempts > 0 ? r->attempts - 1 : 0, i;

    if (r->attempts - r->cut_short >= e->cfg.max_attempts)
        doublings++;
    for (i = 0; i < doublings && w < left; i++)
        w *= 2;
    return w < left ? w : left;
}

void mdata__engine_output_done(mdata__engine_t *e, size_t n, uint64_t now)
{
    uint64_t pos;
    mdata__req_t *r;

    if (n > e->out_end - e->out_start)
        n = e->out_end - e->out_start;
    e->out_start += n;
    pos = e->out_base + e->out_start;
    if (e->out_start == e->out_end) {
        e->out_base += e->out_start;
        e->out_start = e->out_end = 0;
    }
    /* An attempt's reply clock starts once its request is on the wire. */
    for (r = e->inflight.head; r != NULL; r = r->next) {
        if (!r->written && r->out_end <= pos) {
            r->written = 1;
            r->attempt_deadline = now + mdata__attempt_wait(e, r, now);
            mdata__due(e, r->attempt_deadline);
        }
    }
    mdata__pump(e, now);
}

/* ---- submit, cancel ---- */

static const char *op_code(mdata__op_t op)
{
    switch (op) {
    case MDATA__OP_GET:
        return "GET";
    case MDATA__OP_KEYS:
        return "KEYS";
    case MDATA__OP_PUT:
        return "PUT";
    case MDATA__OP_DELETE:
        return "DELETE";
    case MDATA__OP_CONNECT:
        break; /* done once in sync, never sent */
    }
    assert(!"an operation with nothing to send");
    return "DELETE";
}

/* The V2 argument: key, or base64(key) SP base64(value) for PUT. */
static int build_arg(mdata__req_t *r, const void *val, size_t len)
{
    size_t klen = strlen(r->key);

    if (r->op == MDATA__OP_PUT) {
        size_t kb = mdata_base64_encoded_len(klen);
        size_t vb = mdata_base64_encoded_len(len);

        r->arg = malloc(kb + 1 + vb);
        if (r->arg == NULL)
            return MDATA_ENOMEM;
        mdata_base64_encode(r->key, klen, (char *)r->arg);
        r->arg[kb] = ' ';
        mdata_base64_encode(val, len, (char *)r->arg + kb + 1);
        r->arg_len = kb + 1 + vb;
        return 0;
    }
    r->arg = malloc(klen + 1);
    if (r->arg == NULL)
        return MDATA_ENOMEM;
    memcpy(r->arg, r->key, klen + 1);
    r->arg_len = klen;
    return 0;
}

int mdata__engine_submit(mdata__engine_t *e, mdata__op_t op, const char *key,
                         const void *val, size_t len, void *ud, uint64_t now,
                         uint32_t *id, mdata_error_t *err)
{
    mdata__req_t *r;
    int rc;

    if (op < MDATA__OP_GET || op > MDATA__OP_CONNECT)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "unknown operation");
    if (op != MDATA__OP_KEYS && op != MDATA__OP_CONNECT &&
        (rc = mdata__check_key(key, err)) < 0)
        return rc;
    if (op == MDATA__OP_PUT && len == 0)
        return mdata__error(err, MDATA_EINVAL, 0, 0,
                            "empty value: the host refuses to PUT it (use "
                            "DELETE to remove a key)");
    if (op == MDATA__OP_PUT && val == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "value is NULL");
    if (e->queued.n + e->inflight.n >= e->cfg.max_pending)
        return mdata__error(err, MDATA_EBUSY, 0, 0,
                            "%u requests already pending",
                            e->cfg.max_pending);
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    r->op = op;
    r->ud = ud;
    r->max_reply = max_reply_for(e, op, key);
    if (op != MDATA__OP_KEYS && op != MDATA__OP_CONNECT) {
        r->key = strdup(key);
        if (r->key == NULL || build_arg(r, val, len) < 0) {
            req_free(r);
            return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
        }
    }
    if (++e->next_id == 0)
        e->next_id = 1;
    r->id = e->next_id;
    r->deadline = now + e->cfg.timeout_ms;
    mdata__due(e, r->deadline);
    r->where = RQ_QUEUED;
    list_push(&e->queued, r);
    assert(e->queued.n + e->inflight.n <= e->cfg.max_pending);
    if (id != NULL)
        *id = r->id;
    mdata__pump(e, now);
    return 0;
}

static mdata__req_t *find_id(req_list_t *l, uint32_t id)
{
    mdata__req_t *r;

    for (r = l->head; r != NULL; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

int mdata__engine_cancel(mdata__engine_t *e, uint32_t id, uint64_t now)
{
    mdata__req_t *r = find_id(&e->queued, id);
    int was_v1_inflight = 0;

    if (r == NULL) {
        r = find_id(&e->inflight, id);
        was_v1_inflight = r != NULL && e->proto == MDATA__PROTO_V1;
    }
    if (r == NULL)
        return MDATA_EINVAL;
    mdata__req_finish(e, r, MDATA_ECANCELED, NULL, 0);
    /* A V1 reply carries no id: resync so it cannot answer the next one. */
    if (was_v1_inflight)
        mdata__v1_given_up(e, now);
    mdata__pump(e, now);
    return 0;
}

void mdata__engine_fail_all(mdata__engine_t *e, int status)
{
    while (e->inflight.head != NULL)
        mdata__req_finish(e, e->inflight.head, status, NULL, 0);
    while (e->queued.head != NULL)
        mdata__req_finish(e, e->queued.head, status, NULL, 0);
}

/* ---- connection ---- */

void mdata__engine_connected(mdata__engine_t *e, uint64_t now)
{
    e->state = ST_UNSYNCED;
    e->proto = MDATA__PROTO_UNKNOWN;
    e->probes = 0;
    e->odd_rounds = 0;
    e->probe_streak = 0;
    /* a new connection owes nothing */
    e->neg_out = 0;
    e->ic_owed = 0;
    e->fenced = 0;
    e->neg_owed = 0;
    e->reply_owed = 0;
    e->reply_in_value = 0;
    e->v1_in_value = 0;
    mdata__pump(e, now);
}

void mdata__engine_lost(mdata__engine_t *e, uint64_t now)
{
    (void)now;
    /* Requests in flight go back to the queue, to be sent again (with a
     * fresh id) once a new connection is in sync; their deadlines run on.
     * Their earlier ids stay known: a reopened serial line may still bring
     * a late answer to one of them. */
    while (e->inflight.head != NULL) {
        mdata__req_t *r = e->inflight.head;

        r->cut_short++;
        r->written = 0;
        r->damage = 0;
        r->retry_at = 0;
        mdata__req_move(e, r, RQ_QUEUED);
    }
    e->state = ST_DISCONNECTED;
    e->proto = MDATA__PROTO_UNKNOWN;
    e->out_base += e->out_end;
    e->out_start = e->out_end = 0;
    mdata_decoder_reset(e->dec);
    mdata__stream_reset(e);
    e->pfx_len = 0;
    e->pfx_fed = 0;
    e->partial = 0;
}

int mdata__engine_want_connect(const mdata__engine_t *e)
{
    return e->state == ST_DISCONNECTED && e->queued.n > 0;
}

int mdata__engine_busy(const mdata__engine_t *e)
{
    return e->queued.n > 0 || e->inflight.n > 0 || e->done.n > 0 ||
           e->state == ST_PROBING || e->state == ST_NEGOTIATING ||
           e->state == ST_NEG_DRAIN;
}

void mdata__engine_set_wait_status(mdata__engine_t *e, int status)
{
    e->wait_status = status;
}

void mdata__engine_set_timeout(mdata__engine_t *e, uint64_t ms)
{
    e->cfg.timeout_ms = ms;
}

mdata__proto_t mdata__engine_protocol(const mdata__engine_t *e)
{
    return e->proto;
}

uint64_t mdata__engine_counter(const mdata__engine_t *e, int which)
{
    if (which < 0 || which >= MDATA_COUNTER_COUNT_)
        return 0;
    return e->counters[which];
}

/* ---- handshake and resync ---- */

/*
 * How long a probe waits for its answer. A fixed handshake_ms (as the
 * reference tools wait 2 s); probe_streak counts unanswered probes in a
 * row should a shorter first wait ever be wanted (tools built on this
 * library rely on the fixed schedule today).
 */
static uint64_t probe_wait(const mdata__engine_t *e)
{
    return e->cfg.handshake_ms;
}

void mdata__start_probe(mdata__engine_t *e, uint64_t now)
{
    if (e->state == ST_DISCONNECTED)
        return;
    if (e->state == ST_PROBING)
        return; /* one running already */
    if (e->probes > 0)
        e->counters[MDATA_COUNTER_RESYNCS]++;
    e->probes++;
    e->ic_owed++;
    e->state = ST_PROBING;
    e->hs_deadline = now + probe_wait(e);
    (void)mdata__out_append(e, "\n", 1);
}

static int handshaking(const mdata__engine_t *e)
{
    return e->state == ST_PROBING || e->state == ST_NEGOTIATING ||
           e->state == ST_NEG_DRAIN;
}

void mdata__v1_given_up(mdata__engine_t *e, uint64_t now)
{
    assert(!e->reply_owed); /* one at a time: a barrier comes between */
    e->reply_owed = 1;
    e->reply_in_value = e->v1_in_value;
    e->reply_heard = now;
    if (e->v1_in_value) {
        /* its reply is arriving: every earlier answer came before it */
        e->ic_owed = 0;
        e->fenced = 0;
    } else {
        /* answers to the probes sent before it come before its reply */
        e->fenced = e->ic_owed;
    }
    e->v1_in_value = 0;
    mdata__start_probe(e, now);
}

static void handshake_timeout(mdata__engine_t *e, uint64_t now)
{
    /* What was given up on may still be answered, also when nobody waits
     * any more: the answers stay owed (ic_owed counts the probe). */
    if (e->state == ST_PROBING) {
        e->probe_streak++;
        if (e->reply_owed && e->reply_in_value && e->fenced == 0 &&
            now - e->reply_heard >= e->cfg.handshake_ms) {
            /* A late value whose "." has not come in a whole wait (the
             * host writes a reply at once): it was cut short. */
            e->reply_owed = 0;
            e->reply_in_value = 0;
        }
    } else if (e->state == ST_NEGOTIATING && e->neg_out > 0) {
        e->fenced = e->ic_owed; /* answered before those NEGOTIATEs */
        e->neg_owed += e->neg_out;
        e->neg_out = 0;
    } else if (e->state == ST_NEG_DRAIN) {
        e->reply_owed = 1; /* the rest of a SUCCESS answer to NEGOTIATE */
        e->reply_in_value = 1;
        e->reply_heard = now;
        e->fenced = 0;
    }
    if (e->queued.n == 0 && e->inflight.n == 0) {
        /* Nobody waits: stop probing until the next request. */
        e->state = ST_UNSYNCED;
        return;
    }
    if (e->state == ST_NEGOTIATING && e->neg_odd && ++e->odd_rounds >= 2) {
        /* twice only an answer we do not know: a V1 host (once could be a
         * damaged V2_OK on a noisy line: that round is repeated) */
        e->proto = MDATA__PROTO_V1;
        if (e->neg_owed == 0) {
            e->state = ST_READY; /* the caller's pump sends what waits */
            return;
        }
        /* a NEGOTIATE's answer is still owed: in step first */
    }
    e->state = ST_UNSYNCED;
    mdata__start_probe(e, now);
}

/* ---- retries ---- */

static uint64_t backoff(const mdata__engine_t *e, unsigned attempts)
{
    uint64_t b = e->cfg.backoff_initial_ms;
    unsigned i;

    for (i = 1; i < attempts && b < e->cfg.backoff_max_ms; i++)
        b *= 2;
    return b < e->cfg.backoff_max_ms ? b : e->cfg.backoff_max_ms;
}

void mdata__attempt_lost(mdata__engine_t *e, mdata__req_t *r, uint64_t now)
{
    e->counters[MDATA_COUNTER_TIMEOUTS]++;
    mdata__attempt_failed(e, r, MDATA_ETIMEDOUT, now);
}

void mdata__attempt_failed(mdata__engine_t *e, mdata__req_t *r, int status,
                           uint64_t now)
{
    assert(r->where == RQ_INFLIGHT);
    r->damage = 0;
    if (r->attempts - r->cut_short >= e->cfg.max_attempts) {
        mdata__req_finish(e, r, status, NULL, 0);
    } else {
        r->retry_at = now + backoff(e, r->attempts);
        r->written = 0;
        mdata__req_move(e, r, RQ_QUEUED);
    }
    /* Whatever got lost may have left the line out of step. */
    if (e->proto == MDATA__PROTO_V1)
        mdata__v1_given_up(e, now);
    else
        mdata__start_probe(e, now);
}

/* ---- sending ---- */

static int send_v2(mdata__engine_t *e, mdata__req_t *r)
{
    const char *code = op_code(r->op);
    size_t need = mdata_frame_encoded_size(8, strlen(code), r->arg_len), n;
    int rc = mdata__out_append(e, NULL, need);

    if (rc < 0)
        return rc;
    e->out_end -= need;
    e->counters[MDATA_COUNTER_BYTES_OUT] -= need;
    rc = mdata_frame_encode(r->reqid, code, r->arg, r->arg_len,
                            e->out + e->out_end, need, &n);
    if (rc < 0)
        return rc;
    e->out_end += n;
    e->counters[MDATA_COUNTER_BYTES_OUT] += n;
    return 0;
}

static int send_v1(mdata__engine_t *e, mdata__req_t *r)
{
    int rc;

    mdata_v1_reply_reset(e->v1);
    e->v1_in_value = 0;
    if (r->op == MDATA__OP_KEYS)
        return mdata__out_append(e, "KEYS\n", 5);
    rc = mdata__out_append(e, "GET ", 4);
    if (rc == 0)
        rc = mdata__out_append(e, r->key, strlen(r->key));
    if (rc == 0)
        rc = mdata__out_append(e, "\n", 1);
    return rc;
}

static void send_req(mdata__engine_t *e, mdata__req_t *r)
{
    int rc;

    assert(r->where == RQ_QUEUED && e->state == ST_READY &&
           r->op != MDATA__OP_CONNECT);
    rc = mdata__new_reqid(e, r);
    if (rc < 0) {
        mdata__req_finish(e, r, rc, NULL, 0);
        return;
    }
    r->attempts++;
    e->counters[MDATA_COUNTER_ATTEMPTS]++;
    if (r->attempts > 1)
        e->counters[MDATA_COUNTER_RETRIES]++;
    rc = e->proto == MDATA__PROTO_V2 ? send_v2(e, r) : send_v1(e, r);
    if (rc < 0) {
        mdata__req_finish(e, r, rc, NULL, 0);
        return;
    }
    r->out_end = e->out_base + e->out_end;
    r->written = 0;
    r->damage = 0;
    mdata__req_move(e, r, RQ_INFLIGHT);
}

static void send_queued(mdata__engine_t *e, uint64_t now)
{
    mdata__req_t *r, *n;

    for (r = e->queued.head; r != NULL && e->state == ST_READY; r = n) {
        n = r->next;
        if (e->proto == MDATA__PROTO_V1 &&
            (r->op == MDATA__OP_PUT || r->op == MDATA__OP_DELETE)) {
            mdata__req_finish(e, r, MDATA_ENOTSUP, NULL, 0);
            continue;
        }
        if (r->op == MDATA__OP_CONNECT) {
            /* The line is in sync: that is all a connect asks. */
            mdata__req_finish(e, r, 0, NULL, 0);
            continue;
        }
        if (r->retry_at > now)
            continue;
        if (e->inflight.n >=
            (e->proto == MDATA__PROTO_V2 ? e->cfg.max_inflight : 1))
            break;
        send_req(e, r);
    }
    /* V1 answers carry no id: one request on the wire at a time */
    assert(e->inflight.n <= 1 || e->proto == MDATA__PROTO_V2);
}

/* ---- the pump: everything time-driven ---- */

static void expire(mdata__engine_t *e, req_list_t *l, uint64_t now)
{
    mdata__req_t *r, *n;

    for (r = l->head; r != NULL; r = n) {
        n = r->next;
        if (r->deadline <= now) {
            int v1_inflight =
                r->where == RQ_INFLIGHT && e->proto == MDATA__PROTO_V1;

            e->counters[MDATA_COUNTER_TIMEOUTS] += r->where == RQ_INFLIGHT;
            mdata__req_finish(e, r,
                              e->state == ST_DISCONNECTED ? e->wait_status
                                                          : MDATA_ETIMEDOUT,
                              NULL, 0);
            if (v1_inflight)
                mdata__v1_given_up(e, now);
        }
    }
}

/* The earliest request or attempt deadline; UINT64_MAX for none. */
static uint64_t earliest_due(const mdata__engine_t *e)
{
    const mdata__req_t *r;
    uint64_t t = UINT64_MAX;

    for (r = e->queued.head; r != NULL; r = r->next)
        if (r->deadline < t)
            t = r->deadline;
    for (r = e->inflight.head; r != NULL; r = r->next) {
        if (r->deadline < t)
            t = r->deadline;
        if (r->written && r->attempt_deadline < t)
            t = r->attempt_deadline;
    }
    return t;
}

void mdata__pump(mdata__engine_t *e, uint64_t now)
{
    mdata__req_t *r, *n;

    e->now = now;
    /* The scans cost O(requests held); a pump runs per submit and per
     * read, so they run only once something can be due. */
    if (now >= e->scan_due) {
        expire(e, &e->queued, now);
        expire(e, &e->inflight, now);
        for (r = e->inflight.head; r != NULL; r = n) {
            n = r->next;
            if (!r->written || r->attempt_deadline > now)
                continue;
            if (r->damage != 0) /* only damaged copies came in its grace */
                mdata__attempt_failed(e, r, r->damage, now);
            else
                mdata__attempt_lost(e, r, now);
        }
        e->scan_due = earliest_due(e);
    }
    if (handshaking(e) && e->hs_deadline <= now)
        handshake_timeout(e, now);
    if (e->state == ST_UNSYNCED && (e->queued.n > 0 || e->inflight.n > 0))
        mdata__start_probe(e, now);
    if (e->state == ST_READY)
        send_queued(e, now);
}

void mdata__engine_tick(mdata__engine_t *e, uint64_t now)
{
    mdata__pump(e, now);
}

uint64_t mdata__engine_next_deadline(const mdata__engine_t *e)
{
    uint64_t t = UINT64_MAX;
    const mdata__req_t *r;

#define MIN_T(x)                                                              \
    do {                                                                      \
        if ((x) < t)                                                          \
            t = (x);                                                          \
    } while (0)
    for (r = e->queued.head; r != NULL; r = r->next) {
        MIN_T(r->deadline);
        if (e->state == ST_READY && r->retry_at > e->now)
            MIN_T(r->retry_at);
    }
    for (r = e->inflight.head; r != NULL; r = r->next) {
        MIN_T(r->deadline);
        if (r->written)
            MIN_T(r->attempt_deadline);
    }
    if (handshaking(e))
        MIN_T(e->hs_deadline);
#undef MIN_T
    return t;
}

int mdata__engine_next_done(mdata__engine_t *e, mdata__done_t *done)
{
    mdata__req_t *r = e->done.head;
    static const uint8_t empty[1];

    req_free(e->taken);
    e->taken = NULL;
    if (r == NULL)
        return 0;
    assert(r->where == RQ_DONE && r->nids == 0);
    list_unlink(&e->done, r);
    e->taken = r;
    done->id = r->id;
    done->op = r->op;
    done->status = r->status;
    done->value = r->val != NULL ? r->val : empty;
    done->value_len = r->val_len;
    done->attempts = r->attempts;
    done->ud = r->ud;
    return 1;
}

uint8_t *mdata__engine_take_value(mdata__engine_t *e)
{
    uint8_t *v = NULL;

    if (e->taken != NULL) {
        v = e->taken->val;
        e->taken->val = NULL;
    }
    return v;
}
