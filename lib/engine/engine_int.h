/* Private state of the engine, shared by its files. */
#ifndef MDATA_ENGINE_INT_H
#define MDATA_ENGINE_INT_H

#include "engine/engine.h"

/* Connection states. */
typedef enum mdata__conn_state {
    ST_DISCONNECTED = 0, /* no transport */
    ST_UNSYNCED,         /* transport open, not in sync, nothing to do */
    ST_PROBING,          /* "\n" sent, waiting for "invalid command" */
    ST_NEGOTIATING,      /* "NEGOTIATE V2" sent */
    ST_NEG_DRAIN,        /* odd SUCCESS answer to NEGOTIATE: skip to "." */
    ST_READY
} mdata__conn_state_t;

/* Where a request is: the list it is on. */
typedef enum mdata__req_where {
    RQ_QUEUED = 0,
    RQ_INFLIGHT,
    RQ_DONE
} mdata__req_where_t;

typedef struct mdata__req mdata__req_t;

struct mdata__req {
    mdata__req_t *prev, *next; /* in the list of its state */
    uint32_t id;
    mdata__op_t op;
    mdata__req_where_t where;
    void *ud;
    char *key;       /* NUL-terminated copy (GET, DELETE, PUT) */
    uint8_t *arg;    /* V2 payload: key, or base64(key) SP base64(value) */
    size_t arg_len;
    size_t max_reply;    /* largest value accepted (per-key bound) */
    char reqid[9];   /* of the current attempt */
    uint32_t ids[MDATA__REQID_HISTORY]; /* its attempts' ids, oldest first;
                                         * each is in the engine's id table */
    unsigned nids;
    unsigned attempts;
    unsigned cut_short;  /* attempts a lost connection interrupted: they do
                          * not count against max_attempts */
    uint64_t deadline;   /* total */
    uint64_t retry_at;   /* queued: not before */
    uint64_t out_end;    /* in flight: output offset ending its request */
    int written;         /* in flight: fully handed to the transport */
    uint64_t attempt_deadline;
    int damage;          /* in flight: its reply came damaged (MDATA_E*):
                          * the attempt ends after a grace period */
    int status;          /* done */
    uint8_t *val;
    size_t val_len;
};

typedef struct req_list {
    mdata__req_t *head, *tail;
    size_t n;
} req_list_t;

/* Request id -> request, for every id of every pending request: an open
 * hash table with linear probing (req NULL: a free slot). */
typedef struct id_slot {
    uint32_t id;
    mdata__req_t *req;
} id_slot_t;

typedef struct id_table {
    id_slot_t *slots;
    size_t cap, n; /* cap: 0 or a power of two */
} id_table_t;

/* Frames whose body is longer than this are decoded as they arrive. */
#define MDATA__STREAM_MIN 65536

/* The large frame being received (stream.c). */
typedef struct mdata__stream {
    int on;              /* the current line is a frame taken over here */
    int dropping;        /* ... whose request failed already: skip it */
    int bad;             /* damage found (MDATA_ECRC, ...), reported at LF */
    size_t body;         /* offset of the body in the line */
    size_t len;          /* LEN: body bytes announced */
    size_t seen;         /* body bytes received */
    uint32_t crc_want, crc;
    char reqid[9];
    char code[MDATA_CODE_MAX + 1];
    uint8_t *val;        /* the value, decoded so far */
    size_t val_len, val_cap;
    char carry[12];      /* body bytes not decoded yet */
    size_t carry_len;
} mdata__stream_t;

struct mdata__engine {
    mdata__engine_config_t cfg;
    mdata__conn_state_t state;
    mdata__proto_t proto;
    int wait_status;
    uint64_t now;           /* time of the last pump */
    uint64_t scan_due;      /* no request deadline or attempt deadline
                             * falls before this: the pump skips its scans
                             * of the lists until then. Whoever sets an
                             * earlier one lowers it (mdata__due). */
    uint64_t hs_deadline;   /* probe or negotiate answer due */
    unsigned probes;        /* probes sent in this connection */
    unsigned probe_streak;  /* probes in a row that went unanswered */
    int neg_odd;            /* an unknown answer came while negotiating */
    int neg_repeated;       /* NEGOTIATE sent again after "invalid command" */
    unsigned neg_out;       /* NEGOTIATE lines of this round not answered */
    unsigned odd_rounds;    /* negotiations that got only such answers */
    /* What the host may still send for lines the engine gave up on, in
     * the order it comes (rx.c, late_answer): V1 answers carry no id, so
     * order is all that tells them apart. */
    unsigned ic_owed;       /* probe answers ("invalid command") that may
                             * still come, the current probe's included */
    unsigned fenced;        /* the first of those, owed before the answer
                             * below: none of them can be the barrier */
    unsigned neg_owed;      /* answers to NEGOTIATE lines given up on */
    int reply_owed;         /* the reply to a V1 request given up on */
    int reply_in_value;     /* ... its SUCCESS came: lines up to "." */
    uint64_t reply_heard;   /* ... when a line of its value last came */
    int v1_in_value;        /* the V1 reply arriving is past its SUCCESS */
    req_list_t queued, inflight, done;
    mdata__req_t *taken;    /* returned by next_done, freed next call */
    uint32_t next_id;
    id_table_t ids;         /* request ids of every attempt still pending */
    /* output */
    char *out;
    size_t out_start, out_end, out_cap;
    uint64_t out_base;      /* absolute offset of out[0] */
    /* input */
    mdata_decoder_t *dec;
    mdata_v1_reply_t *v1;
    char pfx[64];           /* first bytes of the line being received */
    size_t pfx_len;
    int pfx_fed;            /* pfx went to the decoder: the line path has it */
    int partial;            /* a line is partly received */
    uint8_t *scratch;       /* payload buffer for the next frame */
    size_t scratch_cap;
    mdata__stream_t st;     /* a large frame arriving */
    uint64_t counters[MDATA_COUNTER_COUNT_];
};

/* engine.c */
/* A request or attempt deadline was set at t: the pump must look by then. */
static inline void mdata__due(mdata__engine_t *e, uint64_t t)
{
    if (t < e->scan_due)
        e->scan_due = t;
}
void mdata__req_move(mdata__engine_t *e, mdata__req_t *r,
                     mdata__req_where_t where);
void mdata__req_finish(mdata__engine_t *e, mdata__req_t *r, int status,
                       uint8_t *val, size_t len);
int mdata__out_append(mdata__engine_t *e, const void *p, size_t n);
void mdata__start_probe(mdata__engine_t *e, uint64_t now);
void mdata__pump(mdata__engine_t *e, uint64_t now);
/* How long r's current attempt waits for its reply from now. */
uint64_t mdata__attempt_wait(const mdata__engine_t *e, const mdata__req_t *r,
                             uint64_t now);
/* An attempt's reply never came (counted as a timeout) ... */
void mdata__attempt_lost(mdata__engine_t *e, mdata__req_t *r, uint64_t now);
/* ... or came damaged: retry after backoff and a resync, or give up. */
void mdata__attempt_failed(mdata__engine_t *e, mdata__req_t *r, int status,
                           uint64_t now);
/* The V1 request in flight is given up on (r is finished or requeued by
 * the caller): its reply may still come, so it is owed, and a resync
 * probe is sent; the probe that answers is the one sent after it. */
void mdata__v1_given_up(mdata__engine_t *e, uint64_t now);

/* rx.c */
void mdata__rx_line(mdata__engine_t *e, const char *line, size_t len,
                    uint64_t now);
void mdata__rx_too_big(mdata__engine_t *e, uint64_t now);
/* A damaged frame naming reqid came in: its attempt waits only a grace
 * period more for a good copy. */
void mdata__rx_damaged(mdata__engine_t *e, const char *reqid, int status,
                       uint64_t now);

/* stream.c */
int mdata__stream_begin(mdata__engine_t *e, uint64_t now);
void mdata__stream_feed(mdata__engine_t *e, const char *p, size_t n, int eol,
                        uint64_t now);
void mdata__stream_reset(mdata__engine_t *e);

/* reqid.c */
/* A fresh id for r's next attempt, unique among every id of every pending
 * request, added to r's history (forgetting its oldest beyond
 * MDATA__REQID_HISTORY) and written to r->reqid. MDATA_ENOMEM. */
int mdata__new_reqid(mdata__engine_t *e, mdata__req_t *r);
/* The pending request one of whose attempts had this id text, or NULL. */
mdata__req_t *mdata__reqid_find(const mdata__engine_t *e, const char *reqid);
/* r is done: its ids no longer name it. */
void mdata__reqid_forget(mdata__engine_t *e, mdata__req_t *r);
void mdata__reqid_table_free(mdata__engine_t *e);

#endif
