/*
 * transports.c: the three ways the emulator meets a guest
 * (doc/protocol.md §1.1).
 *   --socket PATH   listen like the agent does for a zone;
 *   --pty           own a pseudo-terminal whose slave is the guest's port;
 *   --connect PATH  connect to qemu's chardev socket like the agent does
 *                   for a bhyve/KVM VM, retrying every 100 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "emu.h"
#include "transcript.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* --socket                                                            */
/* ------------------------------------------------------------------ */

static void on_connection(uv_stream_t *server, int status)
{
    emu_t *emu = server->data;
    conn_t *c;
    int rc;

    if (status < 0) {
        emu_log(1, "accept: %s", uv_strerror(status));
        return;
    }
    c = conn_new(emu, CONN_SOCKET);
    rc = uv_accept(server, (uv_stream_t *)&c->pipe);
    if (rc < 0 || conn_start(c, "socket") < 0) {
        emu_log(1, "accept: %s", uv_strerror(rc));
        conn_close(c, "accept failed");
    }
}

int transport_socket_start(emu_t *emu)
{
    struct stat st;
    int rc;

    /* like the agent: a stale socket from an earlier run is removed */
    if (lstat(emu->socket_path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(emu->socket_path);
    uv_pipe_init(emu->loop, &emu->server, 0);
    emu->server.data = emu;
    emu->server_open = 1;
    rc = uv_pipe_bind(&emu->server, emu->socket_path);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&emu->server, 128, on_connection);
    if (rc < 0) {
        emu_log(0, "cannot listen on %s: %s", emu->socket_path,
                uv_strerror(rc));
        return -1;
    }
    emu_log(2, "listening on %s", emu->socket_path);
    return 0;
}

/* ------------------------------------------------------------------ */
/* --pty                                                               */
/* ------------------------------------------------------------------ */

int transport_pty_start(emu_t *emu)
{
    struct termios tio;
    int master;
    conn_t *c;

    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
        ptsname_r(master, emu->pty_path, sizeof(emu->pty_path)) != 0) {
        emu_log(0, "cannot create a pseudo-terminal: %s", strerror(errno));
        if (master >= 0)
            close(master);
        return -1;
    }
    /* Holding the slave open means a guest closing it never hangs the
     * line up: the session lasts as long as the emulator. */
    emu->pty_slave = open(emu->pty_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (emu->pty_slave < 0) {
        emu_log(0, "cannot open %s: %s", emu->pty_path, strerror(errno));
        close(master);
        return -1;
    }
    /* Raw, so the line discipline neither echoes our replies back to us
     * nor rewrites line ends; a guest sets its own mode anyway. */
    if (tcgetattr(emu->pty_slave, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(emu->pty_slave, TCSANOW, &tio);
    }
    c = conn_new(emu, CONN_PTY);
    if (uv_pipe_open(&c->pipe, master) < 0) {
        emu_log(0, "cannot use the pseudo-terminal");
        close(master);
        conn_close(c, "setup failed");
        return -1;
    }
    emu->pty_conn = c;
    if (conn_start(c, "pty") < 0)
        return -1;
    if (emu->link_path != NULL) {
        unlink(emu->link_path);
        if (symlink(emu->pty_path, emu->link_path) < 0) {
            emu_log(0, "cannot link %s: %s", emu->link_path, strerror(errno));
            return -1;
        }
    }
    /* the first line on stdout, for scripts */
    printf("%s\n", emu->pty_path);
    fflush(stdout);
    return 0;
}

/* ------------------------------------------------------------------ */
/* --connect                                                           */
/* ------------------------------------------------------------------ */

static void connect_attempt(uv_timer_t *t);

static void on_connect(uv_connect_t *req, int status)
{
    conn_t *c = req->data;
    emu_t *emu = c->emu;

    free(req);
    if (c->closing)
        return;
    if (status < 0) {
        /* ENOENT / ECONNREFUSED until qemu is up: log every 10th */
        if (++emu->connect_failures % 10 == 1)
            emu_log(1, "waiting for %s: %s", emu->connect_path,
                    uv_strerror(status));
        conn_close(c, "connect failed"); /* schedules the next attempt */
        return;
    }
    emu->connect_failures = 0;
    if (conn_start(c, "qemu chardev") < 0)
        conn_close(c, "cannot read");
    else
        emu_log(1, "connected to %s", emu->connect_path);
}

static void connect_attempt(uv_timer_t *t)
{
    emu_t *emu = t->data;
    conn_t *c = conn_new(emu, CONN_CONNECT);
    uv_connect_t *req = xmalloc(sizeof(*req));

    req->data = c;
    uv_pipe_connect(req, &c->pipe, emu->connect_path, on_connect);
}

void transport_connect_retry(emu_t *emu)
{
    if (emu->connect_timer_open && !emu->stopping)
        uv_timer_start(&emu->connect_timer, connect_attempt, 100, 0);
}

int transport_connect_start(emu_t *emu)
{
    uv_timer_init(emu->loop, &emu->connect_timer);
    emu->connect_timer.data = emu;
    emu->connect_timer_open = 1;
    connect_attempt(&emu->connect_timer);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The gone fault                                                      */
/* ------------------------------------------------------------------ */

/* Point the --link path at a pseudo-terminal that is never unlocked:
 * opening its slave gives EIO. Replaced atomically (a new link renamed
 * over the old one), so the path never disappears. */
static void link_to_dead_pty(emu_t *emu)
{
    char dead[256], tmp[512];
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (m < 0 || grantpt(m) < 0 || ptsname_r(m, dead, sizeof(dead)) != 0) {
        emu_log(0, "gone: cannot create a pseudo-terminal: %s",
                strerror(errno));
        if (m >= 0)
            close(m);
        return;
    }
    emu->gone_master = m;
    snprintf(tmp, sizeof(tmp), "%s.gone", emu->link_path);
    unlink(tmp);
    if (symlink(dead, tmp) < 0 || rename(tmp, emu->link_path) < 0)
        emu_log(0, "gone: cannot re-link %s: %s", emu->link_path,
                strerror(errno));
}

/* No new connections: the socket's server (its path unlinked) and the
 * timer that accepts on the pty are closed. */
static void stop_accepting(emu_t *emu)
{
    if (emu->server_open) {
        uv_close((uv_handle_t *)&emu->server, NULL);
        emu->server_open = 0;
        unlink(emu->socket_path);
    }
    if (emu->connect_timer_open) {
        uv_close((uv_handle_t *)&emu->connect_timer, NULL);
        emu->connect_timer_open = 0;
    }
}

static void gone_now(uv_timer_t *t)
{
    emu_t *emu = t->data;

    emu_log(1, "fault: the host end goes away");
    stop_accepting(emu);
    if (emu->pty) {
        if (emu->link_path != NULL && emu->gone_master < 0)
            link_to_dead_pty(emu);
        if (emu->pty_slave >= 0)
            close(emu->pty_slave);
        emu->pty_slave = -1;
    }
    while (emu->conns != NULL)
        conn_close(emu->conns, "gone fault");
}

void transport_gone_soon(emu_t *emu)
{
    if (emu->gone_timer_open || emu->stopping)
        return; /* once */
    uv_timer_init(emu->loop, &emu->gone_timer);
    emu->gone_timer.data = emu;
    emu->gone_timer_open = 1;
    uv_timer_start(&emu->gone_timer, gone_now, GONE_DELAY_MS, 0);
}

/* ------------------------------------------------------------------ */
/* Stopping                                                            */
/* ------------------------------------------------------------------ */

void transport_stop(emu_t *emu)
{
    stop_accepting(emu);
    if (emu->gone_timer_open) {
        uv_close((uv_handle_t *)&emu->gone_timer, NULL);
        emu->gone_timer_open = 0;
    }
    while (emu->conns != NULL)
        conn_close(emu->conns, "emulator stopping");
    conn_cancel_orphans(emu);
    if (emu->pty) {
        if (emu->pty_slave >= 0)
            close(emu->pty_slave);
        emu->pty_slave = -1;
        if (emu->gone_master >= 0)
            close(emu->gone_master);
        emu->gone_master = -1;
        if (emu->link_path != NULL)
            unlink(emu->link_path);
    }
}
