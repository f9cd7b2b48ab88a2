/*
 * Slow and noisy hosts on the fake clock: a reply to any attempt of a
 * pending request completes it (late), a damaged copy does not end an
 * attempt before its grace period, attempt waits grow, and hosts that need
 * 3.5 s, 7 s or 15 s per answer are answered within the deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-harness.h"

#define CNT(h, c) mdata__engine_counter((h)->e, MDATA_COUNTER_##c)

static void quick_cfg(mdata__engine_config_t *c)
{
    c->read_attempt_ms = 1000;
    c->write_attempt_ms = 1000;
    c->handshake_ms = 500;
    c->backoff_initial_ms = 100;
    c->backoff_max_ms = 100;
    c->max_attempts = 4;
    c->timeout_ms = 60000;
}

/* The attempt in flight times out; the resync is answered; the retry goes
 * out after its backoff. Returns the retry's request. */
static void lose_attempt(eh_t *h, eh_req_t *next)
{
    eh_at(h, mdata__engine_next_deadline(h->e));
    CU_ASSERT_FATAL(eh_out_is(h, "\n"));
    eh_feed(h, "invalid command\n");
    eh_at(h, mdata__engine_next_deadline(h->e));
    CU_ASSERT_FATAL(eh_requests(h, next, 1) == 1);
}

static void test_late_reply_completes_each_op(void)
{
    static const struct {
        int op;
        const char *reply;
    } ops[] = {
        {MDATA__OP_GET, "value"},
        {MDATA__OP_KEYS, "a\nb"},
        {MDATA__OP_PUT, "OK"},
        {MDATA__OP_DELETE, "OK"},
    };
    size_t i;

    for (i = 0; i < MDATA__ARRAY_SIZE(ops); i++) {
        eh_t h;
        eh_req_t r[2];
        const char *reply = ops[i].reply;

        eh_init(&h, quick_cfg);
        CU_ASSERT_FATAL(mdata__engine_submit(h.e, ops[i].op, "k", "v", 1, NULL,
                                             h.now, NULL, NULL) == 0);
        eh_handshake_v2(&h);
        CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
        lose_attempt(&h, r + 1);
        CU_ASSERT_EQUAL(CNT(&h, TIMEOUTS), 1);
        /* the host answers the first attempt at last: that is the answer
         * (a PUT or DELETE it answered was applied) */
        eh_reply(&h, r[0].reqid, "SUCCESS", reply, strlen(reply));
        CU_ASSERT_FATAL(h.ndone == 1);
        CU_ASSERT_EQUAL(h.done[0].status, 0);
        CU_ASSERT_EQUAL(h.done[0].op, ops[i].op);
        CU_ASSERT_EQUAL(h.done[0].attempts, 2);
        TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, reply,
                         strlen(reply));
        CU_ASSERT_EQUAL(CNT(&h, LATE), 1);
        CU_ASSERT_EQUAL(CNT(&h, STALE), 0);
        /* the second attempt's answer has no request any more */
        eh_reply(&h, r[1].reqid, "SUCCESS", reply, strlen(reply));
        CU_ASSERT_EQUAL(h.ndone, 1);
        CU_ASSERT_EQUAL(CNT(&h, STALE), 1);
        CU_ASSERT(!mdata__engine_busy(h.e));
        eh_req_free(r, 2);
        eh_fini(&h);
    }
}

/* The reply comes while the request waits to be resent: it is done, and
 * nothing more is sent for it. */
static void test_late_reply_before_resend(void)
{
    eh_t h;
    eh_req_t r[1];

    eh_init(&h, quick_cfg);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    eh_at(&h, mdata__engine_next_deadline(h.e)); /* attempt 1 given up */
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_reply(&h, r[0].reqid, "NOTFOUND", NULL, 0);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ENOTFOUND);
    CU_ASSERT_EQUAL(h.done[0].attempts, 1);
    CU_ASSERT_EQUAL(CNT(&h, LATE), 1);
    eh_feed(&h, "invalid command\n");
    eh_at(&h, h.now + 10000);
    CU_ASSERT(eh_out_is(&h, ""));
    CU_ASSERT_EQUAL(CNT(&h, ATTEMPTS), 1);
    CU_ASSERT(!mdata__engine_busy(h.e));
    eh_req_free(r, 1);
    eh_fini(&h);
}

static void many_attempts(mdata__engine_config_t *c)
{
    quick_cfg(c);
    c->read_attempt_ms = 10;
    c->max_attempts = 12;
}

/* Only the last MDATA__REQID_HISTORY attempts' ids are remembered. */
static void test_late_history_bounded(void)
{
    eh_t h;
    eh_req_t r[10];
    int i;

    eh_init(&h, many_attempts);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    for (i = 1; i < 10; i++)
        lose_attempt(&h, r + i);
    CU_ASSERT_EQUAL(CNT(&h, ATTEMPTS), 10);
    /* attempts 1 and 2 are forgotten: 10 - 8 */
    eh_reply(&h, r[0].reqid, "SUCCESS", "v", 1);
    eh_reply(&h, r[1].reqid, "SUCCESS", "v", 1);
    CU_ASSERT_EQUAL(h.ndone, 0);
    CU_ASSERT_EQUAL(CNT(&h, STALE), 2);
    /* the oldest one remembered completes it */
    eh_reply(&h, r[10 - MDATA__REQID_HISTORY].reqid, "SUCCESS", "v", 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    CU_ASSERT_EQUAL(CNT(&h, LATE), 1);
    eh_req_free(r, 10);
    eh_fini(&h);
}

/* A random source that repeats itself: ids must still never be shared. */
static const uint32_t script[] = {
    0x11111111, /* A, attempt 1 */
    0x11111111, /* A, attempt 2: its own earlier id, refused */
    0x22222222, /* A, attempt 2 */
    0x11111111, /* B: A's earlier id, refused */
    0x22222222, /* B: A's current id, refused */
    0x33333333, /* B */
};
static size_t script_at;

static uint32_t script_random(void *ctx)
{
    (void)ctx;
    return script[script_at++ % MDATA__ARRAY_SIZE(script)];
}

static void scripted_ids(mdata__engine_config_t *c)
{
    quick_cfg(c);
    c->random = script_random;
    script_at = 0;
}

static void test_late_ids_unique_across_histories(void)
{
    eh_t h;
    eh_req_t r[3];

    eh_init(&h, scripted_ids);
    eh_get(&h, "a");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    CU_ASSERT_STRING_EQUAL(r[0].reqid, "11111111");
    lose_attempt(&h, r + 1);
    CU_ASSERT_STRING_EQUAL(r[1].reqid, "22222222");
    eh_get(&h, "b");
    CU_ASSERT_FATAL(eh_requests(&h, r + 2, 1) == 1);
    CU_ASSERT_STRING_EQUAL(r[2].reqid, "33333333");
    TU_ASSERT_MEM_EQ(r[2].payload, r[2].payload_len, "b", 1);
    /* A's first id answers A, never B */
    eh_reply(&h, "11111111", "SUCCESS", "for a", 5);
    CU_ASSERT_FATAL(h.ndone == 1);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "for a", 5);
    CU_ASSERT_EQUAL(CNT(&h, LATE), 1);
    eh_reply(&h, "33333333", "SUCCESS", "for b", 5);
    CU_ASSERT_FATAL(h.ndone == 2);
    TU_ASSERT_MEM_EQ(h.done[1].value, h.done[1].value_len, "for b", 5);
    CU_ASSERT_EQUAL(CNT(&h, LATE), 1);
    eh_req_free(r, 3);
    eh_fini(&h);
}

/* Ids come and go through the hash table by the thousand: every reply
 * still finds its own request, and finished ones are forgotten. */
static void wide_cfg(mdata__engine_config_t *c)
{
    quick_cfg(c);
    c->max_inflight = 200;
}

static void test_late_id_table_churn(void)
{
    eh_t h;
    eh_req_t *r = calloc(400, sizeof(*r));
    int round, i, n;

    eh_init(&h, wide_cfg);
    eh_get(&h, "first");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    eh_reply(&h, r[0].reqid, "SUCCESS", "x", 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    free(h.vals[0]);
    h.ndone = 0;
    eh_req_free(r, 1);
    for (round = 0; round < 20; round++) {
        char key[16];

        for (i = 0; i < 200; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            CU_ASSERT_FATAL(mdata__engine_submit(h.e, MDATA__OP_GET, key, NULL,
                                                 0, NULL, h.now, NULL,
                                                 NULL) == 0);
        }
        n = eh_requests(&h, r, 200);
        CU_ASSERT_FATAL(n == 200);
        /* every attempt is lost once; then the first attempts answer */
        eh_at(&h, mdata__engine_next_deadline(h.e));
        CU_ASSERT(eh_out_is(&h, "\n"));
        eh_feed(&h, "invalid command\n");
        eh_at(&h, mdata__engine_next_deadline(h.e));
        CU_ASSERT_FATAL(eh_requests(&h, r + 200, 200) == 200);
        for (i = 0; i < 200; i++) {
            /* answered in a scrambled order (7919 is prime to 200), so
             * ids leave the table from the middle of probe runs */
            int k = (i * 7919 + round * 13) % 200;

            eh_reply(&h, r[k].reqid, "SUCCESS", r[k].payload,
                     r[k].payload_len);
            CU_ASSERT_FATAL(h.ndone == 1);
            TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len,
                             r[k].payload, r[k].payload_len);
            free(h.vals[0]);
            h.ndone = 0;
        }
        for (i = 200; i < 400; i++)
            eh_reply(&h, r[i].reqid, "SUCCESS", "x", 1);
        CU_ASSERT_EQUAL(h.ndone, 0);
        eh_req_free(r, 400);
    }
    CU_ASSERT_EQUAL(CNT(&h, LATE), 4000);
    CU_ASSERT_EQUAL(CNT(&h, STALE), 4000);
    CU_ASSERT(!mdata__engine_busy(h.e));
    free(r);
    eh_fini(&h);
}

/* ---- damaged copies ---- */

/* The reply to reqid, damaged the given way: 'c' CRC, 'l' length,
 * 'b' base64 (a valid frame around an invalid payload). */
static size_t damaged(const char *reqid, int how, char *buf, size_t cap)
{
    size_t len;

    if (how == 'b') {
        char body[64];

        snprintf(body, sizeof(body), "%s SUCCESS dmFsd!U=", reqid);
        len = (size_t)snprintf(buf, cap, "V2 %zu %08lx %s\n", strlen(body),
                               (unsigned long)mdata_crc32(0, body,
                                                          strlen(body)),
                               body);
        return len;
    }
    CU_ASSERT_FATAL(mdata_frame_encode(reqid, "SUCCESS", "value", 5, buf, cap,
                                       &len) == 0);
    if (how == 'c') {
        buf[len - 3] ^= 1;
    } else {
        /* one character lost in the middle: the length no longer fits */
        memmove(buf + len - 6, buf + len - 5, 5);
        len--;
    }
    return len;
}

static void test_damaged_copy_then_good_reply(void)
{
    static const int kinds[] = {'c', 'l', 'b'};
    size_t i;

    for (i = 0; i < MDATA__ARRAY_SIZE(kinds); i++) {
        eh_t h;
        eh_req_t r[1];
        char buf[256];
        size_t len;
        uint64_t t0;

        eh_init(&h, NULL);
        eh_get(&h, "k");
        eh_handshake_v2(&h);
        CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
        t0 = h.now;
        eh_feed(&h, "#junk\n");
        eh_reply(&h, "0badf00d", "SUCCESS", "other", 5);
        len = damaged(r[0].reqid, kinds[i], buf, sizeof(buf));
        eh_feed_mem(&h, buf, len);
        CU_ASSERT_EQUAL(h.ndone, 0);
        eh_at(&h, t0 + MDATA__DAMAGE_GRACE_MS - 1);
        eh_reply(&h, r[0].reqid, "SUCCESS", "value", 5);
        CU_ASSERT_FATAL(h.ndone == 1);
        CU_ASSERT_EQUAL(h.done[0].status, 0);
        CU_ASSERT_EQUAL(h.done[0].attempts, 1);
        TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "value", 5);
        /* first attempt, nothing resent, no resync */
        CU_ASSERT(eh_out_is(&h, ""));
        CU_ASSERT_EQUAL(CNT(&h, RETRIES), 0);
        CU_ASSERT_EQUAL(CNT(&h, RESYNCS), 0);
        CU_ASSERT_EQUAL(CNT(&h, STALE), 1);
        CU_ASSERT_EQUAL(CNT(&h, CRC_ERRORS) + CNT(&h, BAD_LINES), 2);
        eh_req_free(r, 1);
        eh_fini(&h);
    }
}

/* Only damaged copies: every attempt ends a grace period after its copy,
 * and the request fails with the damage. */
static void test_damaged_only_retries_promptly(void)
{
    static const struct {
        int how, status;
    } kinds[] = {{'c', MDATA_ECRC}, {'l', MDATA_ELENGTH}, {'b', MDATA_EBASE64}};
    size_t i;

    for (i = 0; i < MDATA__ARRAY_SIZE(kinds); i++) {
        eh_t h;
        uint64_t t0;
        int a;

        eh_init(&h, quick_cfg);
        eh_get(&h, "k");
        eh_handshake_v2(&h);
        t0 = h.now;
        for (a = 0; a < 4; a++) {
            eh_req_t r[1];
            char buf[256];
            size_t len;

            CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
            len = damaged(r[0].reqid, kinds[i].how, buf, sizeof(buf));
            eh_feed_mem(&h, buf, len);
            CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e),
                            h.now + MDATA__DAMAGE_GRACE_MS);
            eh_at(&h, h.now + MDATA__DAMAGE_GRACE_MS);
            eh_req_free(r, 1);
            if (a < 3) {
                CU_ASSERT(eh_out_is(&h, "\n"));
                eh_feed(&h, "invalid command\n");
                eh_at(&h, mdata__engine_next_deadline(h.e));
            }
        }
        CU_ASSERT_FATAL(h.ndone == 1);
        CU_ASSERT_EQUAL(h.done[0].status, kinds[i].status);
        CU_ASSERT_EQUAL(h.done[0].attempts, 4);
        CU_ASSERT_EQUAL(CNT(&h, TIMEOUTS), 0);
        /* 4 graces and 3 backoffs of 100 ms: no attempt timeout waited */
        CU_ASSERT_EQUAL(h.now - t0, 4 * MDATA__DAMAGE_GRACE_MS + 3 * 100);
        eh_fini(&h);
    }
}

/* A damaged copy naming an attempt already given up on does not cut the
 * current attempt short. */
static void test_damaged_copy_of_earlier_attempt(void)
{
    eh_t h;
    eh_req_t r[2];
    char buf[256];
    size_t len;
    uint64_t due;

    eh_init(&h, quick_cfg);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    lose_attempt(&h, r + 1);
    due = mdata__engine_next_deadline(h.e);
    CU_ASSERT_EQUAL(due, h.now + 2000);
    len = damaged(r[0].reqid, 'c', buf, sizeof(buf));
    eh_feed_mem(&h, buf, len);
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), due);
    eh_reply(&h, r[1].reqid, "SUCCESS", "v", 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    eh_req_free(r, 2);
    eh_fini(&h);
}

/* A reply whose CRC is in upper-case hex is a good reply. */
static void test_upper_case_crc_reply(void)
{
    eh_t h;
    eh_req_t r[1];
    char buf[256];
    size_t len, i;

    eh_init(&h, NULL);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    CU_ASSERT_FATAL(mdata_frame_encode(r[0].reqid, "SUCCESS", "value", 5, buf,
                                       sizeof(buf), &len) == 0);
    for (i = 6; i < 14; i++) /* "V2 NN " then the CRC */
        if (buf[i] >= 'a' && buf[i] <= 'f')
            buf[i] = (char)(buf[i] - 'a' + 'A');
    eh_feed_mem(&h, buf, len);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "value", 5);
    CU_ASSERT_EQUAL(CNT(&h, CRC_ERRORS) + CNT(&h, BAD_LINES), 0);
    eh_req_free(r, 1);
    eh_fini(&h);
}

/* ---- growing attempt waits ---- */

static uint64_t day_deadline_ms = 30000;

static void deadline_cfg(mdata__engine_config_t *c)
{
    c->timeout_ms = day_deadline_ms;
}

/* The host never answers requests (but does answer probes): the waits of
 * the attempts, as seen from the request leaving to its attempt ending. */
static void attempt_schedule(int op, uint64_t timeout, uint64_t *waits,
                             int *n, int *status, uint64_t *took)
{
    eh_t h;
    uint64_t t0;

    day_deadline_ms = timeout;
    eh_init(&h, deadline_cfg);
    CU_ASSERT_FATAL(mdata__engine_submit(h.e, op, "k", "v", 1, NULL, h.now,
                                         NULL, NULL) == 0);
    t0 = h.now;
    eh_handshake_v2(&h);
    *n = 0;
    while (h.ndone == 0) {
        eh_req_t r[1];
        uint64_t sent;

        CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
        eh_req_free(r, 1);
        sent = h.now;
        eh_at(&h, mdata__engine_next_deadline(h.e));
        waits[(*n)++] = h.now - sent;
        if (h.ndone == 0) {
            CU_ASSERT_FATAL(eh_out_is(&h, "\n"));
            eh_feed(&h, "invalid command\n");
            eh_at(&h, mdata__engine_next_deadline(h.e));
        }
    }
    *status = h.done[0].status;
    *took = h.now - t0;
    eh_fini(&h);
}

static void test_attempt_waits_grow(void)
{
    uint64_t w[8], took;
    int n, status;

    /* defaults: GET waits 3, 6, 12 s, the last what is left of 30 s */
    attempt_schedule(MDATA__OP_GET, 30000, w, &n, &status, &took);
    CU_ASSERT_FATAL(n == 4);
    CU_ASSERT(w[0] == 3000 && w[1] == 6000 && w[2] == 12000);
    CU_ASSERT_EQUAL(w[3], 30000 - (3000 + 6000 + 12000 + 100 + 200 + 400));
    CU_ASSERT_EQUAL(status, MDATA_ETIMEDOUT);
    CU_ASSERT_EQUAL(took, 30000);
    /* a 60 s deadline: the last attempt takes the rest of it */
    attempt_schedule(MDATA__OP_GET, 60000, w, &n, &status, &took);
    CU_ASSERT_FATAL(n == 4);
    CU_ASSERT_EQUAL(w[3], 60000 - (3000 + 6000 + 12000 + 100 + 200 + 400));
    CU_ASSERT_EQUAL(took, 60000);
    /* a day (the tools without -t): the last waits 16 x 3 s, so a host
     * that answers probes but no request is still given up on */
    attempt_schedule(MDATA__OP_GET, 86400000, w, &n, &status, &took);
    CU_ASSERT_FATAL(n == 4);
    CU_ASSERT_EQUAL(w[3], 48000);
    CU_ASSERT_EQUAL(took, 3000 + 6000 + 12000 + 48000 + 100 + 200 + 400);
    CU_ASSERT_EQUAL(status, MDATA_ETIMEDOUT);
    /* PUT: 10 s, then 20 s, cut by the 30 s deadline */
    attempt_schedule(MDATA__OP_PUT, 30000, w, &n, &status, &took);
    CU_ASSERT_FATAL(n == 2);
    CU_ASSERT(w[0] == 10000 && w[1] == 30000 - 10000 - 100);
    CU_ASSERT_EQUAL(took, 30000);
}

/* ---- slow hosts ---- */

typedef struct due_reply {
    char reqid[17];
    char code[16];
    uint64_t at;
} due_reply_t;

/*
 * A host that answers every V2 request after delay ms (probe and
 * NEGOTIATE answers at once) and keeps reading meanwhile. Runs until the
 * one request submitted completes; returns its completion time.
 */
/* Replies due at the same time as an engine deadline come before it
 * (feed_first) or after it: both orders happen on a real line. */
static int feed_first;

static uint64_t run_slow_host_lines(eh_t *h, uint64_t delay,
                                    uint64_t line_delay, const char *value)
{
    due_reply_t due[128];
    int ndue = 0;

    mdata__engine_connected(h->e, h->now);
    while (h->ndone == 0) {
        uint64_t t, next;
        char *p, *lf;
        int i;

        eh_take(h);
        for (p = h->out; (lf = memchr(p, '\n', h->out + h->out_len - p));
             p = lf + 1) {
            size_t len = (size_t)(lf - p);

            CU_ASSERT_FATAL(ndue < 128);
            if (len == 0 && line_delay == 0) {
                eh_feed(h, "invalid command\n");
            } else if (len == 12 && memcmp(p, "NEGOTIATE V2", 12) == 0 &&
                       line_delay == 0) {
                eh_feed(h, "V2_OK\n");
            } else if (len == 0 || (len == 12 && p[0] == 'N')) {
                /* a handshake line answered late: code "" stands for it */
                strcpy(due[ndue].reqid, len == 0 ? "invalid command\n"
                                                 : "V2_OK\n");
                due[ndue].code[0] = '\0';
                due[ndue++].at = h->now + line_delay;
            } else {
                uint8_t pl[256];
                mdata_frame_t f;

                CU_ASSERT_FATAL(mdata_frame_parse(p, len, pl, &f, NULL) == 0);
                strcpy(due[ndue].reqid, f.reqid);
                strcpy(due[ndue].code, f.code);
                due[ndue++].at = h->now + delay;
            }
        }
        h->out_len = 0;
        {
            size_t n;

            mdata__engine_output(h->e, &n);
            if (n > 0)
                continue; /* answers made the engine write more */
        }
        next = mdata__engine_next_deadline(h->e);
        t = next;
        for (i = 0; i < ndue; i++)
            if (due[i].at < t)
                t = due[i].at;
        CU_ASSERT_FATAL(t != UINT64_MAX);
        if (feed_first)
            h->now = t;
        else
            eh_at(h, t);
        /* in the order they were due (and sent) */
        for (i = 0; i < ndue && h->ndone == 0; i++) {
            if (due[i].at != h->now)
                continue;
            if (due[i].code[0] == '\0')
                eh_feed(h, due[i].reqid);
            else
                eh_reply(h, due[i].reqid, "SUCCESS", value, strlen(value));
            memmove(due + i, due + i + 1, (size_t)(ndue - i - 1) *
                                              sizeof(due[0]));
            ndue--;
            i--;
        }
        if (feed_first)
            eh_at(h, t);
    }
    return h->now;
}

static uint64_t run_slow_host(eh_t *h, uint64_t delay, const char *value)
{
    return run_slow_host_lines(h, delay, 0, value);
}

static void test_slow_host_answered(void)
{
    static const struct {
        uint64_t delay, timeout;
        int op;
        const char *value;
    } cases[] = {
        {3500, 30000, MDATA__OP_GET, "v"},
        {7000, 30000, MDATA__OP_GET, "v"},
        {15000, 30000, MDATA__OP_GET, "v"},
        {3500, 60000, MDATA__OP_GET, "v"},
        {7000, 60000, MDATA__OP_KEYS, "a\nb"},
        {15000, 60000, MDATA__OP_GET, "v"},
        {29000, 30000, MDATA__OP_GET, "v"},
        {12000, 30000, MDATA__OP_PUT, "OK"},
        {12000, 30000, MDATA__OP_DELETE, "OK"},
        {25000, 30000, MDATA__OP_PUT, "OK"},
    };
    size_t i;

    for (i = 0; i < MDATA__ARRAY_SIZE(cases); i++) {
        eh_t h;
        uint64_t t0, at;

        day_deadline_ms = cases[i].timeout;
        eh_init(&h, deadline_cfg);
        CU_ASSERT_FATAL(mdata__engine_submit(h.e, cases[i].op, "k", "v", 1,
                                             NULL, h.now, NULL, NULL) == 0);
        t0 = h.now;
        at = run_slow_host(&h, cases[i].delay, cases[i].value);
        /* answered when the first attempt's answer came */
        CU_ASSERT_EQUAL(at - t0, cases[i].delay);
        CU_ASSERT_EQUAL(h.done[0].status, 0);
        TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len,
                         cases[i].value, strlen(cases[i].value));
        CU_ASSERT_EQUAL(CNT(&h, LATE), h.done[0].attempts > 1);
        if (h.done[0].status != 0 || at - t0 != cases[i].delay)
            fprintf(stderr, "case %zu: status %d after %llu ms\n", i,
                    h.done[0].status, (unsigned long long)(at - t0));
        eh_fini(&h);
    }
}

/* A host slow to answer anything, the handshake too (longer than the
 * handshake wait): its late V2_OK still counts, and the request is
 * answered well within the deadline. */
static void test_slow_host_slow_handshake(void)
{
    static const uint64_t delays[] = {2500, 3500, 5000, 7000};
    size_t i;

    for (i = 0; i < 2 * MDATA__ARRAY_SIZE(delays); i++) {
        eh_t h;
        uint64_t t0, at;
        uint64_t delay = delays[i / 2];

        day_deadline_ms = 30000;
        eh_init(&h, deadline_cfg);
        eh_get(&h, "k");
        t0 = h.now;
        feed_first = (int)(i % 2);
        at = run_slow_host_lines(&h, delay, delay, "v");
        CU_ASSERT_EQUAL(h.done[0].status, 0);
        CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V2);
        /* a few round trips: probe, (NEGOTIATE), probe, GET */
        CU_ASSERT(at - t0 <= 4 * delay);
        if (h.done[0].status != 0 || at - t0 > 4 * delay)
            fprintf(stderr,
                    "slow handshake %llu (%s first): status %d after %llu "
                    "ms\n",
                    (unsigned long long)delay,
                    feed_first ? "replies" : "timeouts", h.done[0].status,
                    (unsigned long long)(at - t0));
        eh_fini(&h);
    }
    feed_first = 0;
}

CU_TestInfo engine_late_tests[] = {
    {"late_reply_completes_each_op", test_late_reply_completes_each_op},
    {"late_reply_before_resend", test_late_reply_before_resend},
    {"late_history_bounded", test_late_history_bounded},
    {"late_ids_unique_across_histories",
     test_late_ids_unique_across_histories},
    {"late_id_table_churn", test_late_id_table_churn},
    {"damaged_copy_then_good_reply", test_damaged_copy_then_good_reply},
    {"damaged_only_retries_promptly", test_damaged_only_retries_promptly},
    {"damaged_copy_of_earlier_attempt", test_damaged_copy_of_earlier_attempt},
    {"upper_case_crc_reply", test_upper_case_crc_reply},
    {"attempt_waits_grow", test_attempt_waits_grow},
    {"slow_host_answered", test_slow_host_answered},
    {"slow_host_slow_handshake", test_slow_host_slow_handshake},
    CU_TEST_INFO_NULL,
};
