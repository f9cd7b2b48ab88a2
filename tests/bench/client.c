/*
 * GETs per second in one process, through libmdata's public API.
 *
 *   bench-client seq-sync  DEVICE KEY N        blocking API, one at a time
 *   bench-client seq-async DEVICE KEY N        async API, one at a time
 *   bench-client pipe      DEVICE KEY N DEPTH  async API, DEPTH in flight
 *   bench-client calls     DEVICE KEY N        N blocking GETs, untimed
 *                                              (run under callgrind)
 *
 * The connection and its handshake are made by one untimed warm-up GET,
 * so the figure is the steady state. Prints "ops_per_s=... us_per_op=...".
 * Every reply must be a success with the warm-up's length, else exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "mdata.h"

static const char *key;
static long total, submitted, completed, depth;
static size_t want_len;
static double t_start;
static int failed;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(double secs)
{
    printf("ops_per_s=%.0f us_per_op=%.2f\n", (double)total / secs,
           secs * 1e6 / (double)total);
}

static mdata_options_t *options(const char *device, unsigned inflight)
{
    mdata_options_t *o;

    if (mdata_options_new(&o) != 0 || mdata_options_set_device(o, device) ||
        mdata_options_set_timeout_ms(o, 120000) ||
        mdata_options_set_max_inflight(o, inflight)) {
        fprintf(stderr, "bench-client: bad options\n");
        exit(2);
    }
    return o;
}

static int run_sync(const char *device, int timed)
{
    mdata_options_t *o = options(device, 1);
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v;
    size_t len;
    long i;
    double t0;

    if (mdata_sync_new(o, &s, &err) != 0) {
        fprintf(stderr, "bench-client: %s\n", err.text);
        return 2;
    }
    mdata_options_free(o);
    if (mdata_sync_get(s, key, &v, &want_len, &err) != 0) {
        fprintf(stderr, "bench-client: warm-up GET: %s\n", err.text);
        return 2;
    }
    mdata_free(v);
    t0 = now_s();
    for (i = 0; i < total; i++) {
        if (mdata_sync_get(s, key, &v, &len, &err) != 0 || len != want_len) {
            fprintf(stderr, "bench-client: GET failed\n");
            return 2;
        }
        mdata_free(v);
    }
    if (timed)
        report(now_s() - t0);
    mdata_sync_free(s);
    return 0;
}

static void on_reply(mdata_client_t *c, int status, const mdata_reply_t *r,
                     void *ud);

static void submit(mdata_client_t *c)
{
    if (mdata_get(c, key, on_reply, NULL, NULL) != 0) {
        failed = 1;
        mdata_client_close(c, NULL, NULL);
        return;
    }
    submitted++;
}

static void on_reply(mdata_client_t *c, int status, const mdata_reply_t *r,
                     void *ud)
{
    size_t len;

    (void)ud;
    mdata_reply_value(r, &len);
    if (failed)
        return;
    if (status != 0 || (t_start > 0 && len != want_len)) {
        fprintf(stderr, "bench-client: GET: %s\n", mdata_strerror(status));
        failed = 1;
        mdata_client_close(c, NULL, NULL);
        return;
    }
    if (t_start == 0) { /* the warm-up reply: start the clock */
        want_len = len;
        t_start = now_s();
        while (submitted < depth)
            submit(c);
        return;
    }
    completed++;
    if (completed == total) {
        report(now_s() - t_start);
        mdata_client_close(c, NULL, NULL);
    } else if (submitted < total) {
        submit(c);
    }
}

static int run_async(const char *device)
{
    mdata_options_t *o = options(device, (unsigned)depth);
    mdata_client_t *c;
    mdata_error_t err;
    uv_loop_t loop;

    uv_loop_init(&loop);
    if (mdata_client_new(&loop, o, &c, &err) != 0) {
        fprintf(stderr, "bench-client: %s\n", err.text);
        return 2;
    }
    mdata_options_free(o);
    if (mdata_get(c, key, on_reply, NULL, NULL) != 0)
        return 2;
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return failed ? 2 : 0;
}

int main(int argc, char **argv)
{
    const char *mode;

    if (argc < 5) {
        fprintf(stderr, "usage: %s MODE DEVICE KEY N [DEPTH]\n", argv[0]);
        return 3;
    }
    mode = argv[1];
    key = argv[3];
    total = atol(argv[4]);
    depth = argc > 5 ? atol(argv[5]) : 1;
    if (total < 1 || depth < 1 || depth > 1024)
        return 3;
    if (depth > total)
        depth = total;
    if (strcmp(mode, "seq-sync") == 0)
        return run_sync(argv[2], 1);
    if (strcmp(mode, "calls") == 0)
        return run_sync(argv[2], 0);
    if (strcmp(mode, "seq-async") == 0) {
        depth = 1;
        return run_async(argv[2]);
    }
    if (strcmp(mode, "pipe") == 0)
        return run_async(argv[2]);
    return 3;
}
