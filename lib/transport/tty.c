/*
 * Serial line: opened non-blocking without becoming the controlling tty,
 * locked with an fcntl write lock on the whole device (an OFD lock where
 * the OS has one: it conflicts with the classic F_SETLKW lock of the
 * reference tools and with cloud-init's lockf, which flock would not),
 * switched to raw mode, drained of whatever is already buffered. Close
 * restores the saved settings; closing the fd releases the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "transport/transport.h"

static int try_lock(int fd)
{
    struct flock fl;
    int cmd;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0; /* the whole device */
#ifdef F_OFD_SETLK
    cmd = F_OFD_SETLK;
#else
    cmd = F_SETLK;
#endif
    if (fcntl(fd, cmd, &fl) == 0)
        return 0;
#ifdef F_OFD_SETLK
    if (errno == EINVAL) { /* kernel without OFD locks */
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return 0;
    }
#endif
    return -1;
}

static int make_raw(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    struct termios t;

    if (tcgetattr(tp->fd, &tp->saved) != 0)
        return mdata__error(err, MDATA_EIO, errno, 0,
                            "%s: cannot read terminal settings: %s", path,
                            strerror(errno));
    tp->have_termios = 1;
    t = tp->saved;
    /* Raw flags only: the speed is left alone (emulated UARTs ignore it;
     * doc/defaults.md has the figures). */
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(tcflag_t)HUPCL;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(tp->fd, TCSANOW, &t) != 0)
        return mdata__error(err, MDATA_EIO, errno, 0,
                            "%s: cannot set raw mode: %s", path,
                            strerror(errno));
    return 0;
}

/* Discard what is buffered now, without waiting for more. */
static void drain(int fd)
{
    char buf[4096];
    int i;

    for (i = 0; i < 256; i++) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n <= 0 && !(n < 0 && errno == EINTR))
            break;
    }
}

static int finish_open(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    int rc;

    if (try_lock(tp->fd) != 0) {
        if (errno == EAGAIN || errno == EACCES || errno == EINTR)
            return mdata__error(err, MDATA_ELOCKED, errno, 0,
                                "%s is locked by another process", path);
        return mdata__error(err, MDATA_EIO, errno, 0, "%s: cannot lock: %s",
                            path, strerror(errno));
    }
    tp->locked = 1;
    rc = make_raw(tp, path, err);
    if (rc < 0)
        return rc;
    drain(tp->fd);
    return 0;
}

int mdata__tty_open(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    do
        tp->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    while (tp->fd < 0 && errno == EINTR);
    if (tp->fd < 0) {
        int e = errno;

        /* Held exclusively (TIOCEXCL): wait as for the lock. */
        if (e == EBUSY || e == EAGAIN)
            return mdata__error(err, MDATA_ELOCKED, e, 0,
                                "%s is in use by another process", path);
        /* EIO (the host end of the line is gone), ENXIO, ENODEV, ENOENT,
         * EACCES, EPERM: a device that cannot be opened, not a slow
         * service; waiting would not help. */
        return mdata__error(err, MDATA_EOPEN, e, 0, "cannot open %s: %s",
                            path, strerror(e));
    }
    if (!isatty(tp->fd))
        return mdata__error(err, MDATA_ENODEV, 0, 0, "%s is not a terminal",
                            path);
    return finish_open(tp, path, err);
}

int mdata__tty_retry(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    if (tp->fd < 0)
        return mdata__tty_open(tp, path, err);
    return finish_open(tp, path, err);
}
