/*
 * Windows transport: a COM port (\\.\COM2 by default), opened
 * exclusively. libuv cannot poll a COM handle on Windows (uv_poll takes
 * only sockets, uv_pipe_open wants a named pipe), so one I/O thread per
 * open port owns the handle: it writes what the loop queued with
 * WriteFile, reads with ReadFile under short COMMTIMEOUTS, and calls the
 * notify function (the client's uv_async_send) whenever bytes arrived, a
 * write finished or the port failed. The loop side sees the same
 * non-blocking read/write contract as a Unix fd: mdata__tp_read takes what
 * the thread has buffered, mdata__tp_write queues what fits.
 *
 * A busy port (another process holds it: ERROR_ACCESS_DENIED or
 * ERROR_SHARING_VIOLATION) is MDATA_ELOCKED, which the client retries with
 * backoff until the requests' deadlines, as it does for a locked tty.
 * MDATA_TEST_COM_BUSY=N (a test hook: wine does not enforce exclusive
 * opens) makes the first N opens of a transport see a busy port; the
 * count lives in the transport, so the library keeps no mutable global
 * state.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport.h"

#define DEFAULT_DEVICE "\\\\.\\COM2"
#define RX_MAX (1024 * 1024)  /* read ahead at most this much */
#define TX_MAX (64 * 1024)    /* queued writes */
#define IO_CHUNK 4096
#define READ_WAIT_MS 20       /* an empty ReadFile returns after this */
#define WRITE_WAIT_MS 1000    /* a WriteFile the peer does not drain */

typedef struct com {
    HANDLE h;
    HANDLE thread;
    HANDLE wake;              /* auto-reset: the loop took read bytes */
    CRITICAL_SECTION mu;
    uint8_t *rx;              /* read, not yet taken by the loop */
    size_t rx_len;
    uint8_t tx[TX_MAX];       /* queued, not yet handed to WriteFile */
    size_t tx_len;
    int error;                /* sticky: MDATA_ECLOSED / MDATA_EIO */
    int stop;
    void (*notify)(void *);
    void *notify_arg;
} com_t;

/* ---- device choice ---- */

int mdata__device_kind(const char *path, int *kind, int hint,
                       mdata_error_t *err)
{
    (void)path;
    (void)hint;
    (void)err;
    *kind = MDATA__TP_TTY; /* only serial ports on Windows */
    return 0;
}

int mdata__device_pick(const char *explicit_path, char **path_out,
                       int *kind_out, mdata_error_t *err)
{
    const char *env = getenv("MDATA_DEVICE");
    const char *path = DEFAULT_DEVICE;

    if (explicit_path != NULL)
        path = explicit_path;
    else if (env != NULL && env[0] != '\0')
        path = env;
    *path_out = _strdup(path);
    if (*path_out == NULL)
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    *kind_out = MDATA__TP_TTY;
    return 0;
}

/* ---- the I/O thread ---- */

static void notify(com_t *c)
{
    if (c->notify != NULL)
        c->notify(c->notify_arg);
}

static void fail(com_t *c, int code)
{
    EnterCriticalSection(&c->mu);
    if (c->error == 0)
        c->error = code;
    LeaveCriticalSection(&c->mu);
    notify(c);
}

static int win_code(DWORD e)
{
    /* A port that went away (USB unplug, a closed pty under wine). */
    if (e == ERROR_OPERATION_ABORTED || e == ERROR_DEVICE_REMOVED ||
        e == ERROR_BAD_COMMAND || e == ERROR_ACCESS_DENIED ||
        e == ERROR_FILE_NOT_FOUND || e == ERROR_INVALID_HANDLE)
        return MDATA_ECLOSED;
    return MDATA_EIO;
}

/*
 * One thread does all I/O on the (non-overlapped) handle, one call at a
 * time: a queued write first, then a read that returns as soon as a byte
 * is there or after READ_WAIT_MS. Windows serialises synchronous I/O on a
 * handle anyway, and overlapped reads pending beside writes are not
 * dependable under wine; a write so waits at most READ_WAIT_MS.
 */
static DWORD WINAPI io_thread(LPVOID arg)
{
    com_t *c = arg;
    uint8_t rbuf[IO_CHUNK], wbuf[IO_CHUNK];

    for (;;) {
        DWORD n, wlen = 0;
        int stop, room, err;

        EnterCriticalSection(&c->mu);
        stop = c->stop;
        err = c->error;
        room = c->rx_len < RX_MAX;
        if (c->tx_len > 0) {
            wlen = (DWORD)(c->tx_len < IO_CHUNK ? c->tx_len : IO_CHUNK);
            memcpy(wbuf, c->tx, wlen);
        }
        LeaveCriticalSection(&c->mu);
        if (stop || err)
            break;
        if (wlen > 0) {
            if (!WriteFile(c->h, wbuf, wlen, &n, NULL)) {
                fail(c, win_code(GetLastError()));
                break;
            }
            EnterCriticalSection(&c->mu);
            if (n > c->tx_len)
                n = (DWORD)c->tx_len;
            memmove(c->tx, c->tx + n, c->tx_len - n);
            c->tx_len -= n;
            LeaveCriticalSection(&c->mu);
            if (n > 0)
                notify(c); /* room to write */
        }
        if (!room) {
            /* the loop has not taken what we read: wait for it */
            WaitForSingleObject(c->wake, READ_WAIT_MS);
            continue;
        }
        if (!ReadFile(c->h, rbuf, sizeof(rbuf), &n, NULL)) {
            fail(c, win_code(GetLastError()));
            break;
        }
        if (n > 0) {
            uint8_t *nb;

            EnterCriticalSection(&c->mu);
            nb = realloc(c->rx, c->rx_len + n);
            if (nb != NULL) {
                c->rx = nb;
                memcpy(c->rx + c->rx_len, rbuf, n);
                c->rx_len += n;
            }
            LeaveCriticalSection(&c->mu);
            if (nb == NULL) {
                fail(c, MDATA_ENOMEM);
                break;
            }
            notify(c);
        }
    }
    return 0;
}

/* ---- open / close ---- */

void mdata__tp_init(mdata__tp_t *tp)
{
    memset(tp, 0, sizeof(*tp));
    tp->fd = -1;
}

void mdata__tp_set_notify(mdata__tp_t *tp, void (*fn)(void *), void *arg)
{
    tp->notify = fn;
    tp->notify_arg = arg;
}

static int test_busy(mdata__tp_t *tp)
{
    const char *env = getenv("MDATA_TEST_COM_BUSY");
    long n = env != NULL ? strtol(env, NULL, 10) : 0;

    return n > 0 && ++tp->test_busy_opens <= n;
}

static int set_line(HANDLE h, const char *path, mdata_error_t *err)
{
    DCB dcb;
    COMMTIMEOUTS to;

    (void)SetupComm(h, 65536, 65536);
    memset(&dcb, 0, sizeof(dcb));
    dcb.DCBlength = sizeof(dcb);
    if (!GetCommState(h, &dcb))
        return mdata__error(err, MDATA_EIO, (int)GetLastError(), 0,
                            "%s: GetCommState failed (error %lu)", path,
                            GetLastError());
    /* Raw 8N1, no flow control; the baud rate means nothing on a
     * virtual UART. */
    dcb.BaudRate = CBR_115200;
    dcb.ByteSize = 8;
    dcb.Parity = NOPARITY;
    dcb.StopBits = ONESTOPBIT;
    dcb.fBinary = TRUE;
    dcb.fParity = FALSE;
    dcb.fOutxCtsFlow = FALSE;
    dcb.fOutxDsrFlow = FALSE;
    dcb.fDtrControl = DTR_CONTROL_ENABLE;
    dcb.fRtsControl = RTS_CONTROL_ENABLE;
    dcb.fDsrSensitivity = FALSE;
    dcb.fOutX = FALSE;
    dcb.fInX = FALSE;
    dcb.fErrorChar = FALSE;
    dcb.fNull = FALSE;
    dcb.fAbortOnError = FALSE;
    if (!SetCommState(h, &dcb))
        return mdata__error(err, MDATA_EIO, (int)GetLastError(), 0,
                            "%s: SetCommState failed (error %lu)", path,
                            GetLastError());
    /* A read returns as soon as a byte is there, else after READ_WAIT_MS
     * with nothing (MAXDWORD/MAXDWORD/N); a write returns what went out
     * within WRITE_WAIT_MS, so a stalled peer cannot hold the thread. */
    memset(&to, 0, sizeof(to));
    to.ReadIntervalTimeout = MAXDWORD;
    to.ReadTotalTimeoutMultiplier = MAXDWORD;
    to.ReadTotalTimeoutConstant = READ_WAIT_MS;
    to.WriteTotalTimeoutConstant = WRITE_WAIT_MS;
    if (!SetCommTimeouts(h, &to))
        return mdata__error(err, MDATA_EIO, (int)GetLastError(), 0,
                            "%s: SetCommTimeouts failed (error %lu)", path,
                            GetLastError());
    /* Stale bytes of an earlier exchange: the Windows way to drain. */
    (void)PurgeComm(h, PURGE_RXCLEAR | PURGE_TXCLEAR | PURGE_RXABORT |
                           PURGE_TXABORT);
    return 0;
}

static int com_open(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    com_t *c;
    HANDLE h;
    DWORD e;
    int rc;

    if (test_busy(tp))
        return mdata__error(err, MDATA_ELOCKED, (int)ERROR_ACCESS_DENIED, 0,
                            "%s is in use by another process", path);
    h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0 /* exclusive */,
                    NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        e = GetLastError();
        if (e == ERROR_ACCESS_DENIED || e == ERROR_SHARING_VIOLATION)
            return mdata__error(err, MDATA_ELOCKED, (int)e, 0,
                                "%s is in use by another process", path);
        /* No such port, or one that fails to open: waiting would not
         * change it. */
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
            return mdata__error(err, MDATA_EOPEN, (int)e, 0,
                                "%s: no such port", path);
        return mdata__error(err, MDATA_EOPEN, (int)e, 0,
                            "%s: cannot open (error %lu)", path, e);
    }
    rc = set_line(h, path, err);
    if (rc < 0) {
        CloseHandle(h);
        return rc;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        CloseHandle(h);
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    }
    c->h = h;
    c->notify = tp->notify;
    c->notify_arg = tp->notify_arg;
    InitializeCriticalSection(&c->mu);
    c->wake = CreateEventA(NULL, FALSE, FALSE, NULL);
    if (c->wake != NULL)
        c->thread = CreateThread(NULL, 0, io_thread, c, 0, NULL);
    if (c->wake == NULL || c->thread == NULL) {
        e = GetLastError();
        if (c->wake != NULL)
            CloseHandle(c->wake);
        DeleteCriticalSection(&c->mu);
        CloseHandle(h);
        free(c);
        return mdata__error(err, MDATA_EIO, (int)e, 0,
                            "%s: cannot start the I/O thread (error %lu)",
                            path, e);
    }
    tp->com = c;
    tp->locked = 1;
    return 0;
}

int mdata__tp_open(mdata__tp_t *tp, const char *path, int kind,
                   mdata_error_t *err)
{
    mdata__tp_close(tp);
    tp->kind = kind;
    return com_open(tp, path, err);
}

int mdata__tp_retry(mdata__tp_t *tp, const char *path, mdata_error_t *err)
{
    return com_open(tp, path, err);
}

void mdata__tp_close(mdata__tp_t *tp)
{
    com_t *c = tp->com;

    if (c != NULL) {
        EnterCriticalSection(&c->mu);
        c->stop = 1;
        LeaveCriticalSection(&c->mu);
        SetEvent(c->wake);
        WaitForSingleObject(c->thread, INFINITE);
        CloseHandle(c->thread);
        CloseHandle(c->wake);
        CloseHandle(c->h);
        DeleteCriticalSection(&c->mu);
        free(c->rx);
        free(c);
    }
    tp->com = NULL;
    tp->locked = 0;
}

/* ---- loop side ---- */

int mdata__tp_read(mdata__tp_t *tp, void *buf, size_t cap, size_t *n)
{
    com_t *c = tp->com;
    int rc = 0, was_full;

    *n = 0;
    if (c == NULL)
        return MDATA_ECLOSED;
    EnterCriticalSection(&c->mu);
    was_full = c->rx_len >= RX_MAX;
    if (c->rx_len > 0) {
        *n = c->rx_len < cap ? c->rx_len : cap;
        memcpy(buf, c->rx, *n);
        memmove(c->rx, c->rx + *n, c->rx_len - *n);
        c->rx_len -= *n;
    } else if (c->error != 0) {
        rc = c->error; /* what came before the failure is read first */
    }
    LeaveCriticalSection(&c->mu);
    if (was_full)
        SetEvent(c->wake); /* room again: read on */
    return rc;
}

int mdata__tp_write(mdata__tp_t *tp, const void *buf, size_t len, size_t *n)
{
    com_t *c = tp->com;
    int rc = 0;

    *n = 0;
    if (c == NULL)
        return MDATA_ECLOSED;
    EnterCriticalSection(&c->mu);
    if (c->error != 0) {
        rc = c->error;
    } else {
        *n = TX_MAX - c->tx_len < len ? TX_MAX - c->tx_len : len;
        memcpy(c->tx + c->tx_len, buf, *n);
        c->tx_len += *n;
    }
    LeaveCriticalSection(&c->mu);
    return rc; /* the thread looks at tx before each read */
}
