/*
 * A device that cannot be opened is not a slow service: EIO (the host end
 * of a serial line gone while the node stays), ENOENT on a serial path and
 * EACCES end requests at once with MDATA_EOPEN. A socket that is not there
 * yet or refuses connections is waited for within the deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client-util.h"

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

static mdata_sync_t *sync_on(const char *path, uint64_t timeout_ms)
{
    mdata_options_t *o = test_options(path, timeout_ms);
    mdata_sync_t *s = NULL;

    CU_ASSERT_FATAL(mdata_sync_new(o, &s, NULL) == 0);
    mdata_options_free(o);
    return s;
}

/* GET sdc:hostname: its status, the error, and how long it took. */
static int get_host(mdata_sync_t *s, mdata_error_t *err, uint64_t *took)
{
    uint8_t *v = NULL;
    size_t len = 0;
    uint64_t t0 = now_ms();
    int rc;

    memset(err, 0, sizeof(*err));
    rc = mdata_sync_get(s, "sdc:hostname", &v, &len, err);
    *took = now_ms() - t0;
    if (rc == 0)
        CU_ASSERT(len == 5 && memcmp(v, "web01", 5) == 0);
    mdata_free(v);
    return rc;
}

/* The host end of a pty goes away while the --link path stays: opening it
 * gives EIO, at once, for a client that was using it and for a new one. */
static void test_reopen_eio_pty(void)
{
    static const char *const extra[] = {"--fault", "gone=1", NULL};
    char dir[] = "/tmp/mdata-test-XXXXXX", link[128];
    mdata_sync_t *s, *fresh;
    mdata_error_t err;
    uint64_t took;
    emu_t emu;
    int rc;

    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(link, sizeof(link), "%s/ttyS1", dir);
    CU_ASSERT_FATAL(emu_start_at(&emu, 1, MDATA_TEST_VM, link, extra) == 0);
    s = sync_on(link, 20000);
    CU_ASSERT_EQUAL(get_host(s, &err, &took), 0);
    pause_ms(400); /* the emulator's host end goes 100 ms after the reply */
    /* the client that held the line: the write or read gives EIO, the
     * reopen gives EIO, the request ends at once */
    rc = get_host(s, &err, &took);
    CU_ASSERT_EQUAL(rc, MDATA_EOPEN);
    CU_ASSERT_EQUAL(err.sys_errno, EIO);
    CU_ASSERT(took < 3000);
    mdata_sync_free(s);
    fresh = sync_on(link, 20000);
    rc = get_host(fresh, &err, &took);
    CU_ASSERT_EQUAL(rc, MDATA_EOPEN);
    CU_ASSERT_EQUAL(err.sys_errno, EIO);
    CU_ASSERT(strstr(err.text, "Input/output error") != NULL);
    CU_ASSERT(took < 3000);
    if (rc != MDATA_EOPEN)
        fprintf(stderr, "eio: %s %s\n", mdata_err_name(rc), err.text);
    mdata_sync_free(fresh);
    emu_stop(&emu);
    rmdir(dir);
}

/* A serial path that is no longer there (the pty and its link removed):
 * ENOENT at once, not a wait until the deadline. */
static void test_reopen_enoent_serial(void)
{
    char dir[] = "/tmp/mdata-test-XXXXXX", link[128];
    mdata_sync_t *s;
    mdata_error_t err;
    uint64_t took;
    emu_t emu;

    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(link, sizeof(link), "%s/ttyS1", dir);
    CU_ASSERT_FATAL(emu_start_at(&emu, 1, MDATA_TEST_VM, link, NULL) == 0);
    s = sync_on(link, 20000);
    CU_ASSERT_EQUAL(get_host(s, &err, &took), 0);
    emu_stop(&emu); /* removes the pty and the link */
    CU_ASSERT_EQUAL(get_host(s, &err, &took), MDATA_EOPEN);
    CU_ASSERT_EQUAL(err.sys_errno, ENOENT);
    CU_ASSERT(took < 3000);
    /* not sticky: once the line is back (a new pty behind the same link),
     * the same client reopens it */
    CU_ASSERT_FATAL(emu_start_at(&emu, 1, MDATA_TEST_VM, link, NULL) == 0);
    CU_ASSERT_EQUAL(get_host(s, &err, &took), 0);
    CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 2);
    mdata_sync_free(s);
    emu_stop(&emu);
    /* given as a path under /dev, a missing serial device is refused when
     * the client is made */
    {
        mdata_options_t *o = test_options("/dev/mdata-test-no-such-tty", 0);
        mdata_sync_t *none = NULL;

        CU_ASSERT_EQUAL(mdata_sync_new(o, &none, &err), MDATA_ENODEV);
        CU_ASSERT_PTR_NULL(none);
        mdata_options_free(o);
    }
    rmdir(dir);
}

/* Permission denied on the device: EACCES at once. As root (who may open
 * anything) the request runs in a child that gave up root first. */
static void test_reopen_eacces(void)
{
    emu_t emu;
    pid_t pid;
    int st;

    CU_ASSERT_FATAL(emu_start(&emu, 1, NULL) == 0);
    CU_ASSERT_FATAL(chmod(emu.path, 0) == 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        mdata_options_t *o = NULL;
        mdata_sync_t *s = NULL;
        mdata_error_t err;
        uint8_t *v = NULL;
        size_t len;
        uint64_t t0;
        int rc;

        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(10);
        if (mdata_options_new(&o) != 0 ||
            mdata_options_set_device(o, emu.path) != 0 ||
            mdata_options_set_timeout_ms(o, 20000) != 0 ||
            mdata_sync_new(o, &s, NULL) != 0)
            _exit(11);
        t0 = now_ms();
        rc = mdata_sync_get(s, "sdc:hostname", &v, &len, &err);
        if (rc != MDATA_EOPEN)
            _exit(12);
        if (err.sys_errno != EACCES || now_ms() - t0 >= 3000)
            _exit(13);
        mdata_sync_free(s);
        mdata_options_free(o);
        _exit(0);
    }
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "eacces child: status %d\n", st);
    emu_stop(&emu);
}

/* A socket path with nothing there yet (the host agent not started): the
 * request waits, and is answered once the emulator listens. */
typedef struct late_host {
    emu_t emu;
    char path[128];
    int status, done;
    uint64_t started, answered;
} late_host_t;

static void late_reply(mdata_client_t *c, int status, const mdata_reply_t *r,
                       void *ud)
{
    late_host_t *h = ud;
    size_t len;
    const uint8_t *v = mdata_reply_value(r, &len);

    h->status = status;
    h->done = 1;
    h->answered = now_ms();
    if (status == 0)
        CU_ASSERT(len == 5 && memcmp(v, "web01", 5) == 0);
    mdata_client_close(c, NULL, NULL);
}

static void start_late(uv_timer_t *t)
{
    late_host_t *h = t->data;

    CU_ASSERT(emu_start_at(&h->emu, 0, MDATA_TEST_VM, h->path, NULL) == 0);
    uv_close((uv_handle_t *)t, NULL);
}

static void test_reopen_socket_appears_late(void)
{
    char dir[] = "/tmp/mdata-test-XXXXXX";
    late_host_t h;
    uv_loop_t loop;
    uv_timer_t later;
    mdata_options_t *o;
    mdata_client_t *c = NULL;

    memset(&h, 0, sizeof(h));
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(h.path, sizeof(h.path), "%s/metadata.sock", dir);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    o = test_options(h.path, 20000);
    CU_ASSERT_FATAL(mdata_client_new(&loop, o, &c, NULL) == 0);
    mdata_options_free(o);
    h.started = now_ms();
    CU_ASSERT_FATAL(mdata_get(c, "sdc:hostname", late_reply, &h, NULL) == 0);
    uv_timer_init(&loop, &later);
    later.data = &h;
    uv_timer_start(&later, start_late, 700, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CU_ASSERT(h.done);
    CU_ASSERT_EQUAL(h.status, 0);
    CU_ASSERT(h.answered - h.started >= 700);
    CU_ASSERT(h.answered - h.started < 15000);
    test_loop_close(&loop);
    emu_stop(&h.emu);
    rmdir(dir);
}

/* Wait until something listens on path (bounded). */
static int wait_listening(const char *path)
{
    struct sockaddr_un sa;
    int i;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    for (i = 0; i < 1000; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int ok = fd >= 0 &&
                 connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

        if (fd >= 0)
            close(fd);
        if (ok)
            return 0;
        pause_ms(5);
    }
    return -1;
}

/* The blocking API across a host agent crash: a request while nobody
 * listens expires (saying why); once the agent is back the same handle
 * reconnects. MDATA_ECLOSED only after close. */
static void test_reopen_sync_across_restart(void)
{
    char dir[] = "/tmp/mdata-test-XXXXXX", path[128];
    mdata_sync_t *s;
    mdata_error_t err;
    uint64_t took;
    emu_t emu;
    int i;

    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/metadata.sock", dir);
    CU_ASSERT_FATAL(emu_start_at(&emu, 0, MDATA_TEST_VM, path, NULL) == 0);
    s = sync_on(path, 20000);
    for (i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(get_host(s, &err, &took), 0);
        emu_kill(&emu); /* the socket file stays: connections refused */
        CU_ASSERT_EQUAL(mdata_sync_set_timeout_ms(s, 300), 0);
        CU_ASSERT_EQUAL(get_host(s, &err, &took), MDATA_ETIMEDOUT);
        CU_ASSERT(strstr(err.text, "nobody listening yet") != NULL);
        CU_ASSERT(took >= 250 && took < 5000);
        CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 0);
        CU_ASSERT_FATAL(emu_start_at(&emu, 0, MDATA_TEST_VM, path, NULL) ==
                        0);
        CU_ASSERT_EQUAL(mdata_sync_set_timeout_ms(s, 20000), 0);
        CU_ASSERT_EQUAL(get_host(s, &err, &took), 0);
        CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 2);
    }
    mdata_sync_free(s);
    emu_stop(&emu);
    rmdir(dir);
}

/* A host that accepts and hangs up at once, forever: the client's pause
 * between reopens grows (50 ms doubling to 1 s), so a 3 s deadline sees
 * a handful of connections, not thousands; the request then times out. */
static void test_reopen_backoff_on_instant_hangups(void)
{
    char tick;
    emu_t peer;
    mdata_sync_t *s;
    mdata_error_t err;
    uint64_t took;
    int pipefd[2], conns = 0;

    CU_ASSERT_FATAL(pipe(pipefd) == 0);
    CU_ASSERT_FATAL(peer_start_hangup(&peer, pipefd[1]) == 0);
    close(pipefd[1]);
    s = sync_on(peer.path, 3000);
    CU_ASSERT_EQUAL(get_host(s, &err, &took), MDATA_ETIMEDOUT);
    CU_ASSERT(took >= 2900 && took < 20000);
    mdata_sync_free(s);
    emu_stop(&peer);
    while (read(pipefd[0], &tick, 1) == 1)
        conns++;
    close(pipefd[0]);
    fprintf(stderr, "\ninstant hang-ups: %d connections in %llu ms\n",
            conns, (unsigned long long)took);
    CU_ASSERT(conns >= 3);
    CU_ASSERT(conns <= 15);
}

/*
 * The soak: an async client keeps 16 GETs in flight for 10,000 GETs while
 * the emulator serving its socket is killed and restarted three times,
 * down for 200 ms, 800 ms and 4 s with requests' deadlines of 3 s. Every
 * completed value must be right, and a request may fail only with
 * MDATA_ETIMEDOUT and only if its deadline passed while no host was there
 * (between the kill and the new emulator listening, plus a moment for the
 * handshake).
 */
#define SOAK_TOTAL 10000
#define SOAK_INFLIGHT 16
#define SOAK_DEADLINE_MS 3000
#define SOAK_OUTAGES 3
#define SOAK_HANDSHAKE_SLACK_MS 1000

static const char *const soak_keys[] = {"one", "sdc:hostname", "nul",
                                        "user-script", "empty"};
static const char *const soak_vals[] = {"x", "web01", "a\0b\1\0",
                                        "#!/bin/sh\necho hi\n", ""};
static const size_t soak_lens[] = {1, 5, 5, 18, 0};
static const uint64_t outage_ms[SOAK_OUTAGES] = {200, 800, 4000};

typedef struct soak {
    uv_loop_t *loop;
    mdata_client_t *c;
    emu_t emu;
    char path[128];
    uv_timer_t restart;
    int submitted, completed, ok, failed, wrong, misplaced_failures;
    int outages, down;
    uint64_t down_from[SOAK_OUTAGES], up_at[SOAK_OUTAGES];
    int failed_in[SOAK_OUTAGES];
    uint64_t submitted_at[SOAK_TOTAL];
    uint64_t began, ended;
} soak_t;

static void soak_submit(soak_t *k);

static void soak_restart(uv_timer_t *t)
{
    soak_t *k = t->data;

    CU_ASSERT_FATAL(emu_start_at(&k->emu, 0, MDATA_TEST_VM, k->path, NULL) ==
                    0);
    CU_ASSERT_FATAL(wait_listening(k->path) == 0);
    uv_update_time(k->loop);
    k->up_at[k->outages - 1] = uv_now(k->loop);
    k->down = 0;
}

/* Did a deadline fall while no host was there? Which outage, or -1. */
static int soak_outage_of(const soak_t *k, uint64_t deadline)
{
    int i;

    for (i = 0; i < k->outages; i++) {
        int still_down = i == k->outages - 1 && k->down;

        if (deadline >= k->down_from[i] &&
            (still_down ||
             deadline <= k->up_at[i] + SOAK_HANDSHAKE_SLACK_MS))
            return i;
    }
    return -1;
}

static void soak_reply(mdata_client_t *c, int status, const mdata_reply_t *r,
                       void *ud)
{
    soak_t *k = mdata_client_get_data(c);
    int n = (int)(intptr_t)ud, key = n % 5;
    size_t len;
    const uint8_t *v = mdata_reply_value(r, &len);

    k->completed++;
    if (status == 0) {
        k->ok++;
        if (len != soak_lens[key] || memcmp(v, soak_vals[key], len) != 0)
            k->wrong++;
    } else {
        int at = soak_outage_of(k, k->submitted_at[n] + SOAK_DEADLINE_MS);

        k->failed++;
        if (status != MDATA_ETIMEDOUT || at < 0) {
            k->misplaced_failures++;
            fprintf(stderr, "soak: request %d failed with %s, deadline "
                            "%llu ms after start\n",
                    n, mdata_err_name(status),
                    (unsigned long long)(k->submitted_at[n] +
                                         SOAK_DEADLINE_MS - k->began));
        } else {
            k->failed_in[at]++;
        }
    }
    if (k->completed == SOAK_TOTAL) {
        k->ended = uv_now(k->loop);
        mdata_client_close(c, NULL, NULL);
        return;
    }
    /* kill the host at a quarter, half and three quarters */
    if (!k->down && k->outages < SOAK_OUTAGES &&
        k->completed >= (k->outages + 1) * SOAK_TOTAL / (SOAK_OUTAGES + 1)) {
        emu_kill(&k->emu);
        uv_update_time(k->loop);
        k->down_from[k->outages] = uv_now(k->loop);
        k->down = 1;
        uv_timer_start(&k->restart, soak_restart, outage_ms[k->outages], 0);
        k->outages++;
    }
    soak_submit(k);
}

static void soak_submit(soak_t *k)
{
    while (k->submitted < SOAK_TOTAL &&
           k->submitted - k->completed < SOAK_INFLIGHT) {
        int n = k->submitted++;

        uv_update_time(k->loop);
        k->submitted_at[n] = uv_now(k->loop);
        CU_ASSERT_FATAL(mdata_get(k->c, soak_keys[n % 5], soak_reply,
                                  (void *)(intptr_t)n, NULL) == 0);
    }
}

static void test_reopen_soak_restarts(void)
{
    char dir[] = "/tmp/mdata-test-XXXXXX";
    static soak_t k;
    uv_loop_t loop;
    mdata_options_t *o;
    int i;

    memset(&k, 0, sizeof(k));
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(k.path, sizeof(k.path), "%s/metadata.sock", dir);
    CU_ASSERT_FATAL(emu_start_at(&k.emu, 0, MDATA_TEST_VM, k.path, NULL) ==
                    0);
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    k.loop = &loop;
    o = test_options(k.path, SOAK_DEADLINE_MS);
    CU_ASSERT_FATAL(mdata_options_set_max_inflight(o, SOAK_INFLIGHT) == 0);
    CU_ASSERT_FATAL(mdata_client_new(&loop, o, &k.c, NULL) == 0);
    mdata_options_free(o);
    mdata_client_set_data(k.c, &k);
    uv_timer_init(&loop, &k.restart);
    k.restart.data = &k;
    uv_update_time(&loop);
    k.began = uv_now(&loop);
    soak_submit(&k);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&k.restart, NULL);
    test_loop_close(&loop);
    emu_stop(&k.emu);
    rmdir(dir);

    CU_ASSERT_EQUAL(k.completed, SOAK_TOTAL);
    CU_ASSERT_EQUAL(k.outages, SOAK_OUTAGES);
    CU_ASSERT_EQUAL(k.wrong, 0);
    CU_ASSERT_EQUAL(k.misplaced_failures, 0);
    CU_ASSERT_EQUAL(k.ok + k.failed, SOAK_TOTAL);
    /* outages shorter than the deadline cost nothing; the 4 s one ends
     * the requests that were waiting when it began (16), and perhaps
     * the few submitted while they failed */
    CU_ASSERT_EQUAL(k.failed_in[0], 0);
    CU_ASSERT_EQUAL(k.failed_in[1], 0);
    CU_ASSERT(k.failed_in[2] >= SOAK_INFLIGHT);
    fprintf(stderr, "\nreconnect soak: %d GETs (%d in flight), %d right, "
                    "0 wrong, %d failed with ETIMEDOUT",
            SOAK_TOTAL, SOAK_INFLIGHT, k.ok, k.failed);
    for (i = 0; i < SOAK_OUTAGES; i++)
        fprintf(stderr, "%s outage %d: %llu ms down, %d failed",
                i == 0 ? ";" : ",", i + 1,
                (unsigned long long)(k.up_at[i] - k.down_from[i]),
                k.failed_in[i]);
    fprintf(stderr, "; %llu ms in all\n",
            (unsigned long long)(k.ended - k.began));
}

/*
 * Link events (mdata_options_set_link_cb): what a program tells its user
 * while requests wait. Each test records the events and the reply in
 * order, with the emulator killed, restarted or late as a real host agent.
 */
typedef struct link_log {
    uv_loop_t *loop;
    emu_t emu;
    char path[128];
    int events[8], codes[8], n;   /* MDATA_LINK_*, why->code (0 for UP) */
    char down_text[MDATA_ERROR_TEXT_MAX];
    int status, reply_at;         /* reply_at: events seen before it */
    char value[16];
} link_log_t;

static void link_record(int event, const mdata_error_t *why, void *ud)
{
    link_log_t *l = ud;

    if (l->n < 8) {
        l->events[l->n] = event;
        l->codes[l->n] = why != NULL ? why->code : 0;
        l->n++;
    }
    if (event == MDATA_LINK_DOWN && why != NULL)
        snprintf(l->down_text, sizeof(l->down_text), "%s", why->text);
}

static void link_reply(mdata_client_t *c, int status, const mdata_reply_t *r,
                       void *ud)
{
    link_log_t *l = ud;
    size_t len;
    const uint8_t *v = mdata_reply_value(r, &len);

    l->status = status;
    l->reply_at = l->n;
    snprintf(l->value, sizeof(l->value), "%.*s", (int)len, (const char *)v);
    mdata_client_close(c, NULL, NULL);
}

static void link_kill(uv_timer_t *t)
{
    link_log_t *l = t->data;

    emu_kill(&l->emu);
}

static void link_start(uv_timer_t *t)
{
    link_log_t *l = t->data;

    CU_ASSERT_FATAL(emu_start_at(&l->emu, 0, MDATA_TEST_VM, l->path, NULL) ==
                    0);
}

/* GET sdc:hostname on an async client at l->path, with the host killed
 * at kill_ms (unless 0) and (re)started at start_ms. */
static void link_run(link_log_t *l, uint64_t kill_ms, uint64_t start_ms)
{
    uv_loop_t loop;
    uv_timer_t kill_t, start_t;
    mdata_options_t *o = test_options(l->path, 20000);
    mdata_client_t *c;

    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    l->loop = &loop;
    l->status = 1;
    CU_ASSERT_FATAL(mdata_options_set_link_cb(o, link_record, l) == 0);
    CU_ASSERT_FATAL(mdata_client_new(&loop, o, &c, NULL) == 0);
    mdata_options_free(o);
    uv_timer_init(&loop, &kill_t);
    uv_timer_init(&loop, &start_t);
    kill_t.data = start_t.data = l;
    if (kill_ms != 0)
        uv_timer_start(&kill_t, link_kill, kill_ms, 0);
    uv_timer_start(&start_t, link_start, start_ms, 0);
    CU_ASSERT_FATAL(mdata_get(c, "sdc:hostname", link_reply, l, NULL) == 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&kill_t, NULL);
    uv_close((uv_handle_t *)&start_t, NULL);
    test_loop_close(&loop);
}

/* The host dies with the request in flight and is back 1 s later: one
 * DOWN (the connection lost), however many reopens are refused, then UP
 * just before the reply, which is right. */
static void test_link_host_restarted(void)
{
    static const char *const slow[] = {"--fault", "slow=2000", NULL};
    char dir[] = "/tmp/mdata-test-XXXXXX";
    link_log_t l;

    memset(&l, 0, sizeof(l));
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(l.path, sizeof(l.path), "%s/metadata.sock", dir);
    CU_ASSERT_FATAL(emu_start_at(&l.emu, 0, MDATA_TEST_VM, l.path, slow) ==
                    0);
    link_run(&l, 500, 1500);
    emu_stop(&l.emu);
    rmdir(dir);
    CU_ASSERT_EQUAL(l.status, 0);
    CU_ASSERT_STRING_EQUAL(l.value, "web01");
    CU_ASSERT_EQUAL(l.n, 2);
    CU_ASSERT_EQUAL(l.events[0], MDATA_LINK_DOWN);
    CU_ASSERT_EQUAL(l.codes[0], MDATA_EIO);
    CU_ASSERT_STRING_EQUAL(l.down_text, "connection lost: the host closed it");
    CU_ASSERT_EQUAL(l.events[1], MDATA_LINK_UP);
    CU_ASSERT_EQUAL(l.reply_at, 2);
}

/* The socket is not there yet: DOWN with the open's own words, UP once
 * the host answers. */
static void test_link_socket_to_come(void)
{
    char dir[] = "/tmp/mdata-test-XXXXXX";
    link_log_t l;

    memset(&l, 0, sizeof(l));
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(l.path, sizeof(l.path), "%s/metadata.sock", dir);
    link_run(&l, 0, 300);
    emu_stop(&l.emu);
    rmdir(dir);
    CU_ASSERT_EQUAL(l.status, 0);
    CU_ASSERT_STRING_EQUAL(l.value, "web01");
    CU_ASSERT_EQUAL(l.n, 2);
    CU_ASSERT_EQUAL(l.events[0], MDATA_LINK_DOWN);
    CU_ASSERT_EQUAL(l.codes[0], MDATA_EBUSY);
    CU_ASSERT(strstr(l.down_text, "does not exist yet") != NULL);
    CU_ASSERT_EQUAL(l.events[1], MDATA_LINK_UP);
    CU_ASSERT_EQUAL(l.reply_at, 2);
}

/* A host that answers the handshake (and the resync's probes) but drops
 * every request: one DOWN when the first attempt's reply does not come,
 * no UP (probe answers are no answer), then the deadline. */
static void test_link_silent_host(void)
{
    static const char *const drop[] = {"--fault", "drop=1", NULL};
    mdata_options_t *o;
    mdata_sync_t *s = NULL;
    mdata_error_t err;
    emu_t emu;
    link_log_t l;
    uint64_t took;

    memset(&l, 0, sizeof(l));
    CU_ASSERT_FATAL(emu_start(&emu, 0, drop) == 0);
    o = test_options(emu.path, 4500);
    CU_ASSERT_FATAL(mdata_options_set_link_cb(o, link_record, &l) == 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, NULL) == 0);
    mdata_options_free(o);
    CU_ASSERT_EQUAL(get_host(s, &err, &took), MDATA_ETIMEDOUT);
    mdata_sync_free(s);
    emu_stop(&emu);
    CU_ASSERT_EQUAL(l.n, 1);
    CU_ASSERT_EQUAL(l.events[0], MDATA_LINK_DOWN);
    CU_ASSERT_EQUAL(l.codes[0], MDATA_ETIMEDOUT);
    CU_ASSERT_STRING_EQUAL(l.down_text, "no reply from the host in time");
}

CU_TestInfo client_reopen_tests[] = {
    {"eio_pty", test_reopen_eio_pty},
    {"enoent_serial", test_reopen_enoent_serial},
    {"eacces", test_reopen_eacces},
    {"socket_appears_late", test_reopen_socket_appears_late},
    {"sync_across_restart", test_reopen_sync_across_restart},
    {"backoff_on_instant_hangups", test_reopen_backoff_on_instant_hangups},
    {"soak_restarts", test_reopen_soak_restarts},
    {"link_host_restarted", test_link_host_restarted},
    {"link_socket_to_come", test_link_socket_to_come},
    {"link_silent_host", test_link_silent_host},
    CU_TEST_INFO_NULL,
};
