/*
 * A large V2 reply decoded as it arrives. Once the header of a frame longer
 * than MDATA__STREAM_MIN has come in ("V2 LEN CRC REQID CODE "), and the id
 * names a pending request, the base64 text is checked (CRC) and decoded
 * chunk by chunk straight into the value's own buffer, sized from LEN; the
 * line itself is never held. So a reply costs its value once (the issue's
 * 1 MiB GET went from 5.3x its size to 3x, tests/bench), and a frame whose
 * LEN already exceeds the request's bound fails it at once and is dropped
 * as it streams by, without being buffered. What the line-at-a-time path
 * (rx.c) decides for a complete line (damage, late, stale) is decided here
 * the same way when the LF arrives.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

/* Bytes held back from decoding: the last base64 group (its padding is
 * only legal at the end) and one CR before the LF. */
#define HOLD 5

void mdata__stream_reset(mdata__engine_t *e)
{
    free(e->st.val);
    memset(&e->st, 0, sizeof(e->st));
}

/*
 * Parse "V2 LEN CRC REQID CODE " from the line's first bytes: the offset
 * just past it, 0 while more bytes are needed, -1 when the line is not a
 * frame worth streaming (the line path takes it).
 */
static long parse_header(mdata__engine_t *e, const char *p, size_t n)
{
    mdata__stream_t *s = &e->st;
    size_t i = 3, start, len = 0;
    uint32_t crc = 0;
    int d;

    if (n < 3)
        return memcmp(p, "V2 ", n) == 0 ? 0 : -1;
    if (memcmp(p, "V2 ", 3) != 0)
        return -1;
    for (start = i; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        if (i - start >= 10)
            return -1;
        len = len * 10 + (size_t)(p[i] - '0');
    }
    if (i == n)
        return 0;
    if (i == start || p[i++] != ' ' || len <= MDATA__STREAM_MIN)
        return -1;
    for (start = i; i < n && i - start < 8; i++) {
        if ((d = mdata__hex_value(p[i])) < 0)
            return -1;
        crc = crc << 4 | (uint32_t)d;
    }
    if (i == n)
        return 0;
    if (p[i++] != ' ')
        return -1;
    s->body = i;
    for (start = i; i < n && i - start < 8; i++)
        if (mdata__hex_value(p[i]) < 0 || (p[i] >= 'A' && p[i] <= 'F'))
            return -1;
    if (i == n)
        return 0;
    if (p[i++] != ' ')
        return -1;
    memcpy(s->reqid, p + start, 8);
    s->reqid[8] = '\0';
    for (start = i; i < n && p[i] >= 'A' && p[i] <= 'Z'; i++)
        if (i - start >= MDATA_CODE_MAX)
            return -1;
    if (i == n)
        return 0;
    if (i == start || p[i] != ' ')
        return -1;
    memcpy(s->code, p + start, i - start);
    s->code[i - start] = '\0';
    s->len = len;
    s->crc_want = crc;
    return (long)i + 1;
}

/* Check and decode n base64 characters (a multiple of 4, the last group
 * may be padded only when last). */
static void take(mdata__stream_t *s, const char *p, size_t n, int last)
{
    size_t out = 0;

    if (n == 0)
        return;
    s->crc = mdata_crc32(s->crc, p, n);
    if (s->bad)
        return;
    if ((!last && memchr(p, '=', n) != NULL) ||
        s->val_len + n / 4 * 3 > s->val_cap ||
        mdata_base64_decode(p, n, s->val + s->val_len, &out,
                            MDATA_BASE64_STRICT, NULL) < 0) {
        s->bad = MDATA_EBASE64;
        return;
    }
    s->val_len += out;
}

/* Body bytes (no LF): all but the last HOLD are decoded, in whole groups;
 * the rest wait in s->carry for more bytes or the end of the line. */
static void body_bytes(mdata__stream_t *s, const char *p, size_t n)
{
    size_t total = s->carry_len + n, k, fill, from_p;

    s->seen += n;
    if (s->seen > s->len + 1) { /* more than announced (plus a CR) */
        if (!s->bad)
            s->bad = MDATA_ELENGTH;
        return;
    }
    k = total > HOLD ? (total - HOLD) / 4 * 4 : 0;
    if (k <= s->carry_len) {
        take(s, s->carry, k, 0);
        memmove(s->carry, s->carry + k, s->carry_len - k);
        s->carry_len -= k;
        memcpy(s->carry + s->carry_len, p, n);
        s->carry_len += n;
        return;
    }
    /* complete the carried group from p, then decode from p in place */
    from_p = k - s->carry_len;
    fill = (4 - s->carry_len % 4) % 4;
    memcpy(s->carry + s->carry_len, p, fill);
    take(s, s->carry, s->carry_len + fill, 0);
    take(s, p + fill, from_p - fill, 0);
    s->carry_len = n - from_p;
    memcpy(s->carry, p + from_p, s->carry_len);
}

/*
 * Is the line begun in e->pfx (no LF yet) a large frame for a pending
 * request? Then take it over: 1 (the pfx bytes are consumed), 0 when the
 * header is still incomplete, -1 when the line path should have it.
 */
int mdata__stream_begin(mdata__engine_t *e, uint64_t now)
{
    mdata__stream_t *s = &e->st;
    long at;
    size_t b64, need;
    mdata__req_t *r;

    if (e->proto != MDATA__PROTO_V2 ||
        (e->state != ST_READY && e->state != ST_PROBING))
        return -1;
    at = parse_header(e, e->pfx, e->pfx_len);
    if (at <= 0)
        return at == 0 && e->pfx_len < sizeof(e->pfx) ? 0 : -1;
    r = mdata__reqid_find(e, s->reqid);
    if (r == NULL || (size_t)at - s->body > s->len)
        return -1; /* stale or nonsense: the line path counts it */
    s->crc = mdata_crc32(0, e->pfx + s->body, (size_t)at - s->body);
    s->seen = (size_t)at - s->body;
    b64 = s->len - s->seen;
    need = b64 / 4 * 3;
    if (need > r->max_reply + 2) {
        /* over the request's bound however it ends: fail it now and let
         * the rest of the line go by */
        e->counters[MDATA_COUNTER_TOO_BIG]++;
        mdata__req_finish(e, r, MDATA_ETOOBIG, NULL, 0);
        s->dropping = 1;
    } else {
        s->val = malloc(need + 1);
        if (s->val == NULL) {
            e->counters[MDATA_COUNTER_BAD_LINES]++;
            s->dropping = 1;
        }
        s->val_cap = need;
    }
    (void)now;
    s->on = 1;
    if (!s->dropping)
        body_bytes(s, e->pfx + at, e->pfx_len - (size_t)at);
    return 1;
}

/* Bytes of the streamed line; eol when they end with its LF (not given). */
void mdata__stream_feed(mdata__engine_t *e, const char *p, size_t n, int eol,
                        uint64_t now)
{
    mdata__stream_t *s = &e->st;
    mdata__req_t *r;
    int status;

    if (!s->dropping)
        body_bytes(s, p, n);
    if (!eol)
        return;
    if (s->dropping) {
        mdata__stream_reset(e);
        return;
    }
    /* the end: one CR before the LF is tolerated, then the held bytes
     * are the last group */
    if (s->carry_len > 0 && s->carry[s->carry_len - 1] == '\r') {
        s->carry_len--;
        s->seen--;
    }
    if (s->seen != s->len)
        s->bad = MDATA_ELENGTH;
    else if (s->carry_len % 4 != 0 && !s->bad)
        s->bad = MDATA_EBASE64;
    take(s, s->carry, s->carry_len, 1);
    if (!s->bad && s->crc != s->crc_want)
        s->bad = MDATA_ECRC;
    if (s->bad) {
        e->counters[s->bad == MDATA_ECRC ? MDATA_COUNTER_CRC_ERRORS
                                          : MDATA_COUNTER_BAD_LINES]++;
        mdata__rx_damaged(e, s->reqid, s->bad, now);
        mdata__stream_reset(e);
        return;
    }
    r = mdata__reqid_find(e, s->reqid);
    if (r == NULL) {
        e->counters[MDATA_COUNTER_STALE]++;
        mdata__stream_reset(e);
        return;
    }
    if (r->where != RQ_INFLIGHT || strcmp(r->reqid, s->reqid) != 0)
        e->counters[MDATA_COUNTER_LATE]++;
    if (strcmp(s->code, "SUCCESS") == 0)
        status = 0;
    else if (strcmp(s->code, "NOTFOUND") == 0)
        status = MDATA_ENOTFOUND;
    else
        status = MDATA_EREMOTE;
    s->val[s->val_len] = '\0';
    mdata__req_finish(e, r, status, s->val, s->val_len);
    s->val = NULL;
    mdata__stream_reset(e);
}
