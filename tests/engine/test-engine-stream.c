/*
 * Large V2 replies decoded as they arrive (lib/engine/stream.c): however
 * the bytes are cut, the value is exact and the line is never held whole;
 * damage, a CR before the LF, a bound exceeded (failed at the header,
 * before the rest arrives), an unknown id and a lost connection mid-line
 * end as they do on the line path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-harness.h"
#include "engine/engine_int.h"

#define CNT(h, c) mdata__engine_counter((h)->e, MDATA_COUNTER_##c)

/* A value of n bytes, every byte value in turn. */
static uint8_t *value_of(size_t n)
{
    uint8_t *v = malloc(n);
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    for (i = 0; i < n; i++)
        v[i] = (uint8_t)(i * 7 + i / 251);
    return v;
}

/* The reply frame for reqid carrying v (malloc'd, *len bytes, LF last). */
static char *reply_of(const char *reqid, const char *code, const uint8_t *v,
                      size_t n, size_t *len)
{
    size_t cap = mdata_frame_encoded_size(8, strlen(code), n) + 2;
    char *f = malloc(cap);

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_FATAL(mdata_frame_encode(reqid, code, v, n, f, cap, len) == 0);
    return f;
}

/* One GET in flight on a V2 line; its request in *r. */
static void one_get(eh_t *h, const char *key, eh_req_t *r)
{
    eh_init(h, NULL);
    eh_get(h, key);
    eh_handshake_v2(h);
    CU_ASSERT_FATAL(eh_requests(h, r, 1) == 1);
}

/* Feed f in pieces of the sizes in cuts (cycled), checking the line is
 * streamed (never buffered by the line decoder) once the header is in. */
static void feed_cut(eh_t *h, const char *f, size_t len, const size_t *cuts,
                     size_t ncuts)
{
    size_t at = 0, k = 0;

    while (at < len) {
        size_t n = cuts[k++ % ncuts];

        if (n > len - at)
            n = len - at;
        eh_feed_mem(h, f + at, n);
        at += n;
        if (at > 80 && at < len) {
            CU_ASSERT(h->e->st.on);
            CU_ASSERT_EQUAL(mdata_decoder_pending(h->e->dec), 0);
        }
    }
}

static void test_stream_value_exact_however_cut(void)
{
    static const size_t cuts[][4] = {
        {1, 1, 1, 1}, {3, 5, 7, 11}, {4096, 4096, 4096, 4096},
        {65536, 1, 2, 3}, {262144, 262144, 262144, 262144},
    };
    size_t n = 300000, i, len;
    uint8_t *v = value_of(n);

    for (i = 0; i < MDATA__ARRAY_SIZE(cuts); i++) {
        eh_t h;
        eh_req_t r[1];
        char *f;

        one_get(&h, "big", r);
        f = reply_of(r[0].reqid, "SUCCESS", v, n - i, &len);
        /* a byte at a time is slow: only the first 20 KiB that way */
        if (i == 0) {
            feed_cut(&h, f, 20000, cuts[i], 4);
            eh_feed_mem(&h, f + 20000, len - 20000);
        } else {
            feed_cut(&h, f, len, cuts[i], 4);
        }
        CU_ASSERT_FATAL(h.ndone == 1);
        CU_ASSERT_EQUAL(h.done[0].status, 0);
        TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, v, n - i);
        CU_ASSERT_FALSE(h.e->st.on);
        CU_ASSERT_EQUAL(CNT(&h, BAD_LINES) + CNT(&h, CRC_ERRORS), 0);
        free(f);
        eh_req_free(r, 1);
        eh_fini(&h);
    }
    free(v);
}

static void test_stream_crlf_and_failure_text(void)
{
    size_t n = 100000, len;
    uint8_t *v = value_of(n);
    eh_t h;
    eh_req_t r[1];
    char *f;

    one_get(&h, "big", r);
    f = reply_of(r[0].reqid, "FAILURE", v, n, &len);
    f = realloc(f, len + 1);
    f[len - 1] = '\r';
    f[len] = '\n';
    eh_feed_mem(&h, f, len + 1);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_EREMOTE);
    TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, v, n);
    free(f);
    free(v);
    eh_req_free(r, 1);
    eh_fini(&h);
}

/* A damaged copy keeps the attempt listening (grace); the good copy that
 * follows is the answer, with no resend. Each kind of damage. */
static void test_stream_damage_then_good_copy(void)
{
    size_t n = 100000, len, kind;
    uint8_t *v = value_of(n);

    for (kind = 0; kind < 4; kind++) {
        eh_t h;
        eh_req_t r[1];
        char *f, *bad;

        one_get(&h, "big", r);
        f = reply_of(r[0].reqid, "SUCCESS", v, n, &len);
        bad = malloc(len);
        memcpy(bad, f, len);
        switch (kind) {
        case 0: /* a flipped bit in the base64: CRC */
            bad[len / 2] ^= 1;
            break;
        case 1: /* cut short: length */
            bad[len - 1000] = '\n';
            break;
        case 2: /* padding in the middle: base64 (CRC would catch it too) */
            bad[len / 2] = '=';
            break;
        default: /* a bad CRC field */
            bad[12] = bad[12] == '0' ? '1' : '0';
            break;
        }
        eh_feed_mem(&h, bad, kind == 1 ? len - 999 : len);
        CU_ASSERT_EQUAL(h.ndone, 0);
        CU_ASSERT_EQUAL(CNT(&h, CRC_ERRORS) + CNT(&h, BAD_LINES), 1);
        CU_ASSERT_FALSE(h.e->st.on);
        eh_feed_mem(&h, f, len);
        CU_ASSERT_FATAL(h.ndone == 1);
        CU_ASSERT_EQUAL(h.done[0].status, 0);
        CU_ASSERT_EQUAL(h.done[0].attempts, 1);
        CU_ASSERT_EQUAL(CNT(&h, RETRIES), 0);
        TU_ASSERT_MEM_EQ(h.done[0].value, h.done[0].value_len, v, n);
        free(bad);
        free(f);
        eh_req_free(r, 1);
        eh_fini(&h);
    }
    free(v);
}

/* sdc:nics is bounded at 1 MiB: a 2 MiB reply fails the GET as soon as
 * its header is in, the rest goes by unbuffered, the line stays usable. */
static void test_stream_bound_fails_at_the_header(void)
{
    size_t n = (size_t)2 << 20, len;
    uint8_t *v = value_of(n);
    eh_t h;
    eh_req_t r[2];
    char *f;

    one_get(&h, "sdc:nics", r);
    f = reply_of(r[0].reqid, "SUCCESS", v, n, &len);
    eh_feed_mem(&h, f, 100);
    CU_ASSERT_FATAL(h.ndone == 1);
    CU_ASSERT_EQUAL(h.done[0].status, MDATA_ETOOBIG);
    CU_ASSERT_EQUAL(CNT(&h, TOO_BIG), 1);
    eh_feed_mem(&h, f + 100, len - 100 - 1);
    CU_ASSERT_EQUAL(mdata_decoder_pending(h.e->dec), 0);
    CU_ASSERT_PTR_NULL(h.e->st.val);
    eh_feed_mem(&h, f + len - 1, 1);
    CU_ASSERT_FALSE(h.e->st.on);
    /* 1 MiB exactly is within the bound */
    eh_get(&h, "sdc:nics");
    CU_ASSERT_FATAL(eh_requests(&h, r + 1, 1) == 1);
    free(f);
    f = reply_of(r[1].reqid, "SUCCESS", v, (size_t)1 << 20, &len);
    eh_feed_mem(&h, f, len);
    CU_ASSERT_FATAL(h.ndone == 2);
    CU_ASSERT_EQUAL(h.done[1].status, 0);
    CU_ASSERT_EQUAL(h.done[1].value_len, (size_t)1 << 20);
    CU_ASSERT_EQUAL(CNT(&h, BAD_LINES) + CNT(&h, STALE), 0);
    free(f);
    free(v);
    eh_req_free(r, 2);
    eh_fini(&h);
}

/* A large frame for no pending request is stale, as on the line path; a
 * connection lost mid-line forgets the partial value. */
static void test_stream_stale_and_lost(void)
{
    size_t n = 100000, len;
    uint8_t *v = value_of(n);
    eh_t h;
    eh_req_t r[2];
    char *f;

    one_get(&h, "big", r);
    f = reply_of("0badf00d", "SUCCESS", v, n, &len);
    eh_feed_mem(&h, f, len);
    CU_ASSERT_EQUAL(CNT(&h, STALE), 1);
    CU_ASSERT_EQUAL(h.ndone, 0);
    free(f);
    f = reply_of(r[0].reqid, "SUCCESS", v, n, &len);
    eh_feed_mem(&h, f, len / 2);
    CU_ASSERT(h.e->st.on);
    /* the request waits for the next connection; the half value is gone */
    mdata__engine_lost(h.e, h.now);
    eh_collect(&h);
    CU_ASSERT_EQUAL(h.ndone, 0);
    CU_ASSERT_FALSE(h.e->st.on);
    CU_ASSERT_PTR_NULL(h.e->st.val);
    free(f);
    free(v);
    eh_req_free(r, 1);
    eh_fini(&h);
}

/* The value changes hands instead of being copied. */
static void test_stream_value_taken_over(void)
{
    size_t n = 100000, len;
    uint8_t *v = value_of(n), *got;
    eh_t h;
    eh_req_t r[1];
    mdata__done_t d;
    char *f;

    one_get(&h, "big", r);
    f = reply_of(r[0].reqid, "SUCCESS", v, n, &len);
    mdata__engine_feed(h.e, f, len, h.now);
    CU_ASSERT_FATAL(mdata__engine_next_done(h.e, &d) == 1);
    got = mdata__engine_take_value(h.e);
    CU_ASSERT_PTR_EQUAL(got, d.value);
    TU_ASSERT_MEM_EQ(got, d.value_len, v, n);
    CU_ASSERT_EQUAL(got[n], 0);
    CU_ASSERT_PTR_NULL(mdata__engine_take_value(h.e));
    free(got);
    free(f);
    free(v);
    eh_req_free(r, 1);
    eh_fini(&h);
}

CU_TestInfo engine_stream_tests[] = {
    {"value_exact_however_cut", test_stream_value_exact_however_cut},
    {"crlf_and_failure_text", test_stream_crlf_and_failure_text},
    {"damage_then_good_copy", test_stream_damage_then_good_copy},
    {"bound_fails_at_the_header", test_stream_bound_fails_at_the_header},
    {"stale_and_lost", test_stream_stale_and_lost},
    {"value_taken_over", test_stream_value_taken_over},
    CU_TEST_INFO_NULL,
};
