/*
 * faults.h: fault injection. A --fault SPEC is a comma-separated list of
 * NAME[=N] items (see doc/mdata-emu.1). Counters are per connection, so
 * each client (or each pty / qemu session) sees the same pattern.
 */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include "jsval.h"

typedef struct fault_cfg {
    unsigned drop;          /* drop=N: every Nth valid V2 request unanswered */
    unsigned corrupt;       /* corrupt=N: flip a bit in every Nth V2 reply */
    unsigned junk;          /* junk=N: a junk line before every Nth V2 reply */
    unsigned wrongid;       /* wrongid=N: a frame with another id before it */
    unsigned hostile;       /* hostile=N: every Nth V2 reply a FAILURE whose
                               message holds terminal control sequences */
    unsigned delay_ms;      /* delay=MS: every reply MS ms late */
    unsigned slow_ms;       /* slow=MS: every V2 reply MS ms late, the
                               handshake answered at once, reading on */
    unsigned v1_slow_ms;    /* v1-slow=MS: from the first V1 GET or KEYS
                               on, V1 lines answered one after another,
                               MS ms each */
    unsigned damaged;       /* damaged=N: before every Nth V2 reply, a copy
                               of it with a byte lost (bad length) */
    int upper_crc;          /* upper-crc: V2 CRCs in upper-case hex */
    int bytewise;           /* bytewise[=MS]: replies one byte per write */
    unsigned bytewise_gap;  /*   ... MS apart (default 1) */
    int v1only;             /* v1only: an agent without V2 */
    unsigned ignore_probes; /* ignore-probes=N: first N probes unanswered */
    unsigned hangup;        /* hangup=N: hang up after the Nth V2 reply */
    unsigned gone;          /* gone=N: the host end goes away for good
                             * after the Nth V2 reply */
    int crlf;               /* crlf: CR LF line ends */
} fault_cfg_t;

typedef struct fault_state {
    unsigned long v2_requests, v2_replies, probes;
    int v1_slow_on;       /* v1-slow: a V1 request came */
    uint64_t v1_busy_until; /* ... the last V1 answer goes out then */
} fault_state_t;

/* Add the items of one SPEC to cfg; -1 with err filled on a bad SPEC. */
int fault_parse(fault_cfg_t *cfg, const char *spec, char *err, size_t errlen);

/* Count a valid V2 request; 1 when it is to be dropped. */
int fault_drop_request(const fault_cfg_t *cfg, fault_state_t *st);
/* Count a probe (a line with no command); 1 when it is to be ignored. */
int fault_ignore_probe(const fault_cfg_t *cfg, fault_state_t *st);

/* How long a reply waits before it is written (delay, and slow for V2). */
unsigned fault_reply_delay(const fault_cfg_t *cfg, int v2);
/* v1-slow: how much longer the answer to this V1 line (read at now, in
 * ms) waits, so that such answers go out one after another, in order. */
unsigned fault_v1_line_delay(const fault_cfg_t *cfg, fault_state_t *st,
                             const char *line, size_t len, uint64_t now);

/* What is to happen once a reply is out (fault_shape_reply's *hangup). */
enum { FAULT_KEEP = 0, FAULT_HANGUP = 1, FAULT_GONE = 2 };

/*
 * Turn one reply into the bytes to write: junk, wrong-id and damaged lines
 * before a V2 reply, a flipped bit in it, upper-case CRCs, CR LF line
 * ends. *hangup is set to FAULT_HANGUP when the connection is to be hung
 * up once these bytes are out, FAULT_GONE when the host end is to go away
 * for good.
 */
void fault_shape_reply(const fault_cfg_t *cfg, fault_state_t *st,
                       const char *bytes, size_t len, int v2,
                       const char *reqid, buf_t *wire, int *hangup);

#endif
