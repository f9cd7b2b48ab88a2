/*
 * A MODEL of the reference mdata-get's costs, not the reference itself
 * (whose code this project neither ships nor builds). It does what
 * doc/protocol.md §1.2, §7.2 and §8.1 say the reference does, in the same
 * order and with the same system calls per byte:
 *   - a tty is opened, write-locked with fcntl, set raw and drained until
 *     100 ms pass without a byte (every call pays this wait); a socket is
 *     connected (the zone build does not drain);
 *   - the "\n" -> "invalid command" reset, then NEGOTIATE V2 -> V2_OK;
 *   - the GET frame; every received byte costs one epoll_wait and one
 *     read of one byte; the line buffer grows in 64-byte steps;
 *   - the reply's length, CRC (byte-wise table) and request id are
 *     checked, its base64 decoded and the value printed with a LF.
 *
 *   bench-refmodel socket|tty PATH FRAME
 *
 * FRAME is the V2 GET request line without its LF (the driver passes the
 * same bytes to the floor). Exit 0 on SUCCESS, 1 on NOTFOUND, 2 otherwise.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int fd = -1, ep = -1;
static uint32_t crc_table[256];

static void crc_init(void)
{
    uint32_t i, k, c;

    for (i = 0; i < 256; i++) {
        for (c = i, k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_bytewise(const char *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    while (n-- > 0)
        c = crc_table[(c ^ (uint8_t)*p++) & 0xff] ^ (c >> 8);
    return ~c;
}

/* One byte: wait for readiness (the idle-gap timeout), then read 1. */
static int recv_byte(int timeout_ms, char *c)
{
    struct epoll_event ev;

    for (;;) {
        int n = epoll_wait(ep, &ev, 1, timeout_ms);
        ssize_t r;

        if (n <= 0)
            return -1;
        r = read(fd, c, 1);
        if (r == 1)
            return 0;
        if (r == 0)
            return -1;
    }
}

/* A line without its LF, grown in 64-byte steps as the reference does. */
static char *recv_line(int timeout_ms, size_t *len)
{
    char *buf = NULL, c;
    size_t n = 0, cap = 0;

    for (;;) {
        if (recv_byte(timeout_ms, &c) != 0) {
            free(buf);
            return NULL;
        }
        if (n + 1 >= cap) {
            cap += 64;
            buf = realloc(buf, cap);
            if (buf == NULL)
                return NULL;
        }
        if (c == '\n')
            break;
        buf[n++] = c;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int send_all(const char *p, size_t n)
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

static int b64v(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : 0;
}

static size_t b64_decode(const char *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i + 4 <= n; i += 4) {
        uint32_t v = (uint32_t)b64v(s[i]) << 18 | (uint32_t)b64v(s[i + 1]) << 12 |
                     (uint32_t)b64v(s[i + 2]) << 6 | (uint32_t)b64v(s[i + 3]);

        out[o++] = (char)(v >> 16);
        if (s[i + 2] != '=')
            out[o++] = (char)(v >> 8);
        if (s[i + 3] != '=')
            out[o++] = (char)v;
    }
    return o;
}

static int open_tty(const char *path)
{
    struct termios t;
    struct flock fl;

    fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLKW, &fl) != 0 || tcgetattr(fd, &t) != 0)
        return -1;
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}

static int open_socket(const char *path)
{
    struct sockaddr_un sa;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return -1;
    return fcntl(fd, F_SETFL, O_NONBLOCK);
}

int main(int argc, char **argv)
{
    struct epoll_event ev;
    char *line, *req, *val, reqid[9], *p, *end;
    unsigned long blen, bcrc;
    size_t n, flen;
    int istty;

    if (argc < 4)
        return 3;
    crc_init();
    istty = strcmp(argv[1], "tty") == 0;
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return 2;
    if ((istty ? open_tty(argv[2]) : open_socket(argv[2])) != 0)
        return 2;
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        return 2;
    if (istty) {
        char c;

        while (recv_byte(100, &c) == 0) /* drain: 100 ms of silence */
            ;
    }

    /* reset and negotiate */
    if (send_all("\n", 1) != 0 || (line = recv_line(2000, &n)) == NULL ||
        strcmp(line, "invalid command") != 0)
        return 2;
    free(line);
    if (send_all("NEGOTIATE V2\n", 13) != 0 ||
        (line = recv_line(6000, &n)) == NULL || strcmp(line, "V2_OK") != 0)
        return 2;
    free(line);

    /* the request */
    flen = strlen(argv[3]);
    req = malloc(flen + 1);
    if (req == NULL)
        return 2;
    memcpy(req, argv[3], flen);
    req[flen] = '\n';
    p = strchr(strchr(strchr(argv[3], ' ') + 1, ' ') + 1, ' ') + 1;
    memcpy(reqid, p, 8);
    reqid[8] = '\0';
    if (send_all(req, flen + 1) != 0 || (line = recv_line(45000, &n)) == NULL)
        return 2;

    /* the reference's checks (§3.6) */
    if (strncmp(line, "V2 ", 3) != 0)
        return 2;
    blen = strtoul(line + 3, &p, 10);
    bcrc = strtoul(p + 1, &p, 16);
    p++;
    end = line + n;
    if (blen != (size_t)(end - p) || bcrc != crc32_bytewise(p, blen) ||
        strncmp(p, reqid, 8) != 0)
        return 2;
    p += 9;
    if (strncmp(p, "NOTFOUND", 8) == 0)
        return 1;
    if (strncmp(p, "SUCCESS", 7) != 0)
        return 2;
    p += 7;
    if (*p == ' ')
        p++;
    val = malloc((size_t)(end - p) / 4 * 3 + 2);
    if (val == NULL)
        return 2;
    n = b64_decode(p, (size_t)(end - p), val);
    val[n++] = '\n';
    fd = 1;
    return send_all(val, n) == 0 ? 0 : 2;
}
