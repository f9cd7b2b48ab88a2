/*
 * The sans-I/O client core. Bytes read from the device and the current
 * time go in; bytes to write, completed requests and the next deadline come
 * out. It owns the handshake, the request table, request-id matching,
 * deadlines, bounded retries and resynchronisation. It never sleeps, never
 * reads a clock and never touches a file descriptor: time comes in with
 * each call and randomness for request ids through the config.
 *
 * Time is any monotonic millisecond counter chosen by the caller.
 */
#ifndef MDATA_ENGINE_H
#define MDATA_ENGINE_H

#include <stdint.h>

#include "common/common.h"

/* Operations. */
typedef enum mdata__op {
    MDATA__OP_GET = 1,
    MDATA__OP_KEYS,
    MDATA__OP_PUT,
    MDATA__OP_DELETE,
    MDATA__OP_CONNECT /* nothing on the wire: done once the line is in sync */
} mdata__op_t;

/* What the engine knows about the peer's protocol. */
typedef enum mdata__proto {
    MDATA__PROTO_UNKNOWN = 0,
    MDATA__PROTO_V1 = 1,
    MDATA__PROTO_V2 = 2
} mdata__proto_t;

/*
 * Request ids of a request's attempts that are remembered: a reply to any
 * of them completes the request (a busy host answers late). Beyond this
 * many attempts the oldest id is forgotten.
 */
#define MDATA__REQID_HISTORY 8

/*
 * After a damaged line (bad length, CRC or base64) that names the current
 * attempt of a request, that attempt keeps listening this long for a good
 * copy before it is given up (resync, backoff, resend).
 */
#define MDATA__DAMAGE_GRACE_MS 250

/* Source of request ids; returns 32 random bits. */
typedef uint32_t (*mdata__random_fn)(void *ctx);

/*
 * A GET key with a reply bound of its own, below max_reply: the typed
 * values' defaults (doc/defaults.md) or mdata_options_set_key_max_reply.
 */
#define MDATA__KEY_CAPS 16    /* keys with a bound of their own */
#define MDATA__KEY_CAP_LEN 64 /* longest such key, NUL included */
typedef struct mdata__key_cap {
    char key[MDATA__KEY_CAP_LEN]; /* "" marks a free slot */
    size_t max;
} mdata__key_cap_t;

typedef struct mdata__engine_config {
    uint64_t timeout_ms;             /* total deadline of a request */
    uint64_t read_attempt_ms;        /* per-attempt reply wait, GET/KEYS */
    uint64_t write_attempt_ms;       /* per-attempt reply wait, PUT/DELETE */
    uint64_t handshake_ms;           /* wait for a probe or NEGOTIATE reply */
    uint64_t backoff_initial_ms;     /* wait before the 2nd attempt */
    uint64_t backoff_max_ms;         /* the wait doubles up to this */
    unsigned max_attempts;           /* attempts per request, >= 1 */
    unsigned max_inflight;           /* V2 requests on the wire at once */
    unsigned max_pending;            /* requests held at once (EBUSY) */
    size_t max_reply;                /* largest value accepted, bytes */
    mdata__key_cap_t key_caps[MDATA__KEY_CAPS]; /* smaller, per GET key */
    mdata__random_fn random;         /* required: the client passes the
                                        OS's (lib/transport/random.c) */
    void *random_ctx;
} mdata__engine_config_t;

typedef struct mdata__engine mdata__engine_t;

/* A completed request, borrowed until the next next_done call or free. */
typedef struct mdata__done {
    uint32_t id;
    mdata__op_t op;
    int status;           /* 0, or MDATA_E* */
    const uint8_t *value; /* SUCCESS value or FAILURE message; never NULL */
    size_t value_len;
    unsigned attempts;
    void *ud;
} mdata__done_t;

/* Fill cfg with the documented defaults (doc/defaults.md). */
void mdata__engine_config_defaults(mdata__engine_config_t *cfg);

/*
 * Give GETs of key a reply bound of its own (bytes 0: none, max_reply
 * holds). Returns 0, or MDATA_EINVAL for a key too long for a slot or
 * when every slot is taken.
 */
int mdata__engine_config_key_cap(mdata__engine_config_t *cfg,
                                 const char *key, size_t bytes);

int mdata__engine_new(const mdata__engine_config_t *cfg,
                      mdata__engine_t **out);
void mdata__engine_free(mdata__engine_t *e);

/*
 * Check a key the host can address: non-empty, no leading or trailing
 * white space, no LF or CR anywhere. Returns 0 or MDATA_EINVAL with text.
 */
int mdata__check_key(const char *key, mdata_error_t *err);

/*
 * Queue a request. key is NUL-terminated (ignored for KEYS); val/len the
 * PUT value. Inputs are copied. *id gets a handle for cancel. Errors:
 * MDATA_EINVAL (bad key, empty PUT value), MDATA_EBUSY, MDATA_ENOMEM.
 */
int mdata__engine_submit(mdata__engine_t *e, mdata__op_t op, const char *key,
                         const void *val, size_t len, void *ud, uint64_t now,
                         uint32_t *id, mdata_error_t *err);

/* Complete request id with MDATA_ECANCELED. MDATA_EINVAL if unknown. */
int mdata__engine_cancel(mdata__engine_t *e, uint32_t id, uint64_t now);

/* Complete every request not yet done with status. */
void mdata__engine_fail_all(mdata__engine_t *e, int status);

/* The transport is open: start the handshake. */
void mdata__engine_connected(mdata__engine_t *e, uint64_t now);

/*
 * The transport is gone: forget the connection's state (handshake,
 * protocol, partial lines, unsent output); requests in flight are queued
 * again for the next connection, their deadlines unchanged, and the
 * interrupted attempt does not count against max_attempts.
 */
void mdata__engine_lost(mdata__engine_t *e, uint64_t now);

/* 1 when requests wait and there is no connection. */
int mdata__engine_want_connect(const mdata__engine_t *e);

/* 1 while the engine is busy: requests held or a handshake running. */
int mdata__engine_busy(const mdata__engine_t *e);

/*
 * Status given to requests whose deadline passes while no connection
 * exists (MDATA_ETIMEDOUT by default; the client sets MDATA_ELOCKED while
 * it waits for the device lock).
 */
void mdata__engine_set_wait_status(mdata__engine_t *e, int status);

/* Bytes read from the device. Errors: MDATA_ENOMEM. */
int mdata__engine_feed(mdata__engine_t *e, const void *data, size_t len,
                       uint64_t now);

/* Let time pass: expire deadlines, retry, resend probes. */
void mdata__engine_tick(mdata__engine_t *e, uint64_t now);

/* Bytes waiting to be written (borrowed until the next call on e). */
const char *mdata__engine_output(const mdata__engine_t *e, size_t *len);
/* n bytes of the output were written. */
void mdata__engine_output_done(mdata__engine_t *e, size_t n, uint64_t now);

/* The earliest time tick must be called; UINT64_MAX for never. */
uint64_t mdata__engine_next_deadline(const mdata__engine_t *e);

/* Take the next completed request: 1 and *done filled, or 0. */
int mdata__engine_next_done(mdata__engine_t *e, mdata__done_t *done);
/*
 * Take over the value of the request next_done returned last: the buffer
 * (value_len bytes and a NUL) is the caller's to free, so nobody copies a
 * large value. NULL when it had no value (its done->value is then an empty
 * static string).
 */
uint8_t *mdata__engine_take_value(mdata__engine_t *e);

mdata__proto_t mdata__engine_protocol(const mdata__engine_t *e);

/* The total deadline of requests submitted from now on. */
void mdata__engine_set_timeout(mdata__engine_t *e, uint64_t ms);

/* A counter (mdata_counter_t). */
uint64_t mdata__engine_counter(const mdata__engine_t *e, int which);

#endif
