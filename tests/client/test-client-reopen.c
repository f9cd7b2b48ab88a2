/*
 * A device that cannot be opened is not a slow service: EIO (the host end
 * of a serial line gone while the node stays), ENOENT on a serial path and
 * EACCES end requests at once with MDATA_EOPEN. A socket that is not there
 * yet or refuses connections is waited for within the deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    mdata_sync_free(s);
    pause_ms(400); /* the emulator's host end goes 100 ms after the reply */
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
    emu_stop(&emu); /* removes the pty and the link */
    CU_ASSERT_EQUAL(get_host(s, &err, &took), MDATA_EOPEN);
    CU_ASSERT_EQUAL(err.sys_errno, ENOENT);
    CU_ASSERT(took < 3000);
    mdata_sync_free(s);
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

CU_TestInfo client_reopen_tests[] = {
    {"eio_pty", test_reopen_eio_pty},
    {"enoent_serial", test_reopen_enoent_serial},
    {"eacces", test_reopen_eacces},
    {"socket_appears_late", test_reopen_socket_appears_late},
    CU_TEST_INFO_NULL,
};
