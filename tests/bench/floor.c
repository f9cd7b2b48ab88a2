/*
 * The physical floor of one GET: open the device, write one request line,
 * read one reply line, exit. Raw system calls, no library, no handshake,
 * no lock, no decoding, no output: what any client must at least pay.
 *
 *   bench-floor socket|tty PATH FRAME [EXPECTED_BYTES [N DEPTH]]
 *
 * FRAME is the request line without its LF (the driver passes exactly the
 * bytes mdata-get sends for the same key). EXPECTED_BYTES sizes the reply
 * buffer up front; it grows if the reply is longer. The pty's slave side
 * is kept raw by mdata-emu, so no termios call is needed here. Exit 0 when
 * a whole line starting "V2 " came back.
 *
 * With N and DEPTH it is the floor of GETs per second instead: N requests
 * on the one connection with at most DEPTH in flight (DEPTH 1: one round
 * trip at a time); it prints "ops_per_s=...". The timing starts after the
 * first round trip. Only small replies (under 64 KiB) are meant here.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int open_device(const char *kind, const char *path)
{
    struct sockaddr_un sa;
    int fd;

    if (strcmp(kind, "tty") == 0)
        return open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return -1;
    return fd;
}

static int fd;
static char *req, *buf;
static size_t flen, cap;

static int write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read until `lines` LFs came; returns the bytes read or 0 on error. */
static size_t read_lines(long lines)
{
    size_t got = 0;

    while (lines > 0) {
        ssize_t n;
        const char *p, *end;

        if (got == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                return 0;
        }
        n = read(fd, buf + got, cap - got);
        if (n <= 0)
            return 0;
        for (p = buf + got, end = p + n;
             (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
            lines--;
        got += (size_t)n;
    }
    return got;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* N GETs, at most DEPTH in flight: DEPTH written at once, then as many
 * new requests as replies came in (a sliding window, as a pipelining
 * client keeps it). Replies are only counted, never parsed. */
static int loop(long total, long depth)
{
    char *batch = malloc(flen * (size_t)depth);
    long sent, done = 0, i;
    char chunk[65536];
    double t0;

    if (batch == NULL || read_lines(1) == 0) /* the first request's reply */
        return 2;
    for (i = 0; i < depth; i++)
        memcpy(batch + (size_t)i * flen, req, flen);
    t0 = now_s();
    sent = depth < total ? depth : total;
    if (write_all(batch, flen * (size_t)sent) != 0)
        return 2;
    while (done < total) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        const char *p, *end;
        long k = 0;

        if (n <= 0)
            return 2;
        for (p = chunk, end = chunk + n;
             (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
            k++;
        done += k;
        if (k > total - sent)
            k = total - sent;
        if (k > 0 && write_all(batch, flen * (size_t)k) != 0)
            return 2;
        sent += k;
    }
    printf("ops_per_s=%.0f\n", (double)total / (now_s() - t0));
    return 0;
}

int main(int argc, char **argv)
{
    size_t got;

    if (argc < 4)
        return 3;
    fd = open_device(argv[1], argv[2]);
    if (fd < 0)
        return 2;
    flen = strlen(argv[3]);
    req = malloc(flen + 1);
    cap = argc > 4 ? strtoull(argv[4], NULL, 10) + 256 : 65536;
    buf = malloc(cap);
    if (req == NULL || buf == NULL)
        return 2;
    memcpy(req, argv[3], flen);
    req[flen++] = '\n';
    if (write_all(req, flen) != 0)
        return 2;
    if (argc > 6)
        return loop(atol(argv[5]), atol(argv[6]));
    got = read_lines(1);
    return got >= 4 && memcmp(buf, "V2 ", 3) == 0 ? 0 : 1;
}
