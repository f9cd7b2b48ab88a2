/*
 * proto.h: the host side of the metadata protocol, one request line at a
 * time, as the SmartOS agent answers it (doc/protocol.md §2-§5).
 * No I/O: a line goes in, the bytes to write (or silence, a deferred
 * update, a crash) come out; the connection layer does the rest.
 */
#ifndef EMU_PROTO_H
#define EMU_PROTO_H

#include "jsval.h"
#include "vm.h"

typedef enum host_action {
    HOST_SILENT,   /* write nothing (a V2 frame that failed validation) */
    HOST_REPLY,    /* write reply now */
    HOST_DEFERRED, /* PUT/DELETE accepted: finish later (host_finish_update) */
    HOST_CRASH     /* the real agent would die here: drop the connection */
} host_action_t;

/* A PUT or DELETE waiting for its (emulated) VM.update to complete. */
typedef struct host_update {
    char *key;
    size_t key_len;
    char *value; /* PUT value; NULL or empty removes the key */
    size_t value_len;
    char *reqid;
} host_update_t;

typedef struct host_out {
    host_action_t action;
    buf_t reply;      /* HOST_REPLY: the exact bytes */
    int v2;           /* the request was a valid V2 frame */
    char *reqid;      /* its request id (V2 only) */
    int is_probe;     /* a line with no command: "invalid command" */
    host_update_t upd; /* HOST_DEFERRED */
    char why[160];    /* HOST_SILENT / HOST_CRASH: the reason, for the log */
} host_out_t;

/* --raw KEY=FILE: a value served as it is, whatever the VM holds. */
#define HOST_RAW_MAX 8
typedef struct host_raw {
    char *key;
    char *value;
    size_t len;
} host_raw_t;

typedef struct host_opts {
    int v1only; /* an agent without V2: NEGOTIATE fails, V2 is unknown */
    host_raw_t raw[HOST_RAW_MAX];
    size_t nraw;
} host_opts_t;

/* Handle one line (LF removed, valid UTF-8). out must be zeroed or cleared. */
void host_handle_line(vm_t *vm, const host_opts_t *opts, const char *line,
                      size_t len, host_out_t *out);
void host_out_clear(host_out_t *out);

/* Apply a deferred update and build its V2 reply into reply. */
void host_finish_update(vm_t *vm, host_update_t *upd, buf_t *reply);
void host_update_clear(host_update_t *upd);

/*
 * Build "V2 <len> <crc> <reqid> <code>[ <base64(payload)>]\n" into out,
 * for a request id of any length.
 */
void host_format_v2(const char *reqid, const char *code, const void *payload,
                    size_t len, buf_t *out);

#endif
