/* The async API: callbacks, pipelining, out-of-order replies, cancel,
 * close, and two processes sharing one serial line. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client-util.h"

typedef struct rec {
    int n;             /* callbacks so far */
    int order[512];    /* tags in completion order */
    int status[512];
    char val[512][32];
    int in_submit;     /* set while a submit call runs */
    int called_inside; /* a callback ran inside a submit */
    int close_in_cb;   /* close the client from the first callback */
    int after_close_rc;
    int closed;
} rec_t;

typedef struct tag {
    rec_t *rec;
    int tag;
} tag_t;

static tag_t tags[512];

static void on_reply(mdata_client_t *c, int status, const mdata_reply_t *r,
                     void *ud)
{
    tag_t *t = ud;
    rec_t *rec = t->rec;
    size_t len;
    const uint8_t *v = mdata_reply_value(r, &len);

    CU_ASSERT_PTR_NOT_NULL(r);
    CU_ASSERT_EQUAL(mdata_reply_status(r), status);
    if (rec->in_submit)
        rec->called_inside = 1;
    rec->order[rec->n] = t->tag;
    rec->status[rec->n] = status;
    snprintf(rec->val[rec->n], sizeof(rec->val[0]), "%.*s",
             (int)(len < 31 ? len : 31), (const char *)v);
    rec->n++;
    if (rec->close_in_cb && rec->n == 1) {
        mdata_client_close(c, NULL, NULL);
        rec->after_close_rc = mdata_get(c, "one", on_reply, &tags[511], NULL);
    }
}

static void on_closed(void *ud)
{
    ((rec_t *)ud)->closed = 1;
}

static tag_t *tag_of(rec_t *rec, int i)
{
    tags[i].rec = rec;
    tags[i].tag = i;
    return &tags[i];
}

static mdata_client_t *new_client(uv_loop_t *loop, const emu_t *emu,
                                  uint64_t timeout)
{
    mdata_options_t *o = test_options(emu->path, timeout);
    mdata_client_t *c = NULL;

    CU_ASSERT_FATAL(mdata_client_new(loop, o, &c, NULL) == 0);
    mdata_options_free(o);
    return c;
}

static void test_async_basic_and_idle(void)
{
    uv_loop_t loop;
    emu_t emu;
    mdata_client_t *c;
    rec_t rec;
    uint32_t id = 0;

    memset(&rec, 0, sizeof(rec));
    CU_ASSERT_FATAL(emu_start(&emu, 0, NULL) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = new_client(&loop, &emu, 20000);
    rec.in_submit = 1;
    CU_ASSERT_EQUAL(mdata_get(c, "one", on_reply, tag_of(&rec, 0), &id), 0);
    CU_ASSERT(id != 0);
    CU_ASSERT_EQUAL(mdata_keys(c, on_reply, tag_of(&rec, 1), NULL), 0);
    CU_ASSERT_EQUAL(mdata_get(c, "", on_reply, tag_of(&rec, 2), NULL),
                    MDATA_EINVAL);
    rec.in_submit = 0;
    CU_ASSERT_EQUAL(rec.n, 0);
    /* the loop runs until the requests are done, then returns although
     * the connection stays open */
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(rec.n, 2);
    CU_ASSERT_EQUAL(rec.called_inside, 0);
    CU_ASSERT_EQUAL(rec.status[0], 0);
    CU_ASSERT_STRING_EQUAL(rec.val[0], "x");
    CU_ASSERT_EQUAL(rec.status[1], 0);
    /* the connection is reused */
    CU_ASSERT_EQUAL(mdata_get(c, "sdc:hostname", on_reply, tag_of(&rec, 3),
                              NULL),
                    0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_STRING_EQUAL(rec.val[2], "web01");
    CU_ASSERT_EQUAL(mdata_client_counter(c, MDATA_COUNTER_ATTEMPTS), 3);
    mdata_client_close(c, on_closed, &rec);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(rec.closed, 1);
    test_loop_close(&loop);
    emu_stop(&emu);
}

static void test_async_out_of_order(void)
{
    static const char *const extra[] = {"--update-delay-ms", "1000", NULL};
    uv_loop_t loop;
    emu_t emu;
    mdata_client_t *c;
    rec_t rec;
    int i;

    memset(&rec, 0, sizeof(rec));
    CU_ASSERT_FATAL(emu_start(&emu, 0, extra) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = new_client(&loop, &emu, 20000);
    CU_ASSERT_EQUAL(mdata_put(c, "slow", "v1", 2, on_reply, tag_of(&rec, 0),
                              NULL),
                    0);
    for (i = 1; i <= 5; i++)
        CU_ASSERT_EQUAL(mdata_get(c, "one", on_reply, tag_of(&rec, i), NULL),
                        0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_FATAL(rec.n == 6);
    /* the GETs, sent after the PUT on the same line, complete first */
    CU_ASSERT_EQUAL(rec.order[5], 0);
    for (i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(rec.status[i], 0);
        CU_ASSERT_STRING_EQUAL(rec.val[i], rec.order[i] == 0 ? "OK" : "x");
    }
    CU_ASSERT_EQUAL(mdata_client_counter(c, MDATA_COUNTER_RETRIES), 0);
    mdata_client_close(c, NULL, NULL);
    test_loop_close(&loop);
    emu_stop(&emu);
}

static void test_async_many_inflight(void)
{
    uv_loop_t loop;
    emu_t emu;
    mdata_client_t *c;
    rec_t rec;
    int i;
    static const char *const keys[] = {"one", "sdc:hostname", "empty"};
    static const char *const vals[] = {"x", "web01", ""};

    memset(&rec, 0, sizeof(rec));
    CU_ASSERT_FATAL(emu_start(&emu, 1, NULL) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = new_client(&loop, &emu, 30000);
    for (i = 0; i < 300; i++)
        CU_ASSERT_EQUAL(mdata_get(c, keys[i % 3], on_reply, tag_of(&rec, i),
                                  NULL),
                        0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_FATAL(rec.n == 300);
    for (i = 0; i < 300; i++) {
        CU_ASSERT_EQUAL(rec.status[i], 0);
        CU_ASSERT_STRING_EQUAL(rec.val[i], vals[rec.order[i] % 3]);
    }
    mdata_client_close(c, NULL, NULL);
    test_loop_close(&loop);
    emu_stop(&emu);
}

static void test_async_cancel_and_close(void)
{
    uv_loop_t loop;
    emu_t emu;
    mdata_client_t *c;
    rec_t rec;
    uint32_t id0, id1;
    int i;

    memset(&rec, 0, sizeof(rec));
    CU_ASSERT_FATAL(emu_start(&emu, 0, NULL) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = new_client(&loop, &emu, 20000);
    CU_ASSERT_EQUAL(mdata_get(c, "one", on_reply, tag_of(&rec, 0), &id0), 0);
    CU_ASSERT_EQUAL(mdata_get(c, "one", on_reply, tag_of(&rec, 1), &id1), 0);
    CU_ASSERT_EQUAL(mdata_client_cancel(c, id1), 0);
    CU_ASSERT_EQUAL(mdata_client_cancel(c, id1), MDATA_EINVAL);
    CU_ASSERT_EQUAL(rec.n, 0); /* never inside the call */
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_FATAL(rec.n == 2);
    CU_ASSERT_EQUAL(rec.order[0], 1);
    CU_ASSERT_EQUAL(rec.status[0], MDATA_ECANCELED);
    CU_ASSERT_EQUAL(rec.status[1], 0);
    /* close with requests pending: each completes with ECANCELED */
    for (i = 2; i < 6; i++)
        CU_ASSERT_EQUAL(mdata_get(c, "one", on_reply, tag_of(&rec, i), NULL),
                        0);
    mdata_client_close(c, on_closed, &rec);
    CU_ASSERT_EQUAL(rec.n, 2);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(rec.n, 6);
    for (i = 2; i < 6; i++)
        CU_ASSERT_EQUAL(rec.status[i], MDATA_ECANCELED);
    CU_ASSERT_EQUAL(rec.closed, 1);
    test_loop_close(&loop);
    emu_stop(&emu);
}

static void test_async_close_in_callback(void)
{
    uv_loop_t loop;
    emu_t emu;
    mdata_client_t *c;
    rec_t rec;
    int i;

    memset(&rec, 0, sizeof(rec));
    rec.close_in_cb = 1;
    CU_ASSERT_FATAL(emu_start(&emu, 0, NULL) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = new_client(&loop, &emu, 20000);
    CU_ASSERT_EQUAL(mdata_put(c, "k", "v", 1, on_reply, tag_of(&rec, 0),
                              NULL),
                    0);
    for (i = 1; i < 5; i++)
        CU_ASSERT_EQUAL(mdata_put(c, "k", "v", 1, on_reply, tag_of(&rec, i),
                                  NULL),
                        0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(rec.n, 5); /* every callback exactly once */
    CU_ASSERT_EQUAL(rec.after_close_rc, MDATA_ECLOSED);
    for (i = 1; i < 5; i++)
        CU_ASSERT(rec.status[i] == MDATA_ECANCELED || rec.status[i] == 0);
    test_loop_close(&loop);
    emu_stop(&emu);
}

/* Hold an fcntl lock on the pty as the reference tools do. */
static void test_async_lock_wait_bounded(void)
{
    emu_t emu;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len;
    struct flock fl;
    uint64_t t0;
    int fd;

    CU_ASSERT_FATAL(emu_start(&emu, 1, NULL) == 0);
    fd = open(emu.path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    CU_ASSERT_FATAL(fcntl(fd, F_SETLK, &fl) == 0); /* classic POSIX lock */
    s = test_sync(&emu, 800);
    t0 = now_ms();
    CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err), MDATA_ELOCKED);
    CU_ASSERT(now_ms() - t0 < 800 + 10000);
    mdata_sync_free(s);
    close(fd); /* released */
    s = test_sync(&emu, 30000);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err), 0);
    CU_ASSERT(v != NULL && len == 1 && v[0] == 'x');
    mdata_free(v);
    mdata_sync_free(s);
    emu_stop(&emu);
}

/* Two processes on one serial line: both succeed, one after the other. */
static void test_async_two_processes_one_line(void)
{
    static const char *const extra[] = {"--fault", "delay=10", NULL};
    emu_t emu;
    int pipes[2][2], k;
    pid_t pids[2];
    uint64_t res[2][3];

    CU_ASSERT_FATAL(emu_start(&emu, 1, extra) == 0);
    for (k = 0; k < 2; k++) {
        CU_ASSERT_FATAL(pipe(pipes[k]) == 0);
        pids[k] = fork();
        CU_ASSERT_FATAL(pids[k] >= 0);
        if (pids[k] == 0) {
            uint64_t out[3] = {0, 0, 0};
            mdata_options_t *o = NULL;
            mdata_sync_t *s = NULL;
            int i, ok = 1;

            close(pipes[k][0]);
            if (mdata_options_new(&o) != 0 ||
                mdata_options_set_device(o, emu.path) != 0 ||
                mdata_options_set_timeout_ms(o, 60000) != 0 ||
                mdata_sync_new(o, &s, NULL) != 0)
                _exit(3);
            for (i = 0; i < 20; i++) {
                uint8_t *v = NULL;
                size_t len = 0;

                if (mdata_sync_get(s, i % 2 ? "one" : "sdc:hostname", &v,
                                   &len, NULL) != 0 ||
                    len != (i % 2 ? 1u : 5u) ||
                    memcmp(v, i % 2 ? "x" : "web01", len) != 0)
                    ok = 0;
                mdata_free(v);
                if (i == 0)
                    out[0] = now_ms(); /* holds the line from here */
            }
            out[1] = now_ms();
            out[2] = (uint64_t)ok;
            mdata_sync_free(s);
            mdata_options_free(o);
            if (write(pipes[k][1], out, sizeof(out)) != sizeof(out))
                _exit(4);
            _exit(0);
        }
        close(pipes[k][1]);
    }
    for (k = 0; k < 2; k++) {
        int st = 0;

        memset(res[k], 0, sizeof(res[k]));
        CU_ASSERT_EQUAL(read(pipes[k][0], res[k], sizeof(res[k])),
                        (ssize_t)sizeof(res[k]));
        close(pipes[k][0]);
        CU_ASSERT_EQUAL(waitpid(pids[k], &st, 0), pids[k]);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CU_ASSERT_EQUAL(res[k][2], 1);
    }
    /* the locked sections do not overlap */
    CU_ASSERT(res[0][1] <= res[1][0] || res[1][1] <= res[0][0]);
    CU_ASSERT(emu_alive(&emu));
    emu_stop(&emu);
}

/* The exchange trace, line by line. */
typedef struct trace_rec {
    int n;
    int dir[64];
    char line[64][48];
    size_t total[64];
} trace_rec_t;

static void on_trace(int direction, const char *line, size_t shown,
                     size_t total, void *ud)
{
    trace_rec_t *t = ud;

    if (t->n == 64)
        return;
    t->dir[t->n] = direction;
    snprintf(t->line[t->n], sizeof(t->line[0]), "%.*s",
             (int)(shown < 47 ? shown : 47), line);
    t->total[t->n] = total;
    t->n++;
}

/* mdata_connect: the handshake alone, nothing else on the wire; the trace
 * sees every line; a later deadline change applies to later requests. */
static void test_async_connect_and_trace(void)
{
    uv_loop_t loop;
    emu_t emu;
    mdata_options_t *o;
    mdata_client_t *c = NULL;
    trace_rec_t tr;
    rec_t rec;

    memset(&rec, 0, sizeof(rec));
    memset(&tr, 0, sizeof(tr));
    CU_ASSERT_FATAL(emu_start(&emu, 0, NULL) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    o = test_options(emu.path, 20000);
    CU_ASSERT_FATAL(mdata_options_set_trace(o, on_trace, &tr) == 0);
    CU_ASSERT_FATAL(mdata_client_new(&loop, o, &c, NULL) == 0);
    mdata_options_free(o);
    CU_ASSERT_EQUAL(mdata_client_protocol(c), 0);
    rec.in_submit = 1;
    CU_ASSERT_EQUAL(mdata_connect(c, on_reply, tag_of(&rec, 0), NULL), 0);
    rec.in_submit = 0;
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(rec.n, 1);
    CU_ASSERT_EQUAL(rec.called_inside, 0);
    CU_ASSERT_EQUAL(rec.status[0], 0);
    CU_ASSERT_STRING_EQUAL(rec.val[0], "");
    CU_ASSERT_EQUAL(mdata_client_protocol(c), 2);
    CU_ASSERT_EQUAL(mdata_client_counter(c, MDATA_COUNTER_ATTEMPTS), 0);
    CU_ASSERT_FATAL(tr.n == 4);
    CU_ASSERT(tr.dir[0] == MDATA_TRACE_OUT && strcmp(tr.line[0], "") == 0);
    CU_ASSERT(tr.dir[1] == MDATA_TRACE_IN &&
              strcmp(tr.line[1], "invalid command") == 0);
    CU_ASSERT(tr.dir[2] == MDATA_TRACE_OUT &&
              strcmp(tr.line[2], "NEGOTIATE V2") == 0);
    CU_ASSERT(tr.dir[3] == MDATA_TRACE_IN && strcmp(tr.line[3], "V2_OK") == 0);
    /* A request after it costs one round trip; its lines are traced. */
    CU_ASSERT_EQUAL(mdata_client_set_timeout_ms(c, 0), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_client_set_timeout_ms(c, 15000), 0);
    CU_ASSERT_EQUAL(mdata_get(c, "one", on_reply, tag_of(&rec, 1), NULL), 0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(rec.status[1], 0);
    CU_ASSERT_STRING_EQUAL(rec.val[1], "x");
    CU_ASSERT_FATAL(tr.n == 6);
    CU_ASSERT(tr.dir[4] == MDATA_TRACE_OUT &&
              strncmp(tr.line[4], "V2 ", 3) == 0 &&
              strstr(tr.line[4], " GET ") != NULL);
    CU_ASSERT(tr.dir[5] == MDATA_TRACE_IN &&
              strstr(tr.line[5], " SUCCESS ") != NULL);
    CU_ASSERT_EQUAL(tr.total[5], strlen(tr.line[5]));
    mdata_client_close(c, NULL, NULL);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    test_loop_close(&loop);
    emu_stop(&emu);
}

/* A host that never answers the probe: connect ends with ETIMEDOUT at its
 * deadline, not later. */
static void test_async_connect_times_out(void)
{
    static const char *const ignore[] = {"--fault", "ignore-probes=1000",
                                         NULL};
    uv_loop_t loop;
    emu_t emu;
    mdata_client_t *c;
    rec_t rec;
    uint64_t t0;

    memset(&rec, 0, sizeof(rec));
    CU_ASSERT_FATAL(emu_start(&emu, 0, ignore) == 0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    c = new_client(&loop, &emu, 700);
    t0 = now_ms();
    CU_ASSERT_EQUAL(mdata_connect(c, on_reply, tag_of(&rec, 0), NULL), 0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(rec.n, 1);
    CU_ASSERT_EQUAL(rec.status[0], MDATA_ETIMEDOUT);
    CU_ASSERT(now_ms() - t0 >= 650);
    CU_ASSERT_EQUAL(mdata_client_protocol(c), 0);
    mdata_client_close(c, NULL, NULL);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    test_loop_close(&loop);
    emu_stop(&emu);
}

CU_TestInfo client_async_tests[] = {
    {"connect_and_trace", test_async_connect_and_trace},
    {"connect_times_out", test_async_connect_times_out},
    {"basic_and_idle", test_async_basic_and_idle},
    {"out_of_order", test_async_out_of_order},
    {"many_inflight", test_async_many_inflight},
    {"cancel_and_close", test_async_cancel_and_close},
    {"close_in_callback", test_async_close_in_callback},
    {"lock_wait_bounded", test_async_lock_wait_bounded},
    {"two_processes_one_line", test_async_two_processes_one_line},
    CU_TEST_INFO_NULL,
};
