/*
 * The serial transport against a pty the test owns: what was buffered
 * before the open is drained without waiting, and the line's terminal
 * settings are restored on close.
 */
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "client-util.h"

/* A tiny V2 host on the pty master: every GET answers "v". */
static void tiny_host(int master)
{
    char buf[8192];
    size_t have = 0;

    for (;;) {
        ssize_t n = read(master, buf + have, sizeof(buf) - have);
        char *lf;

        if (n <= 0)
            _exit(0);
        have += (size_t)n;
        while ((lf = memchr(buf, '\n', have)) != NULL) {
            size_t len = (size_t)(lf - buf);
            uint8_t pl[8192];
            mdata_frame_t f;
            char out[256];
            size_t olen;

            if (len == 0) {
                if (write(master, "invalid command\n", 16) < 0)
                    _exit(1);
            } else if (len == 12 && memcmp(buf, "NEGOTIATE V2", 12) == 0) {
                if (write(master, "V2_OK\n", 6) < 0)
                    _exit(1);
            } else if (mdata_frame_parse(buf, len, pl, &f, NULL) == 0 &&
                       mdata_frame_encode(f.reqid, "SUCCESS", "v", 1, out,
                                          sizeof(out), &olen) == 0) {
                if (write(master, out, olen) < 0)
                    _exit(1);
            }
            memmove(buf, lf + 1, have - len - 1);
            have -= len + 1;
        }
    }
}

static void test_tty_drain_and_restore(void)
{
    int master, slave;
    char name[128];
    struct termios t, after;
    pid_t pid;
    mdata_options_t *o;
    mdata_sync_t *s = NULL;
    uint8_t *v = NULL;
    size_t len = 0;
    int st;

    CU_ASSERT_FATAL(openpty(&master, &slave, name, NULL, NULL) == 0);
    /* distinctive settings the client must put back */
    CU_ASSERT_FATAL(tcgetattr(slave, &t) == 0);
    cfmakeraw(&t);
    cfsetispeed(&t, B4800);
    cfsetospeed(&t, B4800);
    t.c_cc[VMIN] = 7;
    t.c_cc[VTIME] = 3;
    CU_ASSERT_FATAL(tcsetattr(slave, TCSANOW, &t) == 0);
    /* leftovers of an earlier session, already in the guest's buffer */
    CU_ASSERT_FATAL(write(master, "old reply\nV2 junk\n.\n", 20) == 20);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(slave);
        alarm(60);
        tiny_host(master);
        _exit(0);
    }
    o = test_options(name, 20000);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, NULL) == 0);
    mdata_options_free(o);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "k", &v, &len, NULL), 0);
    CU_ASSERT(v != NULL && len == 1 && v[0] == 'v');
    mdata_free(v);
    /* drained at open: the old lines never reached the protocol */
    CU_ASSERT_EQUAL(mdata_client_counter(mdata_sync_client(s),
                                         MDATA_COUNTER_BAD_LINES),
                    0);
    mdata_sync_free(s);
    CU_ASSERT_FATAL(tcgetattr(slave, &after) == 0);
    CU_ASSERT_EQUAL(cfgetispeed(&after), B4800);
    CU_ASSERT_EQUAL(after.c_cc[VMIN], 7);
    CU_ASSERT_EQUAL(after.c_cc[VTIME], 3);
    CU_ASSERT_EQUAL(after.c_lflag, t.c_lflag);
    CU_ASSERT_EQUAL(after.c_cflag, t.c_cflag);
    kill(pid, SIGTERM);
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    close(master);
    close(slave);
}

/* Two clients in one process exclude each other too (OFD locks belong to
 * the open file description, not the process). */
static void test_tty_lock_between_clients(void)
{
    int master, slave;
    char name[128];
    pid_t pid;
    mdata_options_t *o;
    mdata_sync_t *a = NULL, *b = NULL;
    uint8_t *v = NULL;
    size_t len = 0;
    int st;

    CU_ASSERT_FATAL(openpty(&master, &slave, name, NULL, NULL) == 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(slave);
        alarm(60);
        tiny_host(master);
        _exit(0);
    }
    o = test_options(name, 30000);
    CU_ASSERT_FATAL(mdata_sync_new(o, &a, NULL) == 0);
    CU_ASSERT_EQUAL(mdata_sync_get(a, "k", &v, &len, NULL), 0);
    mdata_free(v);
    /* b gives up at its (short) deadline while a holds the line */
    CU_ASSERT_FATAL(mdata_options_set_timeout_ms(o, 300) == 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &b, NULL) == 0);
    CU_ASSERT_EQUAL(mdata_sync_get(b, "k", &v, &len, NULL), MDATA_ELOCKED);
    mdata_sync_free(b);
    mdata_sync_free(a); /* releases the line */
    CU_ASSERT_FATAL(mdata_options_set_timeout_ms(o, 30000) == 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &b, NULL) == 0);
    mdata_options_free(o);
    CU_ASSERT_EQUAL(mdata_sync_get(b, "k", &v, &len, NULL), 0);
    CU_ASSERT(v != NULL && len == 1 && v[0] == 'v');
    mdata_free(v);
    mdata_sync_free(b);
    kill(pid, SIGTERM);
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    close(master);
    close(slave);
}

static int line_is_free(const char *name)
{
    struct flock fl;
    int fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), ok;

    if (fd < 0)
        return 0;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    ok = fcntl(fd, F_OFD_SETLK, &fl) == 0;
    close(fd);
    return ok;
}

static void on_get(mdata_client_t *c, int status, const mdata_reply_t *r,
                   void *ud)
{
    (void)c;
    (void)r;
    *(int *)ud = status == 0 ? 1 : -1;
}

static void on_timer(uv_timer_t *t)
{
    (void)t;
}

/* An idle client gives the serial line back after serial_hold_ms. */
static void test_tty_idle_release(void)
{
    int master, slave, done = 0;
    char name[128];
    pid_t pid;
    mdata_options_t *o;
    mdata_sync_t *s = NULL;
    mdata_client_t *c = NULL;
    uv_loop_t loop;
    uv_timer_t timer;
    uint8_t *v = NULL;
    size_t len = 0;
    int st;

    CU_ASSERT_FATAL(openpty(&master, &slave, name, NULL, NULL) == 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(slave);
        alarm(60);
        tiny_host(master);
        _exit(0);
    }
    /* async, held 100 ms after the last request */
    CU_ASSERT_FATAL(uv_loop_init(&loop) == 0);
    o = test_options(name, 30000);
    CU_ASSERT_FATAL(mdata_options_set_serial_hold_ms(o, 100) == 0);
    CU_ASSERT_FATAL(mdata_client_new(&loop, o, &c, NULL) == 0);
    CU_ASSERT_EQUAL(mdata_get(c, "k", on_get, &done, NULL), 0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(done, 1);
    CU_ASSERT(!line_is_free(name)); /* still held right after */
    CU_ASSERT_FATAL(uv_timer_init(&loop, &timer) == 0);
    CU_ASSERT_FATAL(uv_timer_start(&timer, on_timer, 1000, 0) == 0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT(line_is_free(name)); /* given back while idle */
    /* the next request opens it again */
    done = 0;
    CU_ASSERT_EQUAL(mdata_get(c, "k", on_get, &done, NULL), 0);
    CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CU_ASSERT_EQUAL(done, 1);
    CU_ASSERT_EQUAL(mdata_client_protocol(c), 2);
    mdata_client_close(c, NULL, NULL);
    uv_close((uv_handle_t *)&timer, NULL);
    test_loop_close(&loop);
    /* blocking, hold 0: the line is free between calls */
    CU_ASSERT_FATAL(mdata_options_set_serial_hold_ms(o, 0) == 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, NULL) == 0);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "k", &v, &len, NULL), 0);
    mdata_free(v);
    CU_ASSERT(line_is_free(name));
    CU_ASSERT_EQUAL(mdata_sync_get(s, "k", &v, &len, NULL), 0);
    CU_ASSERT(v != NULL && len == 1 && v[0] == 'v');
    mdata_free(v);
    mdata_sync_free(s);
    mdata_options_free(o);
    kill(pid, SIGTERM);
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    close(master);
    close(slave);
}

CU_TestInfo client_tty_tests[] = {
    {"drain_and_restore", test_tty_drain_and_restore},
    {"lock_between_clients", test_tty_lock_between_clients},
    {"idle_release", test_tty_idle_release},
    CU_TEST_INFO_NULL,
};
