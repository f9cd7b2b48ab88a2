/*
 * The client object, shared by the portable half (client.c) and the
 * platform half that tells the loop when the transport can be read or
 * written: a uv_poll_t on the transport's fd (client_unix.c), or on
 * Windows, which has no pollable COM handle, a uv_async_t the transport's
 * I/O thread sends (client_win.c). libuv splits src/unix and src/win the
 * same way.
 */
#ifndef MDATA_CLIENT_IO_H
#define MDATA_CLIENT_IO_H

#include <uv.h>

#include "client/client_int.h"
#include "client/trace.h"
#include "transport/transport.h"

enum { CONN_NONE = 0, CONN_LOCKING, CONN_OPEN };

#ifdef _WIN32
typedef struct mdata__client_io {
    uv_async_t *async; /* the COM I/O thread's wake-up; client lifetime */
} mdata__client_io_t;
#else
typedef struct mdata__client_io {
    uv_poll_t *poll;   /* while CONN_OPEN; freed in its close callback */
    int events;        /* what poll was started with */
} mdata__client_io_t;
#endif

struct mdata_client {
    uv_loop_t *loop;
    mdata__engine_t *eng;
    char *device;
    int kind;
    mdata__tp_t tp;
    mdata__random_t rnd; /* request ids: the engine's config.random */
    int conn;
    uint64_t reopen_at;  /* a lost connection is reopened from then on */
    uint64_t reopen_pause_ms; /* the next pause; 0 once the host answered */
    mdata__client_io_t io; /* the platform half's handles */
    int write_blocked;   /* the kernel took less than we had: wait until
                          * the transport is writable */
    uv_timer_t timer;
    uint64_t lock_retry_at;
    uint64_t lock_retry_ms;
    mdata_error_t open_err;  /* why the last open failed; code 0 after a
                              * successful one */
    uint64_t serial_hold_ms; /* idle time before a tty is released */
    uint64_t idle_since;     /* when the open connection became idle */
    int idle;
    int kick;            /* pump at the next loop turn */
    int in_pump;
    int closing;
    int open_handles;
    mdata_close_cb close_cb;
    void *close_ud;
    void *data;
    uint8_t *rbuf;
    mdata__trace_t trace;
    mdata_link_cb link_cb;   /* link events (mdata_options_set_link_cb) */
    void *link_ud;
    int link_down;           /* a DOWN was reported, its UP not yet */
    uint64_t link_timeouts;  /* attempt timeouts already looked at */
};


/* ---- the platform half (client_unix.c, client_win.c) ---- */

/* With the client: what lives as long as it (Windows: the wake-up handle
 * the transport's I/O thread will send). 0 or an error set in err. */
int mdata__io_new(mdata_client_t *c, mdata_error_t *err);
/* A connection was opened: start watching it. 0, MDATA_ENOMEM or
 * MDATA_EIO (the caller closes the transport). */
int mdata__io_connected(mdata_client_t *c);
/* The connection is about to be closed: stop watching it. */
void mdata__io_disconnected(mdata_client_t *c);
/* After each pump: watch for what is needed now (writable only while a
 * write is blocked), holding a reference on the loop only while busy. */
void mdata__io_rearm(mdata_client_t *c, int busy);
/* The client closes (or its creation failed): release what io_new made;
 * the handles are freed by the loop. */
void mdata__io_close(mdata_client_t *c);

/* ---- client.c, for the platform half ---- */

enum {
    MDATA__IO_READABLE = 1, /* bytes, or an end of file, to read */
    MDATA__IO_WRITABLE = 2, /* room to write */
    MDATA__IO_FAILED = 4    /* an error or hang-up on the connection */
};
/* The transport is ready for what events says: read, write, pump. */
void mdata__client_io(mdata_client_t *c, int events);

#endif
