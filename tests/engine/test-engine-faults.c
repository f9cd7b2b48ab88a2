/* Engine under faults: lost replies, retries, deadlines, corrupt lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-harness.h"

#define CNT(h, c) mdata__engine_counter((h)->e, MDATA_COUNTER_##c)

static void test_engine_bad_lines_skipped(void)
{
    eh_t h;
    eh_req_t r[1];
    char buf[256];
    size_t len;

    eh_init(&h, NULL);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    CU_ASSERT_FATAL(mdata_frame_encode(r[0].reqid, "SUCCESS", "right", 5, buf,
                                       sizeof(buf), &len) == 0);
    /* stale id */
    eh_reply(&h, "0badf00d", "SUCCESS", "wrong", 5);
    /* bad CRC (of a frame for no request in flight) */
    {
        char bad[256];
        size_t blen;

        CU_ASSERT_FATAL(mdata_frame_encode("0badf00d", "SUCCESS", "wrong", 5,
                                           bad, sizeof(bad), &blen) == 0);
        bad[blen - 3] ^= 1;
        eh_feed_mem(&h, bad, blen);
    }
    /* bad length */
    eh_feed(&h, "V2 99 265ae1d8 dc4fae17 SUCCESS W10=\n");
    /* junk */
    eh_feed(&h, "garbage\n\n");
    CU_ASSERT_EQUAL(h.ndone, 0);
    /* the real one, with CRLF (tolerated) */
    buf[len - 1] = '\r';
    buf[len] = '\n';
    eh_feed_mem(&h, buf, len + 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "right", 5);
    CU_ASSERT_EQUAL(CNT(&h, STALE), 1);
    CU_ASSERT_EQUAL(CNT(&h, CRC_ERRORS), 1);
    CU_ASSERT_EQUAL(CNT(&h, BAD_LINES), 3);
    CU_ASSERT_EQUAL(CNT(&h, RETRIES), 0);
    eh_req_free(r, 1);
    eh_fini(&h);
}

static void test_engine_damaged_reply_retried_after_grace(void)
{
    eh_t h;
    eh_req_t r[2];
    char buf[256];
    size_t len;
    uint64_t t0;

    eh_init(&h, NULL);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    CU_ASSERT_FATAL(mdata_frame_encode(r[0].reqid, "SUCCESS", "right", 5, buf,
                                       sizeof(buf), &len) == 0);
    buf[len - 3] ^= 1; /* its reply, damaged */
    t0 = h.now;
    eh_feed_mem(&h, buf, len);
    CU_ASSERT_EQUAL(CNT(&h, CRC_ERRORS), 1);
    /* a good copy may follow: the attempt listens on for the grace
     * period, not its whole timeout (3 s) */
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e),
                    t0 + MDATA__DAMAGE_GRACE_MS);
    eh_at(&h, t0 + MDATA__DAMAGE_GRACE_MS - 1);
    CU_ASSERT(eh_out_is(&h, ""));
    /* none came: resync, backoff, resend */
    eh_at(&h, t0 + MDATA__DAMAGE_GRACE_MS);
    CU_ASSERT_EQUAL(CNT(&h, TIMEOUTS), 0);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n");
    eh_at(&h, mdata__engine_next_deadline(h.e));
    CU_ASSERT_FATAL(eh_requests(&h, r + 1, 1) == 1);
    CU_ASSERT(strcmp(r[0].reqid, r[1].reqid) != 0);
    eh_reply(&h, r[1].reqid, "SUCCESS", "right", 5);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    CU_ASSERT_EQUAL(h.done[0].attempts, 2);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "right", 5);
    eh_req_free(r, 2);
    eh_fini(&h);
}

static void backoff_cfg(mdata__engine_config_t *c)
{
    c->read_attempt_ms = 1000;
    c->handshake_ms = 500;
    c->backoff_initial_ms = 200;
    c->backoff_max_ms = 300;
    c->max_attempts = 3;
    c->timeout_ms = 60000;
}

static void test_engine_lost_reply_retried(void)
{
    eh_t h;
    eh_req_t r[2];
    uint64_t t0;

    eh_init(&h, backoff_cfg);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    t0 = h.now;
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), t0 + 1000);
    eh_at(&h, t0 + 999);
    CU_ASSERT(eh_out_is(&h, ""));
    /* the reply is lost: resync first */
    eh_at(&h, t0 + 1000);
    CU_ASSERT(eh_out_is(&h, "\n"));
    CU_ASSERT_EQUAL(CNT(&h, TIMEOUTS), 1);
    CU_ASSERT_EQUAL(CNT(&h, RESYNCS), 1);
    eh_feed(&h, "invalid command\n");
    /* no renegotiation; the retry waits for its backoff */
    CU_ASSERT(eh_out_is(&h, ""));
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), t0 + 1200);
    eh_at(&h, t0 + 1200);
    CU_ASSERT_FATAL(eh_requests(&h, r + 1, 1) == 1);
    CU_ASSERT(strcmp(r[0].reqid, r[1].reqid) != 0); /* fresh id */
    /* the second attempt waits twice as long */
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), t0 + 1200 + 2000);
    eh_reply(&h, r[1].reqid, "SUCCESS", "new", 3);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].attempts, 2);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "new", 3);
    CU_ASSERT_EQUAL(CNT(&h, RETRIES), 1);
    CU_ASSERT_EQUAL(CNT(&h, ATTEMPTS), 2);
    CU_ASSERT_EQUAL(CNT(&h, LATE), 0);
    /* the first reply arrives after all: its request is done, stale */
    eh_reply(&h, r[0].reqid, "SUCCESS", "old", 3);
    CU_ASSERT_EQUAL(h.ndone, 1);
    CU_ASSERT_EQUAL(CNT(&h, STALE), 1);
    eh_req_free(r, 2);
    eh_fini(&h);
}

static void test_engine_attempts_exhausted(void)
{
    eh_t h;
    eh_req_t r[1];
    int i;

    /* each attempt waits twice as long as the one before; the last, the
     * 3rd, twice that again (the 60 s deadline is not reached) */
    static const uint64_t waits[] = {1000, 2000, 8000};

    eh_init(&h, backoff_cfg);
    eh_get(&h, "k");
    eh_handshake_v2(&h);
    for (i = 0; i < 3; i++) {
        CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
        eh_req_free(r, 1);
        CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), h.now + waits[i]);
        eh_at(&h, h.now + waits[i] - 1);
        CU_ASSERT(eh_out_is(&h, ""));
        eh_at(&h, h.now + 1); /* lost */
        CU_ASSERT(eh_out_is(&h, "\n"));
        eh_feed(&h, "invalid command\n");
        if (i < 2)
            eh_at(&h, mdata__engine_next_deadline(h.e));
    }
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ETIMEDOUT);
    CU_ASSERT_EQUAL(h.done[0].attempts, 3);
    CU_ASSERT_EQUAL(CNT(&h, TIMEOUTS), 3);
    CU_ASSERT(!mdata__engine_busy(h.e));
    eh_fini(&h);
}

static void short_deadline(mdata__engine_config_t *c)
{
    c->timeout_ms = 5000;
    c->handshake_ms = 1000;
}

static void test_engine_probe_never_answered(void)
{
    eh_t h;
    uint64_t t0;
    int probes = 0;

    eh_init(&h, short_deadline);
    t0 = h.now;
    eh_get(&h, "k");
    mdata__engine_connected(h.e, h.now);
    while (h.ndone == 0) {
        uint64_t d = mdata__engine_next_deadline(h.e);

        CU_ASSERT_FATAL(d != UINT64_MAX && d <= t0 + 5000);
        if (eh_out_is(&h, "\n"))
            probes++;
        eh_at(&h, d);
    }
    CU_ASSERT_EQUAL(h.now, t0 + 5000);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ETIMEDOUT);
    CU_ASSERT(probes >= 4);
    CU_ASSERT(CNT(&h, RESYNCS) >= 3);
    /* nobody waits: probing stops */
    eh_take(&h);
    eh_at(&h, h.now + 10000);
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), UINT64_MAX);
    eh_fini(&h);
}

static void test_engine_probe_retry_late_answers(void)
{
    eh_t h;
    eh_req_t r[1];

    eh_init(&h, short_deadline);
    eh_get(&h, "k");
    mdata__engine_connected(h.e, h.now);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_at(&h, h.now + 1000);
    CU_ASSERT(eh_out_is(&h, "\n")); /* second probe */
    /* both probes answered now */
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "invalid command\nV2_OK\n");
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V2);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    eh_req_free(r, 1);
    eh_fini(&h);
}

/*
 * A probe given up on because its request expired is still answered: the
 * next request's probe must not take that answer for its own, or a V1
 * host's answers all arrive one line off (found by fuzz-engine: the
 * second GET ended ENOTSUP with the answer to a probe). The host here
 * answers every line in order, as a real one does.
 */
static void probe_600(mdata__engine_config_t *c)
{
    c->timeout_ms = 1000;
    c->handshake_ms = 600;
}

static void test_engine_probe_given_up_still_answered(void)
{
    eh_t h;

    eh_init(&h, probe_600);
    eh_get(&h, "a");
    mdata__engine_connected(h.e, h.now);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_at(&h, h.now + 1000); /* GET a expires, nobody waits */
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ETIMEDOUT);
    CU_ASSERT(eh_out_is(&h, ""));
    eh_get(&h, "b");
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n"); /* the first probe's answer */
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "invalid command\n"); /* the second's: nothing to do */
    CU_ASSERT(eh_out_is(&h, ""));
    eh_feed(&h, "FAILURE\n"); /* NEGOTIATE: a V1 host */
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V1);
    CU_ASSERT(eh_out_is(&h, "GET b\n"));
    eh_feed(&h, "SUCCESS\nvalue b\n.\n");
    CU_ASSERT_FATAL(h.ndone == 2);
    CU_ASSERT_EQUAL(h.done[1].status, 0);
    TU_ASSERT_MEM_EQ(h.done[1].value, h.done[1].value_len, "value b", 7);
    eh_fini(&h);
}

static void probe_800(mdata__engine_config_t *c)
{
    c->handshake_ms = 800;
    c->timeout_ms = 100000;
}

static void test_engine_probe_schedule(void)
{
    eh_t h;
    uint64_t t0, at;
    static const uint64_t gaps[] = {800, 800, 800, 800, 800};
    size_t i;

    eh_init(&h, probe_800);
    t0 = h.now;
    eh_get(&h, "k");
    mdata__engine_connected(h.e, h.now);
    CU_ASSERT(eh_out_is(&h, "\n"));
    at = t0;
    for (i = 0; i < MDATA__ARRAY_SIZE(gaps); i++) {
        at += gaps[i];
        CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), at);
        eh_at(&h, at);
        CU_ASSERT(eh_out_is(&h, "\n"));
    }
    /* answered: the extra answers are skipped, the streak starts over */
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "invalid command\ninvalid command\nV2_OK\n");
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V2);
    eh_take(&h);
    h.out_len = 0;
    /* lost reply: the resync probe waits the same time */
    at = h.now + 3000;
    eh_at(&h, at);
    CU_ASSERT(eh_out_is(&h, "\n"));
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), at + 800);
    eh_fini(&h);
}

static void test_engine_deadline_while_disconnected(void)
{
    eh_t h;

    eh_init(&h, short_deadline);
    eh_get(&h, "k");
    mdata__engine_set_wait_status(h.e, MDATA_ELOCKED);
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), h.now + 5000);
    eh_at(&h, h.now + 5000);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ELOCKED);
    eh_fini(&h);
}

static void slow_write_cfg(mdata__engine_config_t *c)
{
    c->read_attempt_ms = 100;
    c->write_attempt_ms = 5000;
}

static void test_engine_attempt_clock_starts_when_written(void)
{
    eh_t h;
    uint32_t id;
    size_t n;
    const char *out;

    eh_init(&h, slow_write_cfg);
    CU_ASSERT(mdata__engine_submit(h.e, MDATA__OP_PUT, "k", "v", 1, NULL,
                                   h.now, &id, NULL) == 0);
    eh_handshake_v2(&h);
    /* the PUT is queued for output but not yet written */
    out = mdata__engine_output(h.e, &n);
    CU_ASSERT(n > 0 && out[0] == 'V');
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), h.now + 30000);
    h.now += 50000 - 30000 - 1; /* still before the total deadline */
    h.now = 1000 + 29000;
    mdata__engine_output_done(h.e, n - 1, h.now);
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), 1000 + 30000);
    mdata__engine_output_done(h.e, 1, h.now);
    /* PUT waits write_attempt_ms, but the total deadline comes first */
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), 1000 + 30000);
    eh_at(&h, 1000 + 30000);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ETIMEDOUT);
    eh_fini(&h);
}

static void small_reply(mdata__engine_config_t *c)
{
    c->max_reply = 1024;
}

static void test_engine_reply_too_big(void)
{
    eh_t h;
    eh_req_t r[3];
    uint8_t big[4096];
    size_t i;

    eh_init(&h, small_reply);
    eh_get(&h, "big");
    eh_get(&h, "small");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 3) == 2);
    tu_fill_random(big, sizeof(big), 7);
    /* fed in small chunks so the decoder sees it grow past its limit */
    {
        size_t cap = mdata_frame_encoded_size(8, 7, sizeof(big)), len;
        char *buf = malloc(cap);

        CU_ASSERT_FATAL(mdata_frame_encode(r[0].reqid, "SUCCESS", big,
                                           sizeof(big), buf, cap, &len) == 0);
        for (i = 0; i < len; i += 100)
            eh_feed_mem(&h, buf + i, len - i < 100 ? len - i : 100);
        free(buf);
    }
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ETOOBIG);
    CU_ASSERT_EQUAL(CNT(&h, TOO_BIG), 1);
    /* a resync follows; the other request is unharmed */
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_reply(&h, r[1].reqid, "SUCCESS", "ok", 2);
    CU_ASSERT_FATAL(h.ndone == 2);
    CU_ASSERT_EQUAL(h.done[1].status, 0);
    eh_feed(&h, "invalid command\n");
    eh_get(&h, "next");
    CU_ASSERT_FATAL(eh_requests(&h, r + 2, 1) == 1);
    eh_req_free(r, 3);
    eh_fini(&h);
}

static void test_engine_v1_lost_reply(void)
{
    eh_t h;

    eh_init(&h, backoff_cfg);
    eh_get(&h, "k");
    eh_probe(&h);
    eh_feed(&h, "invalid command\n"); /* a V1 host, or a stale answer */
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "invalid command\n"); /* a V1 host: it says so twice */
    CU_ASSERT(eh_out_is(&h, "\n"));   /* a barrier before V1 requests */
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "GET k\n"));
    eh_at(&h, h.now + 1000);
    CU_ASSERT(eh_out_is(&h, "\n"));
    /* A late half reply: the probe's answer after it could be a line of
     * its value, so it is no barrier; the value taken as cut short after
     * a quiet probe wait, the next probe's answer is. */
    eh_feed(&h, "SUCCESS\nold\ninvalid command\n");
    CU_ASSERT(eh_out_is(&h, ""));
    eh_at(&h, mdata__engine_next_deadline(h.e));
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "GET k\n")); /* its backoff is over */
    eh_feed(&h, "SUCCESS\nnew\n.\n");
    CU_ASSERT_FATAL(h.ndone == 1);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "new", 3);
    CU_ASSERT_EQUAL(h.done[0].attempts, 2);
    eh_fini(&h);
}

/*
 * A V1 host that answers late, in order. A probe given up on (P2) is
 * still owed when the GET sent after the barrier (c) is given up too, so
 * on the wire P2's "invalid command" comes before c's late reply: it must
 * not be taken for the barrier of the resync probe (P3), or the next GET
 * (d) is sent at once and gets c's value.
 */
static void v1_late_cfg(mdata__engine_config_t *c)
{
    c->handshake_ms = 600;
    c->read_attempt_ms = 1000; /* the only attempt waits twice that */
    c->max_attempts = 1;
    c->timeout_ms = 100000;
}

static void test_engine_v1_stale_probe_not_barrier(void)
{
    eh_t h;

    eh_init(&h, v1_late_cfg);
    eh_get(&h, "a");
    eh_probe(&h);
    eh_feed(&h, "FAILURE\n"); /* NEGOTIATE: a V1 host */
    CU_ASSERT_FATAL(mdata__engine_protocol(h.e) == MDATA__PROTO_V1);
    CU_ASSERT(eh_out_is(&h, "GET a\n"));
    eh_feed(&h, "SUCCESS\nvalue a\n.\n");
    CU_ASSERT_FATAL(h.ndone == 1);
    /* b: the host stalls; b is given up, its resync probe P1 too */
    eh_get(&h, "b");
    CU_ASSERT(eh_out_is(&h, "GET b\n"));
    eh_at(&h, h.now + 2000);
    CU_ASSERT_FATAL(h.ndone == 2);
    CU_ASSERT_EQUAL(h.done[1].status, MDATA_ETIMEDOUT);
    CU_ASSERT(eh_out_is(&h, "\n"));          /* P1 */
    eh_get(&h, "c");
    eh_at(&h, h.now + 600);
    CU_ASSERT(eh_out_is(&h, "\n"));          /* P2 */
    /* the host answers b and P1, then stalls again */
    eh_feed(&h, "SUCCESS\nvalue b\n.\ninvalid command\n");
    CU_ASSERT(eh_out_is(&h, "GET c\n"));     /* P1's answer: in step */
    eh_at(&h, h.now + 2000);                 /* c given up */
    CU_ASSERT_FATAL(h.ndone == 3);
    CU_ASSERT_EQUAL(h.done[2].status, MDATA_ETIMEDOUT);
    CU_ASSERT(eh_out_is(&h, "\n"));          /* P3 */
    eh_get(&h, "d");
    /* on the wire now: P2's answer, c's reply, P3's answer */
    eh_feed(&h, "invalid command\n");        /* P2's: not the barrier */
    CU_ASSERT(eh_out_is(&h, ""));
    eh_feed(&h, "SUCCESS\nvalue c\n.\n");  /* c's: skipped */
    CU_ASSERT_EQUAL(h.ndone, 3);
    CU_ASSERT(eh_out_is(&h, ""));
    eh_feed(&h, "invalid command\n");        /* P3's: the barrier */
    CU_ASSERT(eh_out_is(&h, "GET d\n"));
    eh_feed(&h, "SUCCESS\nvalue d\n.\n");
    CU_ASSERT_FATAL(h.ndone == 4);
    CU_ASSERT_EQUAL(h.done[3].status, 0);
    TU_ASSERT_MEM_EQ(h.done[3].value, h.done[3].value_len, "value d", 7);
    eh_fini(&h);
}

/*
 * A NEGOTIATE given up on, on a host that answers it "invalid command":
 * its late answer comes before the answer to the probe sent after it and
 * is no barrier.
 */
static void test_engine_negotiate_given_up_answered_ic(void)
{
    eh_t h;

    eh_init(&h, v1_late_cfg);
    eh_get(&h, "a");
    eh_probe(&h);
    eh_at(&h, h.now + 600); /* NEGOTIATE unanswered */
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n"); /* NEGOTIATE's, late */
    CU_ASSERT(eh_out_is(&h, ""));
    eh_feed(&h, "invalid command\n"); /* the probe's */
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n")); /* asked once more */
    eh_feed(&h, "invalid command\n");          /* so it answers */
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V1);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "GET a\n"));
    eh_feed(&h, "SUCCESS\nvalue a\n.\n");
    CU_ASSERT_FATAL(h.ndone == 1);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "value a", 7);
    eh_fini(&h);
}

/*
 * A V1 host away for a while (a serial agent reconnecting): the lines
 * sent meanwhile are never answered. A request given up on then costs
 * one probe round (the first answer is taken for its reply); probe
 * answers still counted as owed when the next request is given up are
 * shown lost by that request's reply, which comes first.
 */
static void test_engine_v1_host_away(void)
{
    eh_t h;
    int i;

    eh_init(&h, v1_late_cfg);
    eh_get(&h, "a");
    eh_probe(&h);
    eh_feed(&h, "FAILURE\n");
    CU_ASSERT(eh_out_is(&h, "GET a\n"));
    eh_feed(&h, "SUCCESS\nvalue a\n.\n");
    eh_get(&h, "b");
    CU_ASSERT(eh_out_is(&h, "GET b\n"));
    eh_at(&h, h.now + 2000); /* the host is away: b given up */
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_get(&h, "c");
    for (i = 0; i < 3; i++) {
        eh_at(&h, h.now + 600);
        CU_ASSERT(eh_out_is(&h, "\n"));
    }
    /* back: the fourth probe's answer, taken for b's reply */
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, ""));
    eh_at(&h, h.now + 600);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "GET c\n"));
    /* c given up too, with four probe answers still counted as owed */
    eh_at(&h, h.now + 2000);
    CU_ASSERT_FATAL(h.ndone == 3);
    CU_ASSERT_EQUAL(h.done[2].status, MDATA_ETIMEDOUT);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_get(&h, "d");
    eh_feed(&h, "SUCCESS\nvalue c\n.\n"); /* c's first: they are lost */
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "GET d\n"));
    eh_feed(&h, "SUCCESS\nvalue d\n.\n");
    CU_ASSERT_FATAL(h.ndone == 4);
    TU_ASSERT_MEM_EQ(h.done[3].value, h.done[3].value_len, "value d", 7);
    eh_fini(&h);
}

/*
 * A host answering NEGOTIATE in words the engine does not know is taken
 * for V1 after two such rounds. When a NEGOTIATE of the last round is
 * still unanswered, a probe puts the line in step first: that answer
 * would otherwise be taken for the first request's reply.
 */
static void test_engine_odd_host_negotiate_owed(void)
{
    eh_t h;
    int round;

    eh_init(&h, v1_late_cfg);
    eh_get(&h, "a");
    eh_probe(&h);
    for (round = 0; round < 2; round++) {
        eh_feed(&h, "what?\n");          /* an answer we do not know */
        eh_feed(&h, "invalid command\n"); /* a stray probe answer */
        CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n")); /* asked again */
        eh_at(&h, h.now + 600);           /* no answer to that one */
        CU_ASSERT(eh_out_is(&h, "\n"));
        if (round == 0) {
            eh_feed(&h, "what?\n");       /* the late answer */
            eh_feed(&h, "invalid command\n");
            CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
        }
    }
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V1);
    eh_feed(&h, "what?\n");               /* the late answer */
    eh_feed(&h, "invalid command\n");     /* the barrier */
    CU_ASSERT(eh_out_is(&h, "GET a\n"));
    eh_feed(&h, "SUCCESS\nvalue a\n.\n");
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "value a", 7);
    eh_fini(&h);
}

/* Many requests through a fake host that drops, corrupts and reorders. */
static void soak_cfg(mdata__engine_config_t *c)
{
    c->read_attempt_ms = 200;
    c->handshake_ms = 100;
    c->backoff_initial_ms = 10;
    c->backoff_max_ms = 40;
    c->max_attempts = 20;
    c->max_inflight = 8;
    c->timeout_ms = 1000000;
}

static void soak_submit(eh_t *h, int i)
{
    char key[32];

    snprintf(key, sizeof(key), "key%d", i);
    CU_ASSERT_FATAL(mdata__engine_submit(h->e, MDATA__OP_GET, key, NULL, 0,
                                         (void *)(uintptr_t)i, h->now, NULL,
                                         NULL) == 0);
}

static void test_engine_soak_fake_host(void)
{
    eh_t h;
    uint64_t x = 88172645463325252ull;
    int submitted = 0, i, wrong = 0, line_no = 0;

    eh_init(&h, soak_cfg);
    for (i = 0; i < 8; i++) {
        soak_submit(&h, submitted++);
    }
    mdata__engine_connected(h.e, h.now);
    for (;;) {
        char *p, *lf;

        eh_take(&h);
        p = h.out;
        /* the host answers each line it got */
        while ((lf = memchr(p, '\n', (size_t)(h.out + h.out_len - p)))) {
            size_t len = (size_t)(lf - p);

            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            line_no++;
            if (len == 0) {
                if (x % 5 != 0)
                    eh_feed(&h, "invalid command\n");
            } else if (len == 12 && memcmp(p, "NEGOTIATE V2", 12) == 0) {
                eh_feed(&h, "V2_OK\n");
            } else {
                uint8_t pl[64];
                mdata_frame_t f;
                char val[64], buf[256];
                size_t blen;

                CU_ASSERT_FATAL(mdata_frame_parse(p, len, pl, &f, NULL) == 0);
                memcpy(val, "v-", 2);
                memcpy(val + 2, f.payload, f.payload_len);
                CU_ASSERT_FATAL(mdata_frame_encode(f.reqid, "SUCCESS", val,
                                                   f.payload_len + 2, buf,
                                                   sizeof(buf), &blen) == 0);
                if (x % 7 == 1)
                    eh_feed(&h, "junk line\n");
                if (x % 11 == 2)
                    buf[blen / 2] ^= 4; /* corrupt */
                if (x % 13 != 3)          /* else dropped */
                    eh_feed_mem(&h, buf, blen);
            }
            p = lf + 1;
        }
        h.out_len = 0;
        /* check and top up */
        {
            int k;

            for (k = 0; k < h.ndone; k++) {
                mdata__done_t *d = &h.done[k];

                /* the value is "v-" + the key of that request */
                CU_ASSERT(d->status == 0);
                char expect[40];

                snprintf(expect, sizeof(expect), "v-key%d",
                         (int)(uintptr_t)d->ud);
                if (d->status != 0 || d->value_len != strlen(expect) ||
                    memcmp(d->value, expect, d->value_len) != 0)
                    wrong++;
                free(h.vals[k]);
            }
            h.ndone = 0;
        }
        /* keep 8 requests pending */
        while (mdata__engine_counter(h.e, MDATA_COUNTER_REQUESTS) + 8 >
                   (uint64_t)submitted &&
               submitted < 2000) {
            soak_submit(&h, submitted++);
        }
        if (mdata__engine_counter(h.e, MDATA_COUNTER_REQUESTS) >= 2000)
            break;
        {
            size_t n;

            mdata__engine_output(h.e, &n);
            if (n == 0) {
                uint64_t d = mdata__engine_next_deadline(h.e);

                CU_ASSERT_FATAL(d != UINT64_MAX);
                eh_at(&h, d);
            }
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(mdata__engine_counter(h.e, MDATA_COUNTER_REQUESTS), 2000);
    CU_ASSERT(CNT(&h, RETRIES) > 0);
    CU_ASSERT(CNT(&h, CRC_ERRORS) > 0);
    eh_fini(&h);
}

CU_TestInfo engine_fault_tests[] = {
    {"bad_lines_skipped", test_engine_bad_lines_skipped},
    {"damaged_reply_retried_after_grace",
     test_engine_damaged_reply_retried_after_grace},
    {"lost_reply_retried", test_engine_lost_reply_retried},
    {"attempts_exhausted", test_engine_attempts_exhausted},
    {"probe_never_answered", test_engine_probe_never_answered},
    {"probe_retry_late_answers", test_engine_probe_retry_late_answers},
    {"probe_given_up_still_answered",
     test_engine_probe_given_up_still_answered},
    {"probe_schedule", test_engine_probe_schedule},
    {"deadline_while_disconnected", test_engine_deadline_while_disconnected},
    {"attempt_clock_starts_when_written",
     test_engine_attempt_clock_starts_when_written},
    {"reply_too_big", test_engine_reply_too_big},
    {"v1_lost_reply", test_engine_v1_lost_reply},
    {"v1_stale_probe_not_barrier", test_engine_v1_stale_probe_not_barrier},
    {"negotiate_given_up_answered_ic",
     test_engine_negotiate_given_up_answered_ic},
    {"v1_host_away", test_engine_v1_host_away},
    {"odd_host_negotiate_owed", test_engine_odd_host_negotiate_owed},
    {"soak_fake_host", test_engine_soak_fake_host},
    CU_TEST_INFO_NULL,
};
