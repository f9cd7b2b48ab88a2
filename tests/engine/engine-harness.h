/* A fake host around one engine: fake clock, scripted replies. */
#ifndef ENGINE_HARNESS_H
#define ENGINE_HARNESS_H

#include <stdint.h>

#include "engine/engine.h"
#include "testutil.h"

typedef struct eh {
    mdata__engine_t *e;
    uint64_t now;
    uint32_t rnd;
    /* output taken so far and not yet examined */
    char *out;
    size_t out_len;
    /* last completion */
    int ndone;
    mdata__done_t done[64];
    uint8_t *vals[64];
} eh_t;

/* New engine with defaults changed by mod (may be NULL). */
void eh_init(eh_t *h, void (*mod)(mdata__engine_config_t *cfg));
void eh_fini(eh_t *h);
/* Take all output (marks it written at h->now); returns h->out. */
const char *eh_take(eh_t *h);
/* Is the taken output exactly s? Clears it. */
int eh_out_is(eh_t *h, const char *s);
/* Feed text. */
void eh_feed(eh_t *h, const char *s);
void eh_feed_mem(eh_t *h, const void *p, size_t n);
/* Advance the clock to t and tick. */
void eh_at(eh_t *h, uint64_t t);
/* Collect completions into h->done. */
void eh_collect(eh_t *h);
/* Connect and answer the line probe: NEGOTIATE V2 is out (and taken),
 * the host's answer to it up to the test. */
void eh_probe(eh_t *h);
/* Connect and complete the V2 handshake. */
void eh_handshake_v2(eh_t *h);
/*
 * Take output and parse the V2 request frames in it (up to max): reqids,
 * codes and decoded payloads (malloc'd, caller frees). Returns the count.
 */
typedef struct eh_req {
    char reqid[17];
    char code[32];
    uint8_t *payload;
    size_t payload_len;
} eh_req_t;
int eh_requests(eh_t *h, eh_req_t *reqs, int max);
void eh_req_free(eh_req_t *reqs, int n);
/* Feed a V2 reply frame. */
void eh_reply(eh_t *h, const char *reqid, const char *code, const void *p,
              size_t n);
/* Submit a GET; returns the id. */
uint32_t eh_get(eh_t *h, const char *key);

#endif
