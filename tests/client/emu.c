#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void fill_ascii(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 2654435761u + 88172645463325252ull;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x & 0x7f);
    }
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

int emu_start(emu_t *emu, int pty, const char *const *extra)
{
    const char *argv[64];
    int n = 0, out[2], i;
    char logpath[128];

    memset(emu, 0, sizeof(*emu));
    emu->pty = pty;
    snprintf(emu->dir, sizeof(emu->dir), "/tmp/mdata-test-XXXXXX");
    if (mkdtemp(emu->dir) == NULL)
        return -1;
    argv[n++] = MDATA_EMU_PATH;
    argv[n++] = "-q";
    if (pty) {
        argv[n++] = "--pty";
    } else {
        snprintf(emu->path, sizeof(emu->path), "%s/metadata.sock", emu->dir);
        argv[n++] = "--socket";
        argv[n++] = emu->path;
    }
    for (i = 0; extra != NULL && extra[i] != NULL && n < 60; i++)
        argv[n++] = extra[i];
    argv[n++] = MDATA_TEST_VM;
    argv[n] = NULL;
    if (pipe2(out, O_CLOEXEC) != 0)
        return -1;
    snprintf(logpath, sizeof(logpath), "%s/emu.log", emu->dir);
    emu->pid = fork();
    if (emu->pid < 0)
        return -1;
    if (emu->pid == 0) {
        int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(out[1], 1);
        if (log >= 0)
            dup2(log, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    if (pty) {
        /* the slave's path is the first line on stdout */
        size_t got = 0;
        uint64_t end = now_ms() + 10000;

        while (got < sizeof(emu->path) - 1 && now_ms() < end) {
            struct pollfd p = {out[0], POLLIN, 0};
            ssize_t r;

            if (poll(&p, 1, 200) <= 0)
                continue;
            r = read(out[0], emu->path + got, 1);
            if (r <= 0)
                break;
            if (emu->path[got] == '\n')
                break;
            got++;
        }
        emu->path[got] = '\0';
        close(out[0]);
        return got > 0 ? 0 : (emu_stop(emu), -1);
    }
    close(out[0]);
    for (i = 0; i < 1000; i++) {
        struct stat st;

        if (stat(emu->path, &st) == 0 && S_ISSOCK(st.st_mode))
            return 0;
        if (!emu_alive(emu))
            break;
        pause_ms(10);
    }
    emu_stop(emu);
    return -1;
}

int emu_alive(emu_t *emu)
{
    int st;

    if (emu->pid <= 0)
        return 0;
    if (waitpid(emu->pid, &st, WNOHANG) == emu->pid) {
        emu->pid = 0;
        return 0;
    }
    return 1;
}

void emu_stop(emu_t *emu)
{
    char p[128];
    int i, st;

    if (emu->pid > 0) {
        kill(emu->pid, SIGTERM);
        for (i = 0; i < 500; i++) {
            if (waitpid(emu->pid, &st, WNOHANG) == emu->pid)
                break;
            pause_ms(10);
        }
        if (i == 500) {
            kill(emu->pid, SIGKILL);
            waitpid(emu->pid, &st, 0);
        }
        emu->pid = 0;
    }
    if (emu->dir[0] != '\0') {
        if (!emu->pty)
            unlink(emu->path);
        snprintf(p, sizeof(p), "%s/emu.log", emu->dir);
        unlink(p);
        rmdir(emu->dir);
        emu->dir[0] = '\0';
    }
}

/*
 * A minimal host for what the emulator cannot do: it completes the
 * handshake, then answers the first V2 request with half a reply line and
 * hangs up.
 */
static void half_reply_host(int lfd)
{
    char buf[4096];
    size_t have = 0;
    int fd = accept(lfd, NULL, NULL);

    if (fd < 0)
        _exit(1);
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - have);
        char *lf;

        if (n <= 0)
            _exit(0);
        have += (size_t)n;
        while ((lf = memchr(buf, '\n', have)) != NULL) {
            size_t len = (size_t)(lf - buf);

            if (len == 0) {
                if (write(fd, "invalid command\n", 16) < 0)
                    _exit(1);
            } else if (len == 12 && memcmp(buf, "NEGOTIATE V2", 12) == 0) {
                if (write(fd, "V2_OK\n", 6) < 0)
                    _exit(1);
            } else {
                /* "V2 <len> <crc> " then part of the body, and gone */
                static const char half[] = "V2 25 c02a042a ";

                if (write(fd, half, sizeof(half) - 1) < 0)
                    _exit(1);
                if (len > 24 && write(fd, buf + 15, 9) < 0)
                    _exit(1);
                close(fd);
                _exit(0);
            }
            memmove(buf, lf + 1, have - len - 1);
            have -= len + 1;
        }
    }
}

int peer_start_half_reply(emu_t *emu)
{
    struct sockaddr_un sa;
    int lfd;

    memset(emu, 0, sizeof(*emu));
    snprintf(emu->dir, sizeof(emu->dir), "/tmp/mdata-test-XXXXXX");
    if (mkdtemp(emu->dir) == NULL)
        return -1;
    snprintf(emu->path, sizeof(emu->path), "%s/metadata.sock", emu->dir);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(emu->path) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, emu->path, strlen(emu->path) + 1);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(lfd, 4) != 0)
        return -1;
    emu->pid = fork();
    if (emu->pid < 0)
        return -1;
    if (emu->pid == 0) {
        alarm(60); /* never outlive the test by much */
        half_reply_host(lfd);
        _exit(0);
    }
    close(lfd);
    return 0;
}
