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
#include "mdata.h"

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

/* Answer one V2 request line with SUCCESS "web01", as the host would. */
static int answer_v2(int fd, const char *line, size_t len)
{
    char reqid[16], out[256];
    const char *p = line;
    size_t n = 0;
    int field;

    /* "V2 <len> <crc> <reqid> ...": the 4th field */
    for (field = 0; field < 3 && p != NULL; field++) {
        p = memchr(p, ' ', len - (size_t)(p - line));
        if (p != NULL)
            p++;
    }
    if (p == NULL)
        return -1;
    while (n < sizeof(reqid) - 1 && p + n < line + len && p[n] != ' ')
        n++;
    memcpy(reqid, p, n);
    reqid[n] = '\0';
    if (mdata_frame_encode(reqid, "SUCCESS", "web01", 5, out, sizeof(out),
                           &n) != 0)
        return -1;
    return write(fd, out, n) == (ssize_t)n ? 0 : -1;
}

/*
 * A minimal host for what the emulator cannot do: it completes the
 * handshake, then answers the first V2 request of its first connection
 * with half a reply line and hangs up; later connections get whole
 * replies.
 */
static void half_reply_host(int lfd)
{
    int conn;

    for (conn = 0;; conn++) {
        char buf[4096];
        size_t have = 0;
        int fd = accept(lfd, NULL, NULL), gone = 0;

        if (fd < 0)
            _exit(1);
        while (!gone) {
            ssize_t n = read(fd, buf + have, sizeof(buf) - have);
            char *lf;

            if (n <= 0)
                break;
            have += (size_t)n;
            while (!gone && (lf = memchr(buf, '\n', have)) != NULL) {
                size_t len = (size_t)(lf - buf);

                if (len == 0) {
                    if (write(fd, "invalid command\n", 16) < 0)
                        _exit(1);
                } else if (len == 12 &&
                           memcmp(buf, "NEGOTIATE V2", 12) == 0) {
                    if (write(fd, "V2_OK\n", 6) < 0)
                        _exit(1);
                } else if (conn > 0) {
                    if (answer_v2(fd, buf, len) < 0)
                        _exit(1);
                } else {
                    /* "V2 <len> <crc> " then part of the body, and gone */
                    static const char half[] = "V2 25 c02a042a ";

                    if (write(fd, half, sizeof(half) - 1) < 0)
                        _exit(1);
                    if (len > 24 && write(fd, buf + 15, 9) < 0)
                        _exit(1);
                    gone = 1;
                }
                memmove(buf, lf + 1, have - len - 1);
                have -= len + 1;
            }
        }
        close(fd);
    }
}

/* A host that accepts and hangs up at once, forever, writing a byte to
 * notify_fd for each connection. */
static void hangup_host(int lfd, int notify_fd)
{
    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0)
            _exit(1);
        close(fd);
        if (write(notify_fd, "c", 1) != 1)
            _exit(1);
    }
}

/* Fork serve(listening fd, arg) on a unix socket at emu->path. */
static int peer_start(emu_t *emu, void (*serve)(int lfd, int arg), int arg)
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
        listen(lfd, 16) != 0)
        return -1;
    emu->pid = fork();
    if (emu->pid < 0)
        return -1;
    if (emu->pid == 0) {
        alarm(60); /* never outlive the test by much */
        serve(lfd, arg);
        _exit(0);
    }
    close(lfd);
    return 0;
}

static void serve_half_reply(int lfd, int unused)
{
    (void)unused;
    half_reply_host(lfd);
}

int peer_start_half_reply(emu_t *emu)
{
    return peer_start(emu, serve_half_reply, 0);
}

int peer_start_hangup(emu_t *emu, int notify_fd)
{
    return peer_start(emu, hangup_host, notify_fd);
}
