/*
 * Incoming lines: the handshake barrier, NEGOTIATE, V2 reply frames
 * matched by request id, V1 replies. Every line that fits nowhere is
 * counted and skipped. One trailing CR per line is tolerated (the host
 * itself trims trailing white space, and some serial paths add CR).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

static int line_is(const char *line, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(line, word, len) == 0;
}

/*
 * A damaged V2 line (bad CRC, length or base64) whose request-id field
 * names the current attempt of a request in flight is almost surely a
 * damaged copy of its reply. A good copy may still follow (a noisy host
 * repeats itself; a line hit by noise in transit is not the host's last
 * word), so the attempt keeps listening, but only for a short grace period
 * instead of its whole timeout; then it is retried, and the damage is what
 * it failed with. Should the damage have hit the id itself and named
 * another request, that one is merely retried early. Never a wrong value.
 */
void mdata__rx_damaged(mdata__engine_t *e, const char *reqid, int status,
                       uint64_t now)
{
    mdata__req_t *r = mdata__reqid_find(e, reqid);

    if (r == NULL || r->where != RQ_INFLIGHT || !r->written ||
        strcmp(r->reqid, reqid) != 0)
        return; /* no attempt waits for it */
    r->damage = status;
    if (r->attempt_deadline > now + MDATA__DAMAGE_GRACE_MS) {
        r->attempt_deadline = now + MDATA__DAMAGE_GRACE_MS;
        mdata__due(e, r->attempt_deadline);
    }
}

static void damaged_reply(mdata__engine_t *e, const char *line, size_t len,
                          int status, uint64_t now)
{
    char reqid[9];
    const char *p = line, *end = line + len;
    int field;
    size_t n;

    for (field = 0; field < 3; field++) {
        p = memchr(p, ' ', (size_t)(end - p));
        if (p == NULL)
            return;
        p++;
    }
    for (n = 0; n < 8 && p + n < end && p[n] != ' '; n++)
        reqid[n] = p[n];
    reqid[n] = '\0';
    if (n != 8 || p + n == end || p[n] != ' ')
        return;
    mdata__rx_damaged(e, reqid, status, now);
}

static void rx_frame(mdata__engine_t *e, const char *line, size_t len,
                     uint64_t now)
{
    size_t need = mdata_base64_decoded_maxlen(len) + 1;
    mdata_frame_t f;
    mdata__req_t *r;
    uint8_t *val;
    int rc, status;

    if (need > e->scratch_cap) {
        uint8_t *n = realloc(e->scratch, need);

        if (n == NULL) {
            e->counters[MDATA_COUNTER_BAD_LINES]++;
            return;
        }
        e->scratch = n;
        e->scratch_cap = need;
    }
    rc = mdata_frame_parse(line, len, e->scratch, &f, NULL);
    if (rc < 0) {
        e->counters[rc == MDATA_ECRC ? MDATA_COUNTER_CRC_ERRORS
                                     : MDATA_COUNTER_BAD_LINES]++;
        damaged_reply(e, line, len, rc, now);
        return;
    }
    /* The reply to any attempt of a pending request is its answer: a busy
     * host may answer after that attempt was given up on (and a PUT it
     * answered was applied). */
    r = mdata__reqid_find(e, f.reqid);
    if (r == NULL) {
        e->counters[MDATA_COUNTER_STALE]++;
        return;
    }
    assert(r->where != RQ_DONE); /* a done request's ids are forgotten */
    if (r->where != RQ_INFLIGHT || strcmp(r->reqid, f.reqid) != 0)
        e->counters[MDATA_COUNTER_LATE]++;
    if (f.payload_len > r->max_reply) {
        e->counters[MDATA_COUNTER_TOO_BIG]++;
        mdata__req_finish(e, r, MDATA_ETOOBIG, NULL, 0);
        return;
    }
    if (strcmp(f.code, "SUCCESS") == 0)
        status = 0;
    else if (strcmp(f.code, "NOTFOUND") == 0)
        status = MDATA_ENOTFOUND;
    else
        status = MDATA_EREMOTE;
    val = e->scratch;
    val[f.payload_len] = '\0';
    e->scratch = NULL;
    e->scratch_cap = 0;
    mdata__req_finish(e, r, status, val, f.payload_len);
}

static uint8_t *copy_value(const uint8_t *v, size_t n)
{
    uint8_t *c = malloc(n + 1);

    if (c != NULL) {
        if (n > 0)
            memcpy(c, v, n);
        c[n] = '\0';
    }
    return c;
}

static void rx_v1(mdata__engine_t *e, const char *line, size_t len,
                  uint64_t now)
{
    mdata__req_t *r = e->inflight.head;
    const uint8_t *v;
    size_t vlen;
    uint8_t *val;
    int rc, status;

    if (r == NULL) {
        e->counters[MDATA_COUNTER_BAD_LINES]++;
        return;
    }
    rc = mdata_v1_reply_feed_line(e->v1, line, len);
    if (rc == 0) {
        e->v1_in_value = 1;
        return;
    }
    if (rc < 0) {
        if (rc == MDATA_ETOOBIG)
            e->counters[MDATA_COUNTER_TOO_BIG]++;
        mdata__req_finish(e, r, rc, NULL, 0);
        mdata__v1_given_up(e, now); /* skip the rest of that reply */
        return;
    }
    /* Its reply came: the answers to every probe sent before it have
     * come too, or never will. */
    e->ic_owed = 0;
    e->v1_in_value = 0;
    switch (rc) {
    case MDATA_V1_SUCCESS:
        status = 0;
        break;
    case MDATA_V1_NOTFOUND:
        status = MDATA_ENOTFOUND;
        break;
    case MDATA_V1_INVALID_COMMAND:
        status = MDATA_ENOTSUP;
        break;
    default:
        status = MDATA_EREMOTE;
        break;
    }
    v = mdata_v1_reply_value(e->v1, &vlen);
    if (status == MDATA_ENOTFOUND || status == MDATA_ENOTSUP)
        vlen = 0;
    if (vlen > r->max_reply) {
        e->counters[MDATA_COUNTER_TOO_BIG]++;
        mdata__req_finish(e, r, MDATA_ETOOBIG, NULL, 0);
        return;
    }
    val = copy_value(v, vlen);
    if (val == NULL)
        status = MDATA_ENOMEM;
    mdata__req_finish(e, r, status, val, vlen);
}

static void barrier_reached(mdata__engine_t *e, uint64_t now)
{
    assert(e->fenced == 0 && e->neg_owed == 0 && !e->reply_owed);
    e->probe_streak = 0;
    if (e->proto == MDATA__PROTO_UNKNOWN) {
        e->state = ST_NEGOTIATING;
        e->neg_odd = 0;
        e->neg_repeated = 0;
        e->neg_out = 1;
        e->hs_deadline = now + e->cfg.handshake_ms;
        (void)mdata__out_append(e, "NEGOTIATE V2\n", 13);
    } else {
        e->state = ST_READY;
    }
}

/* A host without V2 answered NEGOTIATE ("invalid command" when said_ic). */
static void v1_selected(mdata__engine_t *e, int said_ic, uint64_t now)
{
    e->proto = MDATA__PROTO_V1;
    e->state = ST_READY;
    if (e->neg_repeated) {
        /* Unless the host answers NEGOTIATE with "invalid command" (then
         * that was its first answer), the other NEGOTIATE's answer is
         * still on its way: a V1 reply parser must not take it for a
         * reply. A barrier probe puts the line back in step first. */
        e->neg_owed = said_ic ? 0 : 1;
        e->fenced = 0;
        e->state = ST_UNSYNCED;
        mdata__start_probe(e, now);
    }
}

static void rx_negotiate(mdata__engine_t *e, const char *line, size_t len,
                         uint64_t now)
{
    int ic = line_is(line, len, "invalid command");

    if (len >= 3 && memcmp(line, "V2 ", 3) == 0) {
        e->counters[MDATA_COUNTER_BAD_LINES]++; /* someone's old frame */
        return;
    }
    if (e->neg_out > 0)
        e->neg_out--; /* odd answers too: a host may answer so */
    /* An answer we know: the answers to the probes sent before that
     * NEGOTIATE have come (late_answer skipped them), or never will. */
    if (ic || line_is(line, len, "V2_OK") || line_is(line, len, "SUCCESS") ||
        line_is(line, len, "FAILURE") || line_is(line, len, "NOTFOUND"))
        e->ic_owed = 0;
    if (line_is(line, len, "V2_OK")) {
        e->proto = MDATA__PROTO_V2;
        e->state = ST_READY;
        if (e->neg_repeated)
            e->neg_owed = 1; /* the other V2_OK, skipped when it comes */
        e->neg_out = 0;
    } else if (ic && !e->neg_repeated) {
        /* Perhaps the answer to a probe another process sent before it
         * gave up (it is still on the line): ask once more. A host that
         * really answers NEGOTIATE so says it again; otherwise V2_OK
         * follows, and the second V2_OK is skipped when it comes. */
        e->neg_repeated = 1;
        e->neg_out++;
        e->hs_deadline = now + e->cfg.handshake_ms;
        (void)mdata__out_append(e, "NEGOTIATE V2\n", 13);
    } else if (line_is(line, len, "SUCCESS")) {
        e->state = ST_NEG_DRAIN;
    } else if (line_is(line, len, "FAILURE") ||
               line_is(line, len, "NOTFOUND") || ic) {
        e->neg_out = 0;
        v1_selected(e, ic, now); /* the answers of a host without V2 */
    } else {
        /* Junk on the line, or a host answering in words we do not know:
         * skip it; if nothing better comes before the handshake timeout,
         * the host is taken for V1 (as the reference client does). */
        e->counters[MDATA_COUNTER_BAD_LINES]++;
        e->neg_odd = 1;
    }
}

/* Is this line the first of the answer owed after the fenced probes'? */
static int owed_answer_begins(const mdata__engine_t *e, const char *line,
                              size_t len)
{
    if (line_is(line, len, "SUCCESS") || line_is(line, len, "FAILURE") ||
        line_is(line, len, "NOTFOUND"))
        return e->reply_owed ? !e->reply_in_value : e->neg_owed > 0;
    return !e->reply_owed && e->neg_owed > 0 && line_is(line, len, "V2_OK");
}

/* A line of the late reply to a V1 request given up on (or of a SUCCESS
 * answer to NEGOTIATE): skipped, up to its end. */
static void skip_owed_reply(mdata__engine_t *e, const char *line, size_t len,
                            uint64_t now)
{
    if (!e->reply_in_value) {
        if (line_is(line, len, "SUCCESS")) {
            e->reply_in_value = 1;
            e->reply_heard = now;
        } else {
            e->reply_owed = 0; /* NOTFOUND, FAILURE, invalid command */
        }
    } else if (line_is(line, len, ".")) {
        e->reply_owed = 0;
        e->reply_in_value = 0;
    } else if (!line_is(line, len, "invalid command")) {
        /* a probe's answer is not news of the value: a value cut short
         * is given up on after a quiet probe wait (handshake_timeout) */
        e->reply_heard = now;
    }
}

/*
 * The host answers lines in the order it reads them, and a V1 answer
 * carries no id: the answers to lines the engine gave up on are told
 * apart only by where they come. The probes sent before the last request
 * or NEGOTIATE given up on (fenced) are answered first, then that line,
 * then the probes sent since: only one of those can be a barrier, so a
 * late reply never lands on the request sent after the barrier. Returns
 * 1 when the line was such a late answer (it is used up).
 *
 * A line the host never got (it was away) leaves an answer owed that
 * never comes: the answer that comes instead is taken for it, which
 * costs one probe round; a reply's first line coming while fenced probe
 * answers are still owed shows that those were lost.
 */
static int take_late_answer(mdata__engine_t *e, const char *line,
                            size_t len, uint64_t now)
{
    int ic = line_is(line, len, "invalid command");

    if (len >= 3 && memcmp(line, "V2 ", 3) == 0 &&
        !(e->reply_owed && e->reply_in_value && e->fenced == 0))
        return 0; /* a frame answers no V1 line (it may be in a value) */
    if (e->fenced > 0) {
        assert(e->fenced <= e->ic_owed);
        if (ic) {
            e->fenced--;
            e->ic_owed--;
            return 1;
        }
        if (!owed_answer_begins(e, line, len))
            return 0;
        e->ic_owed -= e->fenced;
        e->fenced = 0;
    }
    if (e->reply_owed) {
        skip_owed_reply(e, line, len, now);
        return 1;
    }
    if (e->neg_owed > 0) {
        e->neg_owed--;
        if (line_is(line, len, "V2_OK")) {
            if (e->proto == MDATA__PROTO_UNKNOWN)
                e->proto = MDATA__PROTO_V2; /* only a V2 host says this */
        } else if (line_is(line, len, "SUCCESS")) {
            e->reply_owed = 1; /* a value follows, up to "." */
            e->reply_in_value = 1;
            e->reply_heard = now;
        }
        return 1;
    }
    if (ic && e->ic_owed > 0 && e->state != ST_PROBING) {
        e->ic_owed--; /* an earlier probe's: no barrier wanted now */
        return 1;
    }
    return 0;
}

static int late_answer(mdata__engine_t *e, const char *line, size_t len,
                       uint64_t now)
{
    if (!take_late_answer(e, line, len, now))
        return 0;
    /* A host catching up is alive: the probe waits its turn instead of
     * piling more lines on it. */
    if (e->state == ST_PROBING)
        e->hs_deadline = now + e->cfg.handshake_ms;
    return 1;
}

void mdata__rx_line(mdata__engine_t *e, const char *line, size_t len,
                    uint64_t now)
{
    int is_frame;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    is_frame = len >= 3 && memcmp(line, "V2 ", 3) == 0;
    if (e->state != ST_DISCONNECTED && late_answer(e, line, len, now))
        return;
    switch (e->state) {
    case ST_PROBING:
        if (line_is(line, len, "invalid command")) {
            if (e->ic_owed > 0)
                e->ic_owed--;
            barrier_reached(e, now);
        }
        else if (is_frame && e->proto == MDATA__PROTO_V2)
            rx_frame(e, line, len, now); /* replies still count */
        else if (e->proto == MDATA__PROTO_UNKNOWN &&
                 line_is(line, len, "V2_OK"))
            /* A NEGOTIATE answered after its wait (a host slow to answer
             * anything): only a V2 host says this. The barrier still
             * decides when the line is in step. */
            e->proto = MDATA__PROTO_V2;
        else
            e->counters[MDATA_COUNTER_BAD_LINES]++;
        break;
    case ST_NEGOTIATING:
        rx_negotiate(e, line, len, now);
        break;
    case ST_NEG_DRAIN:
        if (line_is(line, len, "."))
            v1_selected(e, 0, now);
        break;
    case ST_READY:
        if (e->proto == MDATA__PROTO_V1) {
            rx_v1(e, line, len, now);
        } else if (is_frame) {
            rx_frame(e, line, len, now);
        } else {
            e->counters[MDATA_COUNTER_BAD_LINES]++;
        }
        break;
    case ST_DISCONNECTED:
    case ST_UNSYNCED: /* nothing asked: nothing to answer */
        e->counters[MDATA_COUNTER_BAD_LINES]++;
        break;
    }
}

/* Parse "V2 <len> <crc> <reqid> ..." from the captured line prefix. */
static int prefix_reqid(const mdata__engine_t *e, char reqid[9])
{
    const char *p = e->pfx, *end = e->pfx + e->pfx_len;
    int field;
    size_t n;

    for (field = 0; field < 3; field++) {
        while (p < end && *p != ' ')
            p++;
        if (p == end)
            return 0;
        p++;
    }
    for (n = 0; p + n < end && p[n] != ' ' && n < 8; n++)
        reqid[n] = p[n];
    reqid[n] = '\0';
    return n == 8 && p + n < end && p[n] == ' ';
}

void mdata__rx_too_big(mdata__engine_t *e, uint64_t now)
{
    char reqid[9];
    mdata__req_t *r = NULL;

    e->counters[MDATA_COUNTER_TOO_BIG]++;
    if (e->state != ST_READY && e->state != ST_PROBING) {
        e->counters[MDATA_COUNTER_BAD_LINES]++;
        return;
    }
    if (e->proto == MDATA__PROTO_V2 && e->pfx_len >= 3 &&
        memcmp(e->pfx, "V2 ", 3) == 0 && prefix_reqid(e, reqid))
        r = mdata__reqid_find(e, reqid);
    else if (e->proto == MDATA__PROTO_V1 && e->state == ST_READY)
        r = e->inflight.head;
    if (r == NULL) {
        e->counters[MDATA_COUNTER_BAD_LINES]++;
        return;
    }
    mdata__req_finish(e, r, MDATA_ETOOBIG, NULL, 0);
    if (e->proto == MDATA__PROTO_V1 && e->v1_in_value) {
        mdata__v1_given_up(e, now); /* the rest of its value comes */
    } else {
        if (e->proto == MDATA__PROTO_V1)
            e->ic_owed = 0; /* the long line was its whole reply */
        mdata__start_probe(e, now);
    }
}

/* Complete lines out of the decoder, into the line path. */
static void take_lines(mdata__engine_t *e, uint64_t now)
{
    const char *line;
    size_t n;
    int rc;

    while ((rc = mdata_decoder_next_line(e->dec, &line, &n)) != 0) {
        if (rc == 1)
            mdata__rx_line(e, line, n, now);
        else if (rc == MDATA_ETOOBIG)
            mdata__rx_too_big(e, now);
        else
            break;
    }
}

int mdata__engine_feed(mdata__engine_t *e, const void *data, size_t len,
                       uint64_t now)
{
    const char *p = data;
    int rc;

    e->counters[MDATA_COUNTER_BYTES_IN] += len;
    while (len > 0) {
        const char *lf = memchr(p, '\n', len);
        size_t seg = lf != NULL ? (size_t)(lf - p) + 1 : len;
        size_t room = sizeof(e->pfx) - e->pfx_len, c = seg < room ? seg : room;
        size_t held = e->pfx_fed ? 0 : e->pfx_len;

        if (e->st.on) {
            mdata__stream_feed(e, p, lf != NULL ? seg - 1 : seg, lf != NULL,
                               now);
        } else {
            memcpy(e->pfx + e->pfx_len, p, c);
            e->pfx_len += c;
            /* A line's first bytes wait in pfx until it is clear whether
             * it is a large frame to decode as it comes (stream.c). */
            rc = e->pfx_fed || lf != NULL ? -1 : mdata__stream_begin(e, now);
            if (rc == 1)
                mdata__stream_feed(e, p + c, seg - c, 0, now);
            if (rc < 0) {
                if (held > 0 &&
                    (rc = mdata_decoder_feed(e->dec, e->pfx, held)) < 0)
                    return rc;
                if ((rc = mdata_decoder_feed(e->dec, p, seg)) < 0)
                    return rc;
                e->pfx_fed = 1;
            }
        }
        if (lf != NULL) {
            take_lines(e, now);
            e->pfx_len = 0;
            e->pfx_fed = 0;
            e->partial = 0;
        } else {
            e->partial = 1;
        }
        p += seg;
        len -= seg;
    }
    if (e->partial) {
        /* A long reply is streaming in: its attempt clock is an idle
         * gap while bytes keep coming; the total deadline still holds. */
        mdata__req_t *r;

        for (r = e->inflight.head; r != NULL; r = r->next) {
            uint64_t t = now + mdata__attempt_wait(e, r, now);

            if (r->written && r->attempt_deadline < t)
                r->attempt_deadline = t;
        }
    }
    mdata__pump(e, now);
    return 0;
}
