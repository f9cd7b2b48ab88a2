/* Every operation, over a unix socket and over a pty, byte-exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client-util.h"

static void expect_get(mdata_sync_t *s, const char *key, const void *want,
                       size_t want_len)
{
    uint8_t *v = NULL;
    size_t len = 0;
    mdata_error_t err;
    int rc = mdata_sync_get(s, key, &v, &len, &err);

    CU_ASSERT_EQUAL(rc, 0);
    if (rc == 0) {
        CU_ASSERT_EQUAL(len, want_len);
        CU_ASSERT(len == want_len && memcmp(v, want, len) == 0);
        CU_ASSERT_EQUAL(v[len], 0);
    }
    mdata_free(v);
}

static void put_get(mdata_sync_t *s, const char *key, size_t n, uint64_t seed)
{
    uint8_t *val = malloc(n + 1);
    mdata_error_t err;
    int rc;

    fill_ascii(val, n, seed);
    rc = mdata_sync_put(s, key, val, n, &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0)
        fprintf(stderr, "put %zu: %s\n", n, err.text);
    expect_get(s, key, val, n);
    free(val);
}

static void run_ops(int pty)
{
    emu_t emu;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len = 0;
    static const uint8_t nul[] = {'a', 0, 'b', 1, 0};
    static const uint8_t bin[] = {0, 0, 'x', 0, 0x7f, '\n', '\r', '.', 0};

    CU_ASSERT_FATAL(emu_start(&emu, pty, NULL) == 0);
    s = test_sync(&emu, 60000);
    /* GET: stored values, empty, one byte, NULs, NOTFOUND */
    expect_get(s, "user-script", "#!/bin/sh\necho hi\n", 18);
    CU_ASSERT_EQUAL(mdata_client_protocol(mdata_sync_client(s)), 2);
    expect_get(s, "empty", "", 0);
    expect_get(s, "one", "x", 1);
    expect_get(s, "nul", nul, sizeof(nul));
    expect_get(s, "sdc:hostname", "web01", 5);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "no-such-key", &v, &len, &err),
                    MDATA_ENOTFOUND);
    CU_ASSERT_PTR_NULL(v);
    /* KEYS */
    CU_ASSERT_EQUAL(mdata_sync_keys(s, &v, &len, &err), 0);
    CU_ASSERT(v != NULL && strstr((char *)v, "user-script") != NULL);
    CU_ASSERT(v != NULL && strstr((char *)v, "dotty") != NULL);
    CU_ASSERT(len > 0 && v[len - 1] != '\n');
    mdata_free(v);
    /* PUT then GET: 1 byte, binary with NULs, 1 MiB, 16 MiB */
    put_get(s, "p1", 1, 1);
    CU_ASSERT_EQUAL(mdata_sync_put(s, "bin", bin, sizeof(bin), &err), 0);
    expect_get(s, "bin", bin, sizeof(bin));
    put_get(s, "big1", (size_t)1 << 20, 2);
    put_get(s, "big16", (size_t)16 << 20, 3);
    /* DELETE */
    CU_ASSERT_EQUAL(mdata_sync_delete(s, "p1", &err), 0);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "p1", &v, &len, &err),
                    MDATA_ENOTFOUND);
    CU_ASSERT_EQUAL(mdata_sync_delete(s, "never-there", &err), 0);
    /* host refusals carry the host's message */
    CU_ASSERT_EQUAL(mdata_sync_put(s, "sdc:uuid", "x", 1, &err),
                    MDATA_EREMOTE);
    CU_ASSERT(strstr(err.text, "sdc") != NULL);
    /* local refusals */
    CU_ASSERT_EQUAL(mdata_sync_put(s, "k", "", 0, &err), MDATA_EINVAL);
    CU_ASSERT(strstr(err.text, "empty") != NULL);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "", &v, &len, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_sync_get(s, " k", &v, &len, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "k\n", &v, &len, &err), MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_sync_delete(s, "k ", &err), MDATA_EINVAL);
    /* a healthy line needs no retries */
    CU_ASSERT_EQUAL(mdata_client_counter(mdata_sync_client(s),
                                         MDATA_COUNTER_RETRIES),
                    0);
    CU_ASSERT_EQUAL(mdata_client_counter(mdata_sync_client(s),
                                         MDATA_COUNTER_RESYNCS),
                    0);
    mdata_sync_free(s);
    CU_ASSERT(emu_alive(&emu));
    emu_stop(&emu);
}

static void test_ops_socket(void)
{
    run_ops(0);
}

static void test_ops_pty(void)
{
    run_ops(1);
}

static void test_ops_device_selection(void)
{
    mdata_options_t *o;
    mdata_sync_t *s = NULL;
    mdata_error_t err;
    emu_t emu;
    uint8_t *v = NULL;
    size_t len;

    /* a serial device that is not there, something else than a device */
    o = test_options("/dev/mdata-test-nonexistent", 0);
    CU_ASSERT_EQUAL(mdata_sync_new(o, &s, &err), MDATA_ENODEV);
    mdata_options_free(o);
    /* a path outside /dev that is not there (yet) is a socket to come:
     * waited for until the deadline */
    o = test_options("/nonexistent/metadata.sock", 300);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, &err) == 0);
    mdata_options_free(o);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err),
                    MDATA_ETIMEDOUT);
    CU_ASSERT(strstr(err.text, "does not exist yet") != NULL);
    mdata_sync_free(s);
    o = test_options(MDATA_TEST_VM, 0);
    CU_ASSERT_EQUAL(mdata_sync_new(o, &s, &err), MDATA_ENODEV);
    CU_ASSERT(strstr(err.text, "neither") != NULL);
    mdata_options_free(o);
    /* MDATA_DEVICE when no path is given */
    CU_ASSERT_FATAL(emu_start(&emu, 0, NULL) == 0);
    setenv("MDATA_DEVICE", emu.path, 1);
    CU_ASSERT_FATAL(mdata_sync_new(NULL, &s, &err) == 0);
    unsetenv("MDATA_DEVICE");
    CU_ASSERT_STRING_EQUAL(mdata_client_device(mdata_sync_client(s)),
                           emu.path);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, &err), 0);
    mdata_free(v);
    mdata_sync_free(s);
    emu_stop(&emu);
    /* a missing serial device named by MDATA_DEVICE: a clean error */
    setenv("MDATA_DEVICE", "/dev/mdata-test-nonexistent", 1);
    CU_ASSERT_EQUAL(mdata_sync_new(NULL, &s, &err), MDATA_ENODEV);
    unsetenv("MDATA_DEVICE");
}

static void test_ops_server_gone(void)
{
    emu_t emu;
    mdata_sync_t *s;
    mdata_error_t err;
    uint8_t *v = NULL;
    size_t len;

    CU_ASSERT_FATAL(emu_start(&emu, 0, NULL) == 0);
    s = test_sync(&emu, 5000);
    emu_stop(&emu); /* socket unlinked before the first request */
    CU_ASSERT(mdata_sync_get(s, "one", &v, &len, &err) < 0);
    CU_ASSERT_PTR_NULL(v);
    mdata_sync_free(s);
}

/* A socket file with nobody listening (the host agent restarting): the
 * client keeps trying until the deadline, then gives up cleanly. */
static void test_ops_no_listener(void)
{
    char dir[] = "/tmp/mdata-test-XXXXXX", path[128];
    struct sockaddr_un sa;
    mdata_options_t *o;
    mdata_sync_t *s = NULL;
    uint8_t *v = NULL;
    size_t len;
    int fd;

    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/metadata.sock", dir);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    o = test_options(path, 400);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, NULL) == 0);
    mdata_options_free(o);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "one", &v, &len, NULL),
                    MDATA_ETIMEDOUT);
    CU_ASSERT_PTR_NULL(v);
    mdata_sync_free(s);
    close(fd);
    unlink(path);
    rmdir(dir);
}

static void test_ops_max_reply(void)
{
    emu_t emu;
    mdata_options_t *o;
    mdata_sync_t *s = NULL;
    mdata_error_t err;
    uint8_t *v = NULL, big[4096];
    size_t len;

    CU_ASSERT_FATAL(emu_start(&emu, 1, NULL) == 0);
    o = test_options(emu.path, 30000);
    CU_ASSERT_FATAL(mdata_options_set_max_reply(o, 1024) == 0);
    CU_ASSERT_FATAL(mdata_sync_new(o, &s, &err) == 0);
    mdata_options_free(o);
    fill_ascii(big, sizeof(big), 9);
    CU_ASSERT_EQUAL(mdata_sync_put(s, "big", big, sizeof(big), &err), 0);
    CU_ASSERT_EQUAL(mdata_sync_get(s, "big", &v, &len, &err), MDATA_ETOOBIG);
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_EQUAL(mdata_client_counter(mdata_sync_client(s),
                                         MDATA_COUNTER_TOO_BIG),
                    1);
    /* the line is back in step for the next request */
    CU_ASSERT_EQUAL(mdata_sync_get(s, "sdc:hostname", &v, &len, &err), 0);
    CU_ASSERT(v != NULL && len == 5 && memcmp(v, "web01", 5) == 0);
    mdata_free(v);
    mdata_sync_free(s);
    emu_stop(&emu);
}

CU_TestInfo client_ops_tests[] = {
    {"ops_socket", test_ops_socket},
    {"ops_pty", test_ops_pty},
    {"device_selection", test_ops_device_selection},
    {"server_gone", test_ops_server_gone},
    {"max_reply", test_ops_max_reply},
    {"no_listener", test_ops_no_listener},
    CU_TEST_INFO_NULL,
};
