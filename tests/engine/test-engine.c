/* Engine: handshake, requests, encoding, pipelining, validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-harness.h"

#define CNT(h, c) mdata__engine_counter((h)->e, MDATA_COUNTER_##c)

static void test_engine_handshake_v2_get(void)
{
    eh_t h;
    eh_req_t r[4];
    uint32_t id;

    eh_init(&h, NULL);
    CU_ASSERT(mdata__engine_want_connect(h.e) == 0);
    id = eh_get(&h, "sdc:nics");
    CU_ASSERT(mdata__engine_want_connect(h.e) == 1);
    /* nothing is written before the connection exists */
    CU_ASSERT(eh_out_is(&h, ""));
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 4) == 1);
    CU_ASSERT_STRING_EQUAL(r[0].code, "GET");
    CU_ASSERT_EQUAL(strlen(r[0].reqid), 8);
    TU_ASSERT_MEM_EQ(r[0].payload, r[0].payload_len, "sdc:nics", 8);
    eh_reply(&h, r[0].reqid, "SUCCESS", "[]", 2);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].id, id);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    CU_ASSERT_EQUAL(h.done[0].attempts, 1);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "[]", 2);
    CU_ASSERT_EQUAL(CNT(&h, ATTEMPTS), 1);
    CU_ASSERT_EQUAL(CNT(&h, RETRIES), 0);
    CU_ASSERT_EQUAL(CNT(&h, RESYNCS), 0);
    CU_ASSERT_EQUAL(CNT(&h, REQUESTS), 1);
    CU_ASSERT_EQUAL(mdata__engine_next_deadline(h.e), UINT64_MAX);
    CU_ASSERT(!mdata__engine_busy(h.e));
    /* the connection is reused: the next GET goes out at once */
    eh_get(&h, "k");
    CU_ASSERT_EQUAL(eh_requests(&h, r + 1, 3), 1);
    eh_req_free(r, 2);
    eh_fini(&h);
}

static void test_engine_handshake_junk_before_barrier(void)
{
    eh_t h;
    eh_req_t r[2];

    eh_init(&h, NULL);
    eh_get(&h, "k");
    mdata__engine_connected(h.e, h.now);
    CU_ASSERT(eh_out_is(&h, "\n"));
    /* leftovers of someone else's exchange, partial lines, old frames */
    eh_feed(&h, "lloworld\nSUCCESS\nV2 21 265ae1d8 dc4fae17 SUCCESS W10=\n"
                "invalid commandx\n.\n");
    CU_ASSERT(eh_out_is(&h, ""));
    CU_ASSERT(CNT(&h, BAD_LINES) >= 5);
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "V2_OK\n");
    CU_ASSERT_FATAL(eh_requests(&h, r, 2) == 1);
    eh_reply(&h, r[0].reqid, "NOTFOUND", NULL, 0);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ENOTFOUND);
    eh_req_free(r, 1);
    eh_fini(&h);
}

static void test_engine_handshake_v1(void)
{
    eh_t h;
    uint32_t id;

    eh_init(&h, NULL);
    eh_get(&h, "dotty");
    CU_ASSERT(mdata__engine_submit(h.e, MDATA__OP_PUT, "k", "v", 1, NULL,
                                   h.now, &id, NULL) == 0);
    CU_ASSERT(mdata__engine_submit(h.e, MDATA__OP_DELETE, "k", NULL, 0, NULL,
                                   h.now, &id, NULL) == 0);
    CU_ASSERT(mdata__engine_submit(h.e, MDATA__OP_KEYS, NULL, NULL, 0, NULL,
                                   h.now, &id, NULL) == 0);
    eh_probe(&h);
    eh_feed(&h, "FAILURE\n");
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V1);
    /* PUT and DELETE fail at once; one V1 request at a time */
    CU_ASSERT_FATAL(h.ndone == 2);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ENOTSUP);
    CU_ASSERT_EQUAL(h.done[1].status, MDATA_ENOTSUP);
    CU_ASSERT(eh_out_is(&h, "GET dotty\n"));
    eh_feed(&h, "SUCCESS\n\n..leading dot\n..\nmid\n\n.\n");
    CU_ASSERT_FATAL(h.ndone == 3);
    CU_ASSERT_EQUAL(h.done[2].status, 0);
    TU_ASSERT_MEM_EQ(h.done[2].value, h.done[2].value_len,
                     "\n.leading dot\n.\nmid\n", 20);
    CU_ASSERT(eh_out_is(&h, "KEYS\n"));
    eh_feed(&h, "SUCCESS\na\nb\n.\n");
    CU_ASSERT_FATAL(h.ndone == 4);
    TU_ASSERT_MEM_EQ(h.done[3].value, h.done[3].value_len, "a\nb", 3);
    /* NOTFOUND, FAILURE, invalid command */
    eh_get(&h, "x");
    CU_ASSERT(eh_out_is(&h, "GET x\n"));
    eh_feed(&h, "NOTFOUND\n");
    eh_get(&h, "y");
    CU_ASSERT(eh_out_is(&h, "GET y\n"));
    eh_feed(&h, "FAILURE\n");
    eh_get(&h, "z");
    CU_ASSERT(eh_out_is(&h, "GET z\n"));
    eh_feed(&h, "invalid command\n");
    CU_ASSERT_FATAL(h.ndone == 7);
    CU_ASSERT_EQUAL(h.done[4].status, MDATA_ENOTFOUND);
    CU_ASSERT_EQUAL(h.done[5].status, MDATA_EREMOTE);
    TU_ASSERT_MEM_EQ(h.done[5].value, h.done[5].value_len, "FAILURE", 7);
    CU_ASSERT_EQUAL(h.done[6].status, MDATA_ENOTSUP);
    eh_fini(&h);
}

/* A stale "invalid command" (the answer to a probe an earlier process
 * sent before it gave up) must not pass for a V1 host's answer. */
static void test_engine_negotiate_stale_probe_answer(void)
{
    eh_t h;
    eh_req_t reqs[4];

    eh_init(&h, NULL);
    eh_get(&h, "k");
    mdata__engine_connected(h.e, h.now);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n");       /* someone else's probe */
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "invalid command\n");       /* our probe, late */
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "V2_OK\n");                 /* the first NEGOTIATE */
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V2);
    CU_ASSERT_FATAL(eh_requests(&h, reqs, 4) == 1);
    eh_feed(&h, "V2_OK\n");                 /* the second: skipped */
    CU_ASSERT_EQUAL(mdata__engine_counter(h.e, MDATA_COUNTER_BAD_LINES), 0);
    eh_reply(&h, reqs[0].reqid, "SUCCESS", "v", 1);
    eh_req_free(reqs, 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    eh_fini(&h);
}

/* The same with a V1 host: its FAILURE to the second NEGOTIATE is not
 * taken for the reply to the first GET. */
static void test_engine_negotiate_stale_then_v1(void)
{
    eh_t h;

    eh_init(&h, NULL);
    eh_get(&h, "k");
    eh_probe(&h);
    eh_feed(&h, "invalid command\n");       /* stale */
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "FAILURE\n");               /* first NEGOTIATE: V1 */
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V1);
    CU_ASSERT(eh_out_is(&h, "\n"));          /* a barrier first */
    eh_feed(&h, "FAILURE\ninvalid command\n");
    CU_ASSERT(eh_out_is(&h, "GET k\n"));
    eh_feed(&h, "SUCCESS\nvalue\n.\n");
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, "value", 5);
    eh_fini(&h);
}

/* CONNECT puts nothing on the wire of its own: it completes once the
 * handshake does, and times out like any request when it never does. */
static void test_engine_connect_op(void)
{
    eh_t h;
    uint32_t id;

    eh_init(&h, NULL);
    CU_ASSERT_FATAL(mdata__engine_submit(h.e, MDATA__OP_CONNECT, NULL, NULL, 0,
                                         NULL, h.now, &id, NULL) == 0);
    CU_ASSERT(mdata__engine_want_connect(h.e));
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    CU_ASSERT(eh_out_is(&h, ""));
    CU_ASSERT_EQUAL(mdata__engine_counter(h.e, MDATA_COUNTER_ATTEMPTS), 0);
    eh_fini(&h);

    eh_init(&h, NULL);
    mdata__engine_set_timeout(h.e, 500);
    CU_ASSERT_FATAL(mdata__engine_submit(h.e, MDATA__OP_CONNECT, NULL, NULL, 0,
                                         NULL, h.now, &id, NULL) == 0);
    mdata__engine_connected(h.e, h.now);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_at(&h, h.now + 500);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ETIMEDOUT);
    eh_fini(&h);
}

static void test_engine_negotiate_success_drain(void)
{
    eh_t h;

    eh_init(&h, NULL);
    eh_get(&h, "k");
    eh_probe(&h);
    eh_feed(&h, "SUCCESS\nwhatever\n");
    CU_ASSERT(eh_out_is(&h, ""));
    eh_feed(&h, ".\n");
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V1);
    CU_ASSERT(eh_out_is(&h, "GET k\n"));
    eh_fini(&h);
}

static void test_engine_negotiate_junk(void)
{
    eh_t h;

    /* junk after the barrier does not pass for a V1 answer */
    eh_init(&h, NULL);
    eh_get(&h, "k");
    eh_probe(&h);
    eh_feed(&h, "#junk\n");
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_UNKNOWN);
    eh_feed(&h, "V2_OK\n");
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V2);
    eh_fini(&h);
    /* an answer we do not know, and nothing else: a V1 host */
    eh_init(&h, NULL);
    eh_get(&h, "k");
    eh_probe(&h);
    eh_feed(&h, "WHAT\n");
    eh_at(&h, mdata__engine_next_deadline(h.e));
    /* once might be a damaged V2_OK: negotiate again */
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_UNKNOWN);
    CU_ASSERT(eh_out_is(&h, "\n"));
    eh_feed(&h, "invalid command\n");
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "WHAT\n");
    eh_at(&h, mdata__engine_next_deadline(h.e));
    CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), MDATA__PROTO_V1);
    CU_ASSERT(eh_out_is(&h, "GET k\n"));
    eh_fini(&h);
}

static void test_engine_encoding(void)
{
    eh_t h;
    eh_req_t r[4];
    uint32_t id;
    static const uint8_t bin[] = {'a', 0, 'b', 0xff, '\n'};
    char inner[64];
    size_t n;

    eh_init(&h, NULL);
    CU_ASSERT(mdata__engine_submit(h.e, MDATA__OP_PUT, "foo", bin,
                                   sizeof(bin), NULL, h.now, &id, NULL) == 0);
    CU_ASSERT(mdata__engine_submit(h.e, MDATA__OP_DELETE, "foo", NULL, 0,
                                   NULL, h.now, &id, NULL) == 0);
    CU_ASSERT(mdata__engine_submit(h.e, MDATA__OP_KEYS, NULL, NULL, 0, NULL,
                                   h.now, &id, NULL) == 0);
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 4) == 3);
    /* PUT: base64(base64(key) SP base64(value)) as the host expects */
    CU_ASSERT_STRING_EQUAL(r[0].code, "PUT");
    n = mdata_base64_encode("foo", 3, inner);
    inner[n++] = ' ';
    n += mdata_base64_encode(bin, sizeof(bin), inner + n);
    TU_ASSERT_MEM_EQ(r[0].payload, r[0].payload_len, inner, n);
    CU_ASSERT_STRING_EQUAL(r[1].code, "DELETE");
    TU_ASSERT_MEM_EQ(r[1].payload, r[1].payload_len, "foo", 3);
    CU_ASSERT_STRING_EQUAL(r[2].code, "KEYS");
    CU_ASSERT_EQUAL(r[2].payload_len, 0);
    /* all distinct ids */
    CU_ASSERT(strcmp(r[0].reqid, r[1].reqid) != 0);
    CU_ASSERT(strcmp(r[1].reqid, r[2].reqid) != 0);
    eh_reply(&h, r[0].reqid, "SUCCESS", "OK", 2);
    eh_reply(&h, r[1].reqid, "FAILURE", "Cannot update", 13);
    eh_reply(&h, r[2].reqid, "SUCCESS", NULL, 0);
    CU_ASSERT_FATAL(h.ndone == 3);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    CU_ASSERT_EQUAL(h.done[1].status, MDATA_EREMOTE);
    TU_ASSERT_MEM_EQ(h.done[1].value, h.done[1].value_len, "Cannot update",
                     13);
    CU_ASSERT_EQUAL(h.done[2].status, 0);
    CU_ASSERT_EQUAL(h.done[2].value_len, 0);
    eh_req_free(r, 3);
    eh_fini(&h);
}

static void test_engine_validation(void)
{
    eh_t h;
    mdata_error_t err;
    uint32_t id;
    static const char *bad[] = {"", " k", "k ", "\tk", "k\n", "a\nb", "a\rb",
                                "k\t"};
    size_t i;

    eh_init(&h, NULL);
    for (i = 0; i < MDATA__ARRAY_SIZE(bad); i++) {
        memset(&err, 0, sizeof(err));
        CU_ASSERT_EQUAL(mdata__engine_submit(h.e, MDATA__OP_GET, bad[i], NULL,
                                             0, NULL, h.now, &id, &err),
                        MDATA_EINVAL);
        CU_ASSERT(strstr(err.text, "key") != NULL);
    }
    CU_ASSERT_EQUAL(mdata__engine_submit(h.e, MDATA__OP_GET, NULL, NULL, 0,
                                         NULL, h.now, &id, NULL),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata__engine_submit(h.e, MDATA__OP_PUT, "k", "", 0, NULL,
                                         h.now, &id, &err),
                    MDATA_EINVAL);
    CU_ASSERT(strstr(err.text, "empty value") != NULL);
    CU_ASSERT_EQUAL(mdata__engine_submit(h.e, 99, "k", NULL, 0, NULL, h.now,
                                         &id, NULL),
                    MDATA_EINVAL);
    /* inner spaces are fine */
    CU_ASSERT_EQUAL(mdata__check_key("a b", NULL), 0);
    CU_ASSERT_EQUAL(h.ndone, 0);
    CU_ASSERT(!mdata__engine_busy(h.e));
    eh_fini(&h);
}

/* The engine has no randomness of its own: a config without a source is
 * refused, not filled in. */
static void test_engine_needs_random(void)
{
    mdata__engine_config_t cfg;
    mdata__engine_t *e = NULL;

    mdata__engine_config_defaults(&cfg);
    CU_ASSERT_PTR_NULL(cfg.random);
    CU_ASSERT_EQUAL(mdata__engine_new(&cfg, &e), MDATA_EINVAL);
    CU_ASSERT_PTR_NULL(e);
}

static void small_pending(mdata__engine_config_t *c)
{
    c->max_pending = 3;
    c->max_inflight = 2;
}

static void test_engine_busy_and_inflight_limit(void)
{
    eh_t h;
    eh_req_t r[4];
    uint32_t id;

    eh_init(&h, small_pending);
    eh_get(&h, "a");
    eh_get(&h, "b");
    eh_get(&h, "c");
    CU_ASSERT_EQUAL(mdata__engine_submit(h.e, MDATA__OP_GET, "d", NULL, 0,
                                         NULL, h.now, &id, NULL),
                    MDATA_EBUSY);
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 4) == 2); /* max_inflight */
    eh_reply(&h, r[1].reqid, "SUCCESS", "B", 1);
    CU_ASSERT_FATAL(eh_requests(&h, r + 2, 2) == 1);
    TU_ASSERT_MEM_EQ(r[2].payload, r[2].payload_len, "c", 1);
    eh_reply(&h, r[2].reqid, "SUCCESS", "C", 1);
    eh_reply(&h, r[0].reqid, "SUCCESS", "A", 1);
    CU_ASSERT_FATAL(h.ndone == 3);
    TU_ASSERT_MEM_EQ(h.done[0].value, 1, "B", 1);
    TU_ASSERT_MEM_EQ(h.done[1].value, 1, "C", 1);
    TU_ASSERT_MEM_EQ(h.done[2].value, 1, "A", 1);
    eh_req_free(r, 3);
    eh_fini(&h);
}

static void test_engine_pipelined_out_of_order(void)
{
    eh_t h;
    eh_req_t r[8];
    uint32_t ids[8];
    char key[8], val[16];
    int i, n;

    eh_init(&h, NULL);
    for (i = 0; i < 8; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ids[i] = eh_get(&h, key);
    }
    eh_handshake_v2(&h);
    n = eh_requests(&h, r, 8);
    CU_ASSERT_FATAL(n == 8);
    /* answer in reverse, in one chunk */
    {
        char buf[2048];
        size_t off = 0, len;

        for (i = 7; i >= 0; i--) {
            snprintf(val, sizeof(val), "value-%d", i);
            CU_ASSERT_FATAL(mdata_frame_encode(r[i].reqid, "SUCCESS", val,
                                               strlen(val), buf + off,
                                               sizeof(buf) - off, &len) == 0);
            off += len;
        }
        eh_feed_mem(&h, buf, off);
    }
    CU_ASSERT_FATAL(h.ndone == 8);
    for (i = 0; i < 8; i++) {
        int k = 7 - i;

        CU_ASSERT_EQUAL(h.done[i].id, ids[k]);
        snprintf(val, sizeof(val), "value-%d", k);
        TU_ASSERT_MEM_EQ(h.done[i].value, h.done[i].value_len, val,
                         strlen(val));
    }
    eh_req_free(r, 8);
    eh_fini(&h);
}

static void test_engine_byte_at_a_time(void)
{
    eh_t h;
    eh_req_t r[1];
    char buf[256];
    size_t len, i;
    static const uint8_t bin[] = {0, 1, 2, 0, '\n', '\r', 0xff};

    eh_init(&h, NULL);
    eh_get(&h, "k");
    mdata__engine_connected(h.e, h.now);
    CU_ASSERT(eh_out_is(&h, "\n"));
    for (i = 0; i < 16; i++)
        eh_feed_mem(&h, "invalid command\n" + i, 1);
    CU_ASSERT(eh_out_is(&h, "NEGOTIATE V2\n"));
    eh_feed(&h, "V2_OK\n");
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    CU_ASSERT_FATAL(mdata_frame_encode(r[0].reqid, "SUCCESS", bin,
                                       sizeof(bin), buf, sizeof(buf),
                                       &len) == 0);
    for (i = 0; i < len; i++)
        eh_feed_mem(&h, buf + i, 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, bin, sizeof(bin));
    eh_req_free(r, 1);
    eh_fini(&h);
}

static void test_engine_cancel(void)
{
    eh_t h;
    eh_req_t r[2];
    uint32_t a, b;

    eh_init(&h, NULL);
    a = eh_get(&h, "a");
    b = eh_get(&h, "b");
    CU_ASSERT_EQUAL(mdata__engine_cancel(h.e, b, h.now), 0);
    CU_ASSERT_EQUAL(mdata__engine_cancel(h.e, b, h.now), MDATA_EINVAL);
    CU_ASSERT_FATAL(h.ndone == 0);
    eh_collect(&h);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ECANCELED);
    CU_ASSERT_EQUAL(h.done[0].attempts, 0);
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 2) == 1);
    /* cancel while in flight: its late reply is stale */
    CU_ASSERT_EQUAL(mdata__engine_cancel(h.e, a, h.now), 0);
    eh_collect(&h);
    eh_reply(&h, r[0].reqid, "SUCCESS", "x", 1);
    CU_ASSERT_FATAL(h.ndone == 2);
    CU_ASSERT_EQUAL(h.done[1].status, MDATA_ECANCELED);
    CU_ASSERT_EQUAL(CNT(&h, STALE), 1);
    CU_ASSERT(!mdata__engine_busy(h.e));
    eh_req_free(r, 1);
    eh_fini(&h);
}

static void one_attempt(mdata__engine_config_t *c)
{
    c->max_attempts = 1;
}

/* A lost connection fails nothing: requests in flight are queued again and
 * sent, with fresh ids, once a new connection is in sync; the interrupted
 * attempt does not use up max_attempts (here 1); deadlines keep running. */
static void test_engine_lost_requeues(void)
{
    eh_t h;
    eh_req_t r[2], again[2];
    int i;

    eh_init(&h, one_attempt);
    eh_get(&h, "a");
    eh_handshake_v2(&h);
    eh_get(&h, "b");
    CU_ASSERT_FATAL(eh_requests(&h, r, 2) == 2);
    for (i = 0; i < 3; i++) { /* three losses in a row */
        mdata__engine_lost(h.e, h.now);
        eh_collect(&h);
        CU_ASSERT_EQUAL(h.ndone, 0);
        CU_ASSERT_EQUAL(mdata__engine_protocol(h.e), 0);
        CU_ASSERT(mdata__engine_want_connect(h.e));
        CU_ASSERT(mdata__engine_busy(h.e));
        h.now += 10;
        eh_handshake_v2(&h);
        CU_ASSERT_FATAL(eh_requests(&h, again, 2) == 2);
        CU_ASSERT(strcmp(again[0].reqid, r[0].reqid) != 0);
        CU_ASSERT(strcmp(again[1].reqid, r[1].reqid) != 0);
        eh_req_free(again, 2);
    }
    CU_ASSERT_FATAL(eh_requests(&h, again, 2) == 0);
    /* a late answer to the first attempt (a serial line reopened) still
     * completes its request; the other one's latest attempt answers */
    eh_reply(&h, r[0].reqid, "SUCCESS", "x", 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    CU_ASSERT_EQUAL(h.done[0].attempts, 4); /* sent four times */
    /* deadlines still bound a request whose connection keeps going */
    mdata__engine_lost(h.e, h.now);
    h.now += 60 * 60 * 1000;
    mdata__engine_tick(h.e, h.now);
    eh_collect(&h);
    CU_ASSERT_FATAL(h.ndone == 2);
    CU_ASSERT_EQUAL(h.done[1].status, MDATA_ETIMEDOUT);
    CU_ASSERT(!mdata__engine_busy(h.e));
    /* fail_all still ends everything */
    eh_get(&h, "c");
    CU_ASSERT(mdata__engine_want_connect(h.e));
    mdata__engine_fail_all(h.e, MDATA_ECANCELED);
    eh_collect(&h);
    CU_ASSERT_EQUAL(h.done[2].status, MDATA_ECANCELED);
    eh_req_free(r, 2);
    eh_fini(&h);
}

static void test_engine_empty_get_value(void)
{
    eh_t h;
    eh_req_t r[1];

    eh_init(&h, NULL);
    eh_get(&h, "empty");
    eh_handshake_v2(&h);
    CU_ASSERT_FATAL(eh_requests(&h, r, 1) == 1);
    eh_reply(&h, r[0].reqid, "SUCCESS", NULL, 0);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, 0);
    CU_ASSERT_EQUAL(h.done[0].value_len, 0);
    eh_req_free(r, 1);
    eh_fini(&h);
}

static CU_TestInfo engine_tests[] = {
    {"handshake_v2_get", test_engine_handshake_v2_get},
    {"handshake_junk_before_barrier", test_engine_handshake_junk_before_barrier},
    {"handshake_v1", test_engine_handshake_v1},
    {"negotiate_success_drain", test_engine_negotiate_success_drain},
    {"negotiate_stale_probe_answer", test_engine_negotiate_stale_probe_answer},
    {"negotiate_stale_then_v1", test_engine_negotiate_stale_then_v1},
    {"connect_op", test_engine_connect_op},
    {"negotiate_junk", test_engine_negotiate_junk},
    {"encoding", test_engine_encoding},
    {"validation", test_engine_validation},
    {"needs_random", test_engine_needs_random},
    {"busy_and_inflight_limit", test_engine_busy_and_inflight_limit},
    {"pipelined_out_of_order", test_engine_pipelined_out_of_order},
    {"byte_at_a_time", test_engine_byte_at_a_time},
    {"cancel", test_engine_cancel},
    {"lost_requeues", test_engine_lost_requeues},
    {"empty_get_value", test_engine_empty_get_value},
    CU_TEST_INFO_NULL,
};

extern CU_TestInfo engine_fault_tests[];
extern CU_TestInfo engine_random_tests[];
extern CU_TestInfo engine_late_tests[];
extern CU_TestInfo engine_stream_tests[];

CU_SuiteInfo mdata_test_suites[] = {
    {"engine", NULL, NULL, NULL, NULL, engine_tests},
    {"engine_faults", NULL, NULL, NULL, NULL, engine_fault_tests},
    {"engine_late", NULL, NULL, NULL, NULL, engine_late_tests},
    {"engine_stream", NULL, NULL, NULL, NULL, engine_stream_tests},
    {"engine_random", NULL, NULL, NULL, NULL, engine_random_tests},
    CU_SUITE_INFO_NULL,
};
