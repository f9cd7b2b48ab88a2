/*
 * Every emulator fault: the request succeeds within its bounded attempts or
 * fails with the right code before its deadline; never a hang, a crash or
 * a wrong value. Then a soak through a mix of faults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-util.h"

/* A sync handle with short per-attempt timeouts, so lost replies retry
 * quickly, and a generous total deadline for loaded machines. */
static mdata_sync_t *fault_sync(const emu_t *emu, uint64_t timeout,
                                uint64_t attempt_ms, unsigned attempts)
{
    mdata_options_t *o = test_options(emu->path, timeout);
    mdata_sync_t *s = NULL;

    CU_ASSERT_FATAL(mdata_options_set_attempt_timeout_ms(o, attempt_ms) == 0);
    CU_ASSERT_FATAL(mdata_options_set_write_timeout_ms(o, attempt_ms * 2) ==
                    0);
    CU_ASSERT_FATAL(mdata_options_set_handshake_timeout_ms(o, attempt_ms) ==
                    0);
    CU_ASSERT_FATAL(mdata_options_set_backoff_ms(o, 10, 100) == 0);
    CU_ASSERT_FATAL(mdata_options_set_max_attempts(o, attempts) == 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, NULL) == 0);
    mdata_options_free(o);
    return s;
}

/* n mixed requests, each checked byte for byte; returns how many failed
 * (wrong values are counted separately and must be 0). */
static int mixed_requests(mdata_sync_t *s, int n, int *wrong)
{
    int i, failed = 0;
    char key[32], val[64];

    for (i = 0; i < n; i++) {
        uint8_t *v = NULL;
        size_t len = 0;
        mdata_error_t err;
        int rc;

        switch (i % 4) {
        case 0:
            rc = mdata_sync_get(s, "user-script", &v, &len, &err);
            if (rc == 0 && (len != 18 || memcmp(v, "#!/bin/sh\necho hi\n", 18)))
                (*wrong)++;
            break;
        case 1:
            snprintf(key, sizeof(key), "fk%d", i);
            snprintf(val, sizeof(val), "value %d\n", i);
            memcpy(val + strlen(val) + 1, "tail", 5); /* NUL inside */
            rc = mdata_sync_put(s, key, val, strlen(val) + 5, &err);
            if (rc == 0) {
                rc = mdata_sync_get(s, key, &v, &len, &err);
                if (rc == 0 && (len != strlen(val) + 5 ||
                                memcmp(v, val, len) != 0))
                    (*wrong)++;
            }
            break;
        case 2:
            rc = mdata_sync_get(s, "nul", &v, &len, &err);
            if (rc == 0 && (len != 5 || memcmp(v, "a\0b\1\0", 5) != 0))
                (*wrong)++;
            break;
        default:
            rc = mdata_sync_get(s, "absent", &v, &len, &err);
            if (rc == MDATA_ENOTFOUND)
                rc = 0;
            else if (rc == 0)
                (*wrong)++;
            break;
        }
        mdata_free(v);
        if (rc != 0) {
            fprintf(stderr, "request %d: %s (%s)\n", i, mdata_err_name(rc),
                    err.text);
            failed++;
        }
    }
    return failed;
}

static void run_fault(int pty, const char *spec, int n)
{
    const char *extra[] = {"--fault", spec, NULL};
    emu_t emu;
    mdata_sync_t *s;
    int wrong = 0, failed;
    uint64_t t0 = now_ms();

    CU_ASSERT_FATAL(emu_start(&emu, pty, extra) == 0);
    s = fault_sync(&emu, 30000, 300, 8);
    failed = mixed_requests(s, n, &wrong);
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(failed, 0);
    if (failed || wrong)
        fprintf(stderr, "fault %s pty=%d: %d failed, %d wrong\n", spec, pty,
                failed, wrong);
    CU_ASSERT(now_ms() - t0 < 120000);
    mdata_sync_free(s);
    CU_ASSERT(emu_alive(&emu)); /* and we did not crash it either */
    emu_stop(&emu);
}

static void test_fault_drop(void)
{
    run_fault(0, "drop=3", 24);
    run_fault(1, "drop=4", 16);
}

static void test_fault_corrupt(void)
{
    run_fault(0, "corrupt=3", 40);
    run_fault(1, "corrupt=2", 24);
}

static void test_fault_junk(void)
{
    run_fault(0, "junk=1", 40);
    run_fault(1, "junk=2", 24);
}

static void test_fault_wrongid(void)
{
    run_fault(0, "wrongid=1", 40);
    run_fault(1, "wrongid=2", 24);
}

static void test_fault_delay(void)
{
    run_fault(0, "delay=50", 12);
}

static void test_fault_bytewise(void)
{
    run_fault(0, "bytewise=0", 12);
    run_fault(1, "bytewise=0", 12);
}

static void test_fault_crlf(void)
{
    run_fault(0, "crlf", 20);
    run_fault(1, "crlf", 20);
}

static void test_fault_mix(void)
{
    run_fault(1, "drop=5,corrupt=4,junk=3,wrongid=2,crlf", 60);
}

static void test_fault_v1_only(void)
{
    static const char *const extra[] = {"--fault", "v1only", NULL};
    emu_t emu;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len;
    int pty;

    for (pty = 0; pty < 2; pty++) {
        CU_ASSERT_FATAL(emu_start(&emu, pty, extra) == 0);
        s = fault_sync(&emu, 20000, 1000, 4);
        CU_ASSERT_EQUAL(mdata_sync_get(s, "dotty", &v, &len, &err), 0);
        CU_ASSERT(v != NULL && len == 18 &&
                  memcmp(v, ".leading dot\n.\nmid", 18) == 0);
        mdata_free(v);
        CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 1);
        CU_ASSERT_EQUAL(mdata_sync_get(s, "empty", &v, &len, &err), 0);
        CU_ASSERT_EQUAL(len, 0);
        mdata_free(v);
        CU_ASSERT_EQUAL(mdata_sync_get(s, "absent", &v, &len, &err),
                        MDATA_ENOTFOUND);
        CU_ASSERT_EQUAL(mdata_sync_keys(s, &v, &len, &err), 0);
        CU_ASSERT(v != NULL && strstr((char *)v, "user-script") != NULL);
        mdata_free(v);
        CU_ASSERT_EQUAL(mdata_sync_put(s, "k", "v", 1, &err), MDATA_ENOTSUP);
        CU_ASSERT_EQUAL(mdata_sync_delete(s, "k", &err), MDATA_ENOTSUP);
        CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err), 0);
        CU_ASSERT(v != NULL && len == 1 && v[0] == 'x');
        mdata_free(v);
        mdata_sync_free(s);
        emu_stop(&emu);
    }
}

/*
 * A V1 host that falls behind (v1-slow: every line answered a second
 * after the one before) while requests give up: the first GET at 0.3 s,
 * the second, sent once a probe is answered (2 s), at 2.5 s. By then
 * three probes were given up, so on the wire the answers of two of them
 * come before the second GET's late value. The third GET must wait for
 * the answer of the probe sent after that value (6 s) and get its own
 * value; taking an older probe's answer for its barrier (3 s) sends it
 * straight into the second GET's value. The timings only decide whether
 * the old bug would show; the assertions hold whatever they are.
 */
static void test_fault_v1_slow_late_answers(void)
{
    static const char *const extra[] = {"--fault", "v1only,v1-slow=1000",
                                        NULL};
    static const char script[] = "#!/bin/sh\necho hi\n";
    emu_t emu;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len = 0;
    int pty;

    for (pty = 0; pty < 2; pty++) {
        mdata_options_t *o;

        CU_ASSERT_FATAL(emu_start(&emu, pty, extra) == 0);
        o = test_options(emu.path, 30000);
        CU_ASSERT_FATAL(mdata_options_set_handshake_timeout_ms(o, 700) == 0);
        CU_ASSERT_FATAL(mdata_options_set_attempt_timeout_ms(o, 4000) == 0);
        CU_ASSERT_FATAL(mdata_sync_new(o, &s, NULL) == 0);
        mdata_options_free(o);
        CU_ASSERT_EQUAL(mdata_sync_connect(s, &err), 0);
        CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 1);
        CU_ASSERT_FATAL(mdata_sync_set_timeout_ms(s, 300) == 0);
        CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err),
                        MDATA_ETIMEDOUT);
        CU_ASSERT_FATAL(mdata_sync_set_timeout_ms(s, 2200) == 0);
        CU_ASSERT_EQUAL(mdata_sync_get(s, "dotty", &v, &len, &err),
                        MDATA_ETIMEDOUT);
        CU_ASSERT_FATAL(mdata_sync_set_timeout_ms(s, 30000) == 0);
        CU_ASSERT_EQUAL(mdata_sync_get(s, "user-script", &v, &len, &err), 0);
        TU_ASSERT_MEM_EQ(v, len, script, sizeof(script) - 1);
        mdata_free(v);
        v = NULL;
        mdata_sync_free(s);
        emu_stop(&emu);
    }
}

static void test_fault_ignore_probes(void)
{
    static const char *const extra[] = {"--fault", "ignore-probes=2", NULL};
    emu_t emu;
    mdata_sync_t *s;
    uint8_t *v = NULL;
    size_t len;

    CU_ASSERT_FATAL(emu_start(&emu, 1, extra) == 0);
    s = fault_sync(&emu, 20000, 200, 4);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, NULL), 0);
    CU_ASSERT(v != NULL && len == 1 && v[0] == 'x');
    mdata_free(v);
    CU_ASSERT(mdata_client_counter(mdata_sync_client(s),
                                   MDATA_COUNTER_RESYNCS) >= 2);
    mdata_sync_free(s);
    emu_stop(&emu);
}

static void test_fault_probe_never_answered(void)
{
    static const char *const extra[] = {"--fault", "ignore-probes=1000000",
                                        NULL};
    emu_t emu;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len;
    uint64_t t0;
    int pty;

    for (pty = 0; pty < 2; pty++) {
        CU_ASSERT_FATAL(emu_start(&emu, pty, extra) == 0);
        s = fault_sync(&emu, 1500, 200, 4);
        t0 = now_ms();
        CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err),
                        MDATA_ETIMEDOUT);
        CU_ASSERT_PTR_NULL(v);
        CU_ASSERT(now_ms() - t0 >= 1400 && now_ms() - t0 < 1500 + 10000);
        mdata_sync_free(s);
        emu_stop(&emu);
    }
}

static void test_fault_hangup(void)
{
    static const char *const extra[] = {"--fault", "hangup=3", NULL};
    emu_t emu;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len;
    int i, rc;

    /* a socket: the host closes the connection after the 3rd reply */
    CU_ASSERT_FATAL(emu_start(&emu, 0, extra) == 0);
    s = fault_sync(&emu, 10000, 500, 4);
    for (i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err), 0);
        mdata_free(v);
    }
    /* the 4th request finds the connection closed: the client reconnects,
     * redoes the handshake and sends it again */
    for (i = 0; i < 7; i++) {
        rc = mdata_sync_get(s, "one", &v, &len, &err);
        CU_ASSERT_EQUAL(rc, 0);
        if (rc != 0)
            fprintf(stderr, "hangup: %s %s\n", mdata_err_name(rc), err.text);
        CU_ASSERT(v != NULL && len == 1 && v[0] == 'x');
        mdata_free(v);
    }
    CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 2);
    mdata_sync_free(s);
    emu_stop(&emu);
    /* a pty has no hang-up: the emulator resets its session instead, and
     * nothing in flight is lost */
    CU_ASSERT_FATAL(emu_start(&emu, 1, extra) == 0);
    s = fault_sync(&emu, 10000, 500, 4);
    for (i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err), 0);
        CU_ASSERT(v != NULL && len == 1 && v[0] == 'x');
        mdata_free(v);
    }
    mdata_sync_free(s);
    emu_stop(&emu);
}

static void test_fault_hangup_mid_reply(void)
{
    emu_t peer;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len;
    uint64_t t0 = now_ms();

    CU_ASSERT_FATAL(peer_start_half_reply(&peer) == 0);
    s = fault_sync(&peer, 10000, 3000, 2);
    /* the half line is dropped with its connection; the request is sent
     * again on a new one and answered whole */
    CU_ASSERT_EQUAL(mdata_sync_get(s, "sdc:hostname", &v, &len, &err), 0);
    CU_ASSERT(v != NULL && len == 5 && memcmp(v, "web01", 5) == 0);
    mdata_free(v);
    CU_ASSERT(now_ms() - t0 < 10000);
    CU_ASSERT_EQUAL(mdata_client_counter(mdata_sync_client(s),
                                         MDATA_COUNTER_ATTEMPTS), 2);
    mdata_sync_free(s);
    emu_stop(&peer);
}

/* The soak: async, many in flight, a mix of faults, zero wrong values. */
typedef struct soak {
    mdata_client_t *c;
    int submitted, done, failed, wrong, target;
} soak_t;

static const char *const soak_keys[] = {"one", "sdc:hostname", "nul",
                                        "user-script", "empty"};
static const size_t soak_lens[] = {1, 5, 5, 18, 0};
static const char *const soak_vals[] = {"x", "web01", "a\0b\1\0",
                                        "#!/bin/sh\necho hi\n", ""};

static void soak_submit(soak_t *s);

static void soak_cb(mdata_client_t *c, int status, const mdata_reply_t *r,
                    void *ud)
{
    soak_t *s = mdata_client_get_data(c);
    int k = (int)(uintptr_t)ud;
    size_t len;
    const uint8_t *v = mdata_reply_value(r, &len);

    s->done++;
    if (status != 0)
        s->failed++;
    else if (len != soak_lens[k] || memcmp(v, soak_vals[k], len) != 0)
        s->wrong++;
    if (s->submitted < s->target)
        soak_submit(s);
}

static void soak_submit(soak_t *s)
{
    int k = s->submitted % 5;

    CU_ASSERT_FATAL(mdata_get(s->c, soak_keys[k], soak_cb,
                              (void *)(uintptr_t)k, NULL) == 0);
    s->submitted++;
}

static void run_soak(int pty, int target)
{
    static const char *const extra[] = {
        "--fault", "drop=13,corrupt=11,junk=7,wrongid=5", NULL};
    uv_loop_t loop;
    emu_t emu;
    mdata_options_t *o;
    soak_t s;
    int i;
    uint64_t t0 = now_ms();

    memset(&s, 0, sizeof(s));
    s.target = target;
    CU_ASSERT_FATAL(emu_start(&emu, pty, extra) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    o = test_options(emu.path, 60000);
    CU_ASSERT_FATAL(mdata_options_set_attempt_timeout_ms(o, 150) == 0);
    CU_ASSERT_FATAL(mdata_options_set_handshake_timeout_ms(o, 300) == 0);
    CU_ASSERT_FATAL(mdata_options_set_backoff_ms(o, 5, 50) == 0);
    CU_ASSERT_FATAL(mdata_options_set_max_attempts(o, 20) == 0);
    CU_ASSERT_FATAL(mdata_options_set_max_inflight(o, 64) == 0);
    CU_ASSERT_FATAL(mdata_client_new(&loop, o, &s.c, NULL) == 0);
    mdata_options_free(o);
    mdata_client_set_data(s.c, &s);
    for (i = 0; i < 64; i++)
        soak_submit(&s);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(s.done, target);
    CU_ASSERT_EQUAL(s.wrong, 0);
    CU_ASSERT_EQUAL(s.failed, 0);
    fprintf(stderr,
            "\n  soak (%s): %d requests in %llu ms, retries %llu, crc %llu, "
            "stale %llu, bad lines %llu, resyncs %llu\n",
            pty ? "pty" : "socket", s.done,
            (unsigned long long)(now_ms() - t0),
            (unsigned long long)mdata_client_counter(s.c,
                                                     MDATA_COUNTER_RETRIES),
            (unsigned long long)mdata_client_counter(
                s.c, MDATA_COUNTER_CRC_ERRORS),
            (unsigned long long)mdata_client_counter(s.c, MDATA_COUNTER_STALE),
            (unsigned long long)mdata_client_counter(
                s.c, MDATA_COUNTER_BAD_LINES),
            (unsigned long long)mdata_client_counter(s.c,
                                                     MDATA_COUNTER_RESYNCS));
    CU_ASSERT(mdata_client_counter(s.c, MDATA_COUNTER_RETRIES) > 0);
    CU_ASSERT(mdata_client_counter(s.c, MDATA_COUNTER_STALE) > 0);
    mdata_client_close(s.c, NULL, NULL);
    test_loop_close(&loop);
    CU_ASSERT(emu_alive(&emu));
    emu_stop(&emu);
}

static void test_fault_soak(void)
{
    run_soak(0, 10000);
}

static void test_fault_soak_pty(void)
{
    run_soak(1, 10000);
}

CU_TestInfo client_fault_tests[] = {
    {"drop", test_fault_drop},
    {"corrupt", test_fault_corrupt},
    {"junk", test_fault_junk},
    {"wrongid", test_fault_wrongid},
    {"delay", test_fault_delay},
    {"bytewise", test_fault_bytewise},
    {"crlf", test_fault_crlf},
    {"mix", test_fault_mix},
    {"v1_only", test_fault_v1_only},
    {"v1_slow_late_answers", test_fault_v1_slow_late_answers},
    {"ignore_probes", test_fault_ignore_probes},
    {"probe_never_answered", test_fault_probe_never_answered},
    {"hangup", test_fault_hangup},
    {"hangup_mid_reply", test_fault_hangup_mid_reply},
    {"soak", test_fault_soak},
    {"soak_pty", test_fault_soak_pty},
    CU_TEST_INFO_NULL,
};
