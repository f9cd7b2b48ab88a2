/*
 * emu.h: the emulator's shared state, its connections and its transports.
 *
 * A connection is one byte stream to a guest: an accepted client of the
 * zone socket, the pseudo-terminal session, or the connection to qemu's
 * chardev socket. Each has its own line buffer, fault counters and
 * pending (delayed) replies; all share the one VM object.
 */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include <uv.h>

#include <mdata.h>

#include "faults.h"
#include "proto.h"
#include "vm.h"

typedef struct conn conn_t;
typedef struct pending pending_t;

typedef struct emu {
    uv_loop_t *loop;
    vm_t vm;
    host_opts_t hopts;
    fault_cfg_t faults;
    unsigned update_delay_ms;
    size_t max_line;
    unsigned next_conn_id;
    conn_t *conns;      /* live connections */
    pending_t *orphans; /* updates still running for a closed connection */
    int stopping;

    /* --socket: zone topology */
    const char *socket_path;
    uv_pipe_t server;
    int server_open;

    /* --pty: the VM seen from the guest */
    int pty;
    const char *link_path;
    int pty_slave; /* kept open so a guest closing never ends the session */
    int gone_master; /* gone fault: a locked pty the link points to, or -1 */
    uv_timer_t gone_timer;
    int gone_timer_open;
    char pty_path[256];
    conn_t *pty_conn;

    /* --connect: the VM seen from the hypervisor (qemu chardev server) */
    const char *connect_path;
    uv_timer_t connect_timer;
    int connect_timer_open;
    unsigned connect_failures;

    uv_signal_t sig_int, sig_term;
} emu_t;

typedef enum conn_kind { CONN_SOCKET, CONN_PTY, CONN_CONNECT } conn_kind_t;

struct conn {
    emu_t *emu;
    unsigned id;
    conn_kind_t kind;
    uv_pipe_t pipe;
    uv_timer_t byte_timer; /* the bytewise fault's pump */
    int open_handles;      /* freed when both handles have closed */
    mdata_decoder_t *dec;
    fault_state_t fst;
    pending_t *pending; /* delayed replies and updates in flight */
    buf_t outq;         /* bytewise: bytes not yet written */
    size_t outq_off;
    int pumping;
    unsigned writes_in_flight;
    buf_t wbatch;       /* replies not yet handed to libuv */
    int batching;       /* handling a chunk: write its replies together */
    int hangup_pending;
    int gone_pending;   /* the gone fault: the host end goes away once the
                         * reply is out */
    int agent_died; /* dropped as if the agent had crashed */
    int closing;
    conn_t *next, *prev;
    char rbuf[65536]; /* read buffer */
    buf_t text;       /* the chunk decoded as node would */
};

/* conn.c */
conn_t *conn_new(emu_t *emu, conn_kind_t kind);
/* Start reading (the stream is connected). */
int conn_start(conn_t *c, const char *how);
/* Close for good (socket client gone, emulator stopping). */
void conn_close(conn_t *c, const char *why);
/*
 * What the agent dying (agent_died) or a hangup fault does to this stream:
 * a socket or qemu connection is closed (qemu's is then re-made); the pty
 * session stays, only its buffered input and pending replies are lost.
 * Updates in flight still complete after a hangup, not after a death.
 */
void conn_drop(conn_t *c, const char *why, int agent_died);
/* Forget updates still running for closed connections (on stop). */
void conn_cancel_orphans(emu_t *emu);

/* transports.c */
int transport_socket_start(emu_t *emu);
int transport_pty_start(emu_t *emu);
int transport_connect_start(emu_t *emu);
/* A qemu connection is gone: try again in 100 ms. */
void transport_connect_retry(emu_t *emu);
/*
 * The gone fault: GONE_DELAY_MS after the reply (the guest reads it first:
 * a pty's unread input is flushed when its master closes) the host end
 * goes away for good, the emulator keeps running. Socket: every connection and the listener closed, the socket
 * file removed. Pty: the master closed; the --link path then names a
 * pseudo-terminal that is never unlocked, so opening it gives EIO, like a
 * serial device whose host end is gone. Connect: closed, not re-made.
 */
void transport_gone_soon(emu_t *emu);
#define GONE_DELAY_MS 100
/* Close servers, timers and the pty; remove the socket file and link. */
void transport_stop(emu_t *emu);

#endif
