/* Transport common code: unix socket connect, read, write, close. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "transport/transport.h"

void mdata__tp_init(mdata__tp_t *tp)
{
    memset(tp, 0, sizeof(*tp));
    tp->fd = -1;
}

/* A socket that is missing, refusing or full: the host agent starting or
 * restarting. Close and let the client try again within the deadlines. */
static int sock_wait(mdata__tp_t *tp, const char *path, int e,
                     mdata_error_t *err)
{
    if (tp->fd >= 0)
        close(tp->fd);
    tp->fd = -1;
    return mdata__error(err, MDATA_EBUSY, e, 0, "%s: %s", path,
                        e == ENOENT         ? "does not exist yet"
                        : e == ECONNREFUSED ? "nobody listening yet"
                                            : "the host's backlog is full");
}

static int sock_open(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    struct sockaddr_un sa;
    int e;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path))
        return mdata__error(err, MDATA_ENODEV, 0, 0,
                            "%s: socket path too long", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (tp->fd < 0) {
        tp->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        0);
        if (tp->fd < 0)
            return mdata__error(err, MDATA_EIO, errno, 0, "socket: %s",
                                strerror(errno));
    }
    if (connect(tp->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return 0;
    e = errno;
    if (e == EAGAIN || e == EINPROGRESS || e == EINTR || e == ECONNREFUSED ||
        e == ENOENT)
        return sock_wait(tp, path, e, err);
    /* EACCES, EPERM, ...: waiting will not change it. */
    close(tp->fd);
    tp->fd = -1;
    return mdata__error(err, MDATA_EOPEN, e, 0, "cannot connect to %s: %s",
                        path, strerror(e));
}

int mdata__tp_open(mdata__tp_t *tp, const char *path, int kind,
                   mdata_error_t *err)
{
    int rc;

    mdata__tp_close(tp);
    /* What is at the path now decides (a socket file may come and go
     * while the host agent restarts, a pty link may be re-made). */
    rc = mdata__device_kind(path, &kind, kind, err);
    if (rc < 0)
        return rc;
    tp->kind = kind;
    if (kind == MDATA__TP_SOCKET)
        return sock_open(tp, path, err);
    return mdata__tty_open(tp, path, err);
}

int mdata__tp_retry(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    if (tp->kind == MDATA__TP_SOCKET)
        return mdata__tp_open(tp, path, MDATA__TP_SOCKET, err);
    return mdata__tty_retry(tp, path, err);
}

int mdata__tp_read(mdata__tp_t *tp, void *buf, size_t cap, size_t *n)
{
    ssize_t r;

    *n = 0;
    do
        r = read(tp->fd, buf, cap);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        *n = (size_t)r;
        return 0;
    }
    if (r == 0)
        return MDATA_ECLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
    /* A pty whose master is gone reads EIO: that is a hang-up. */
    if (errno == EIO || errno == ECONNRESET)
        return MDATA_ECLOSED;
    return MDATA_EIO;
}

int mdata__tp_write(mdata__tp_t *tp, const void *buf, size_t len, size_t *n)
{
    ssize_t r;

    *n = 0;
    do {
        if (tp->kind == MDATA__TP_SOCKET)
            r = send(tp->fd, buf, len, MSG_NOSIGNAL);
        else
            r = write(tp->fd, buf, len);
    } while (r < 0 && errno == EINTR);
    if (r >= 0) {
        *n = (size_t)r;
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return 0;
    if (errno == EPIPE || errno == ECONNRESET || errno == EIO)
        return MDATA_ECLOSED;
    return MDATA_EIO;
}

void mdata__tp_close(mdata__tp_t *tp)
{
    if (tp->fd >= 0) {
        if (tp->have_termios)
            (void)tcsetattr(tp->fd, TCSANOW, &tp->saved);
        close(tp->fd); /* releases the lock */
    }
    tp->fd = -1;
    tp->locked = 0;
    tp->have_termios = 0;
}
