/*
 * Slow and noisy hosts over a real pty and a real unix socket (issue 14's
 * table): a host that answers every V2 request seconds late is answered by
 * the reply to the first attempt; a junk line, a frame for another id and
 * a damaged copy before the good reply cost no resend; an upper-case CRC
 * is a good CRC. Times are generous bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-util.h"

#define CNT(c, name) mdata_client_counter((c), MDATA_COUNTER_##name)

/* The library's defaults (3 s first attempt, 30 s deadline), untouched. */
static void slow_get(int pty, unsigned ms)
{
    char spec[32];
    const char *extra[] = {"--fault", spec, NULL};
    emu_t emu;
    mdata_sync_t *s;
    mdata_client_t *c;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len = 0;
    uint64_t t0, took;

    snprintf(spec, sizeof(spec), "slow=%u", ms);
    CU_ASSERT_FATAL(emu_start(&emu, pty, extra) == 0);
    s = test_sync(&emu, 0);
    c = mdata_sync_client(s);
    CU_ASSERT_EQUAL(mdata_sync_connect(s, &err), 0);
    t0 = now_ms();
    CU_ASSERT_EQUAL(mdata_sync_get(s, "user-script", &v, &len, &err), 0);
    took = now_ms() - t0;
    CU_ASSERT(v != NULL && len == 18 &&
              memcmp(v, "#!/bin/sh\necho hi\n", 18) == 0);
    mdata_free(v);
    /* the first attempt (3 s) was given up on and retried; its answer
     * came after ms and completed the request */
    CU_ASSERT(took >= ms - 50 && took < ms + 5000);
    CU_ASSERT_EQUAL(CNT(c, LATE), 1);
    CU_ASSERT_EQUAL(CNT(c, ATTEMPTS), 2);
    CU_ASSERT_EQUAL(CNT(c, TIMEOUTS), 1);
    if (took < ms - 50 || took >= ms + 5000 || CNT(c, LATE) != 1)
        fprintf(stderr, "slow=%u pty=%d: %llu ms, late %llu\n", ms, pty,
                (unsigned long long)took,
                (unsigned long long)CNT(c, LATE));
    mdata_sync_free(s);
    emu_stop(&emu);
}

static void test_slow_host_answered_late(void)
{
    slow_get(0, 3500);
    slow_get(1, 3500);
}

/* A host slow to answer anything, the handshake too, longer than the
 * handshake wait (2 s): the library client, with its default 30 s
 * deadline, still gets through (its late NEGOTIATE answer counts). */
static void test_slow_handshake(void)
{
    static const char *const extra[] = {"--fault", "delay=2500", NULL};
    emu_t emu;
    mdata_sync_t *s;
    uint8_t *v = NULL;
    size_t len = 0;
    uint64_t t0, took;

    CU_ASSERT_FATAL(emu_start(&emu, 0, extra) == 0);
    s = test_sync(&emu, 0);
    t0 = now_ms();
    CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, NULL), 0);
    took = now_ms() - t0;
    CU_ASSERT(v != NULL && len == 1 && v[0] == 'x');
    CU_ASSERT(took < 20000);
    CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 2);
    mdata_free(v);
    mdata_sync_free(s);
    emu_stop(&emu);
}

/* Many requests in flight on a slow host with short attempt waits: every
 * request is retried and answered late, out of step with its attempts;
 * each gets its own value. */
typedef struct pipe_rec {
    int n, wrong, failed;
} pipe_rec_t;

static const char *const pipe_keys[] = {"one", "sdc:hostname", "empty",
                                        "user-script"};
static const char *const pipe_vals[] = {"x", "web01", "",
                                        "#!/bin/sh\necho hi\n"};

static void on_pipe_reply(mdata_client_t *c, int status,
                          const mdata_reply_t *r, void *ud)
{
    pipe_rec_t *rec = mdata_client_get_data(c);
    const char *want = pipe_vals[(uintptr_t)ud % 4];
    size_t len;
    const uint8_t *v = mdata_reply_value(r, &len);

    rec->n++;
    if (status != 0)
        rec->failed++;
    else if (len != strlen(want) || memcmp(v, want, len) != 0)
        rec->wrong++;
}

static void test_slow_host_pipelined(void)
{
    static const char *const extra[] = {"--fault", "slow=1200", NULL};
    uv_loop_t loop;
    emu_t emu;
    mdata_options_t *o;
    mdata_client_t *c;
    pipe_rec_t rec = {0, 0, 0};
    uintptr_t i;
    uint64_t t0, took;

    CU_ASSERT_FATAL(emu_start(&emu, 0, extra) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    o = test_options(emu.path, 30000);
    CU_ASSERT_FATAL(mdata_options_set_attempt_timeout_ms(o, 300) == 0);
    CU_ASSERT_FATAL(mdata_options_set_backoff_ms(o, 10, 50) == 0);
    CU_ASSERT_FATAL(mdata_options_set_max_attempts(o, 6) == 0);
    CU_ASSERT_FATAL(mdata_client_new(&loop, o, &c, NULL) == 0);
    mdata_options_free(o);
    mdata_client_set_data(c, &rec);
    t0 = now_ms();
    for (i = 0; i < 48; i++)
        CU_ASSERT_EQUAL(mdata_get(c, pipe_keys[i % 4], on_pipe_reply,
                                  (void *)i, NULL),
                        0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    took = now_ms() - t0;
    CU_ASSERT_EQUAL(rec.n, 48);
    CU_ASSERT_EQUAL(rec.wrong, 0);
    CU_ASSERT_EQUAL(rec.failed, 0);
    CU_ASSERT(CNT(c, LATE) >= 16);
    CU_ASSERT(took < 20000);
    if (rec.failed || rec.wrong)
        fprintf(stderr, "pipelined slow host: %d failed, %d wrong, late %llu,"
                        " %llu ms\n",
                rec.failed, rec.wrong, (unsigned long long)CNT(c, LATE),
                (unsigned long long)took);
    mdata_client_close(c, NULL, NULL);
    test_loop_close(&loop);
    emu_stop(&emu);
}

/* Every request of n answered on its first attempt through the fault. */
static void first_attempt_through(int pty, const char *spec, int n)
{
    const char *extra[] = {"--fault", spec, NULL};
    emu_t emu;
    mdata_sync_t *s;
    mdata_client_t *c;
    uint64_t t0, took;
    int i, failed = 0;

    CU_ASSERT_FATAL(emu_start(&emu, pty, extra) == 0);
    s = test_sync(&emu, 0);
    c = mdata_sync_client(s);
    CU_ASSERT_EQUAL(mdata_sync_connect(s, NULL), 0);
    t0 = now_ms();
    for (i = 0; i < n; i++) {
        char key[16], val[32];
        uint8_t *v = NULL;
        size_t len = 0;

        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "value %d", i);
        failed += mdata_sync_put(s, key, val, strlen(val), NULL) != 0;
        failed += mdata_sync_get(s, key, &v, &len, NULL) != 0;
        if (v == NULL || len != strlen(val) || memcmp(v, val, len) != 0)
            failed++;
        mdata_free(v);
        failed += mdata_sync_delete(s, key, NULL) != 0;
        failed += mdata_sync_get(s, key, &v, &len, NULL) != MDATA_ENOTFOUND;
    }
    took = now_ms() - t0;
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(CNT(c, RETRIES), 0);
    CU_ASSERT_EQUAL(CNT(c, TIMEOUTS), 0);
    CU_ASSERT_EQUAL(CNT(c, RESYNCS), 0);
    CU_ASSERT_EQUAL(CNT(c, ATTEMPTS), (uint64_t)n * 4);
    /* never a grace period waited out (250 ms each) */
    CU_ASSERT(took < (uint64_t)n * 4 * 100 + 2000);
    if (failed || CNT(c, RETRIES) != 0)
        fprintf(stderr, "%s pty=%d: %d failed, %llu retries, %llu ms\n", spec,
                pty, failed, (unsigned long long)CNT(c, RETRIES),
                (unsigned long long)took);
    mdata_sync_free(s);
    emu_stop(&emu);
}

static void test_noisy_host_first_attempt(void)
{
    first_attempt_through(0, "junk=1,wrongid=1,damaged=1", 10);
    first_attempt_through(1, "junk=1,wrongid=1,damaged=1", 10);
}

static void test_upper_case_crc(void)
{
    first_attempt_through(0, "upper-crc", 10);
    first_attempt_through(1, "upper-crc,damaged=2", 10);
}

CU_TestInfo client_slow_tests[] = {
    {"slow_host_answered_late", test_slow_host_answered_late},
    {"slow_handshake", test_slow_handshake},
    {"slow_host_pipelined", test_slow_host_pipelined},
    {"noisy_host_first_attempt", test_noisy_host_first_attempt},
    {"upper_case_crc", test_upper_case_crc},
    CU_TEST_INFO_NULL,
};
