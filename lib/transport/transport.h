/*
 * Transports: a serial tty or a unix stream socket, as a non-blocking file
 * descriptor the client layer polls with libuv. Device selection lives
 * here too. On Windows (com_win.c) a COM port served by an I/O thread that
 * calls a notify function instead of a pollable fd. And the OS's
 * randomness for request ids (random.c).
 */
#ifndef MDATA_TRANSPORT_H
#define MDATA_TRANSPORT_H

#ifndef _WIN32
#include <termios.h>
#endif

#include "common/common.h"

enum { MDATA__TP_TTY = 1, MDATA__TP_SOCKET = 2 };

#ifdef _WIN32
typedef struct mdata__tp {
    int fd;          /* always -1: there is nothing to poll */
    int kind;
    int locked;
    void *com;       /* com_win.c's port state; NULL when closed */
    void (*notify)(void *); /* called from the I/O thread; kept by close */
    void *notify_arg;
    long test_busy_opens; /* opens MDATA_TEST_COM_BUSY made busy so far */
} mdata__tp_t;

/*
 * Windows: fn(arg) is called from the port's I/O thread whenever
 * mdata__tp_read may have bytes or an error, or mdata__tp_write room
 * (the client passes a uv_async_send). Set once before the first open;
 * mdata__tp_close joins the thread, so no call happens after it returns.
 */
void mdata__tp_set_notify(mdata__tp_t *tp, void (*fn)(void *), void *arg);
#else
typedef struct mdata__tp {
    int fd;          /* -1 when closed */
    int kind;
    int locked;
    int have_termios;
    struct termios saved;
} mdata__tp_t;
#endif

/*
 * Choose the device: explicit path, else $MDATA_DEVICE, else the zone
 * sockets, then the OS's serial device. *path_out is malloc'd; *kind_out is
 * MDATA__TP_*. An explicit path that does not exist is taken for a socket
 * the host has not created yet, unless it lies under /dev (or links there):
 * a missing serial device. Errors: MDATA_ENODEV (nothing found, a missing
 * serial device, or neither a socket nor a character device),
 * MDATA_ENOMEM.
 */
int mdata__device_pick(const char *explicit_path, char **path_out,
                       int *kind_out, mdata_error_t *err);

/*
 * Classify path by stat: socket or character device. hint is what the path
 * was before (MDATA__TP_*), or 0 when first seen: a missing path is then a
 * socket yet to come for MDATA__TP_SOCKET (*kind set, 0 returned), else
 * MDATA_EOPEN (MDATA_ENODEV with hint 0). MDATA_ENODEV for anything but a
 * socket or a character device.
 */
int mdata__device_kind(const char *path, int *kind, int hint,
                       mdata_error_t *err);

void mdata__tp_init(mdata__tp_t *tp);

/*
 * Open (and for a tty, try to lock) the device; kind is what the path was
 * last time (MDATA__TP_*), and what is at the path now decides. Returns 0
 * when ready (a tty locked, raw and drained; a socket connected),
 * MDATA_ELOCKED or MDATA_EBUSY when worth trying again later with
 * mdata__tp_retry (the tty is locked or held by someone else; the socket
 * does not exist yet, has no listener yet or a full backlog; the fd may
 * stay open), or a code waiting will not change, with err filled:
 * MDATA_EOPEN (open or connect failed: EIO, ENXIO, ENODEV, EACCES, EPERM,
 * or a serial device that is not there), MDATA_ENODEV (neither a socket nor
 * a terminal), MDATA_EIO.
 */
int mdata__tp_open(mdata__tp_t *tp, const char *path, int kind,
                   mdata_error_t *err);
/* Try again after MDATA_ELOCKED / MDATA_EBUSY. Same returns. */
int mdata__tp_retry(mdata__tp_t *tp, const char *path, mdata_error_t *err);

/*
 * Read what is available: 0 with *n bytes (0 when nothing is there),
 * MDATA_ECLOSED on end of file or hang-up, MDATA_EIO on other errors.
 */
int mdata__tp_read(mdata__tp_t *tp, void *buf, size_t cap, size_t *n);
/* Write what fits now: 0 with *n bytes, MDATA_ECLOSED, MDATA_EIO. */
int mdata__tp_write(mdata__tp_t *tp, const void *buf, size_t len, size_t *n);

/* Restore the tty's settings, unlock and close. Idempotent. */
void mdata__tp_close(mdata__tp_t *tp);

#ifndef _WIN32
/* tty.c, for tp.c: open (or retry the lock of) a serial device, as
 * mdata__tp_open / mdata__tp_retry do for MDATA__TP_TTY. */
int mdata__tty_open(mdata__tp_t *tp, const char *path, mdata_error_t *err);
int mdata__tty_retry(mdata__tp_t *tp, const char *path, mdata_error_t *err);
#endif

/*
 * The OS's randomness, the client's source of request ids (the engine's
 * config.random): mdata__random_next(&r) returns 32 random bits, r
 * zeroed before the first call.
 */
typedef struct mdata__random {
    uint32_t batch[16];
    size_t left; /* words of batch not handed out yet */
} mdata__random_t;
uint32_t mdata__random_next(void *r);

#endif
