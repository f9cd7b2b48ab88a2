#include <stdlib.h>
#include <string.h>

#include "engine-harness.h"

static uint32_t counter_random(void *ctx)
{
    eh_t *h = ctx;

    /* distinct, not sequential-looking */
    return (h->rnd++) * 2654435761u + 0x1234567u;
}

void eh_init(eh_t *h, void (*mod)(mdata__engine_config_t *cfg))
{
    mdata__engine_config_t cfg;

    memset(h, 0, sizeof(*h));
    mdata__engine_config_defaults(&cfg);
    cfg.random = counter_random;
    cfg.random_ctx = h;
    if (mod != NULL)
        mod(&cfg);
    h->now = 1000;
    CU_ASSERT_FATAL(mdata__engine_new(&cfg, &h->e) == 0);
}

void eh_fini(eh_t *h)
{
    int i;

    for (i = 0; i < h->ndone; i++)
        free(h->vals[i]);
    free(h->out);
    mdata__engine_free(h->e);
}

const char *eh_take(eh_t *h)
{
    size_t n;
    const char *p = mdata__engine_output(h->e, &n);

    h->out = realloc(h->out, h->out_len + n + 1);
    memcpy(h->out + h->out_len, p, n);
    h->out_len += n;
    h->out[h->out_len] = '\0';
    mdata__engine_output_done(h->e, n, h->now);
    return h->out;
}

int eh_out_is(eh_t *h, const char *s)
{
    int ok;

    eh_take(h);
    ok = strlen(s) == h->out_len && memcmp(h->out, s, h->out_len) == 0;
    h->out_len = 0;
    return ok;
}

void eh_feed_mem(eh_t *h, const void *p, size_t n)
{
    CU_ASSERT_FATAL(mdata__engine_feed(h->e, p, n, h->now) == 0);
    eh_collect(h);
}

void eh_feed(eh_t *h, const char *s)
{
    eh_feed_mem(h, s, strlen(s));
}

void eh_at(eh_t *h, uint64_t t)
{
    h->now = t;
    mdata__engine_tick(h->e, t);
    eh_collect(h);
}

void eh_collect(eh_t *h)
{
    mdata__done_t d;

    while (mdata__engine_next_done(h->e, &d) == 1) {
        CU_ASSERT_FATAL(h->ndone < 64);
        h->done[h->ndone] = d;
        h->vals[h->ndone] = malloc(d.value_len + 1);
        memcpy(h->vals[h->ndone], d.value, d.value_len);
        h->done[h->ndone].value = h->vals[h->ndone];
        h->ndone++;
    }
}

void eh_probe(eh_t *h)
{
    mdata__engine_connected(h->e, h->now);
    CU_ASSERT_FATAL(eh_out_is(h, "\n"));
    eh_feed(h, "invalid command\n");
    CU_ASSERT_FATAL(eh_out_is(h, "NEGOTIATE V2\n"));
}

void eh_handshake_v2(eh_t *h)
{
    mdata__engine_connected(h->e, h->now);
    CU_ASSERT_FATAL(eh_out_is(h, "\n"));
    eh_feed(h, "invalid command\n");
    CU_ASSERT_FATAL(eh_out_is(h, "NEGOTIATE V2\n") ||
                    strncmp(h->out, "NEGOTIATE V2\n", 13) == 0);
    eh_feed(h, "V2_OK\n");
    CU_ASSERT_FATAL(mdata__engine_protocol(h->e) == MDATA__PROTO_V2);
}

int eh_requests(eh_t *h, eh_req_t *reqs, int max)
{
    char *p, *lf;
    int n = 0;

    eh_take(h);
    p = h->out;
    while ((lf = memchr(p, '\n', (size_t)(h->out + h->out_len - p))) != NULL) {
        size_t len = (size_t)(lf - p);

        if (len >= 3 && memcmp(p, "V2 ", 3) == 0 && n < max) {
            uint8_t *buf = malloc(mdata_base64_decoded_maxlen(len) + 1);
            mdata_frame_t f;

            CU_ASSERT_FATAL(mdata_frame_parse(p, len, buf, &f, NULL) == 0);
            strcpy(reqs[n].reqid, f.reqid);
            strcpy(reqs[n].code, f.code);
            reqs[n].payload = buf;
            reqs[n].payload_len = f.payload_len;
            n++;
        }
        p = lf + 1;
    }
    h->out_len = 0;
    return n;
}

void eh_req_free(eh_req_t *reqs, int n)
{
    int i;

    for (i = 0; i < n; i++)
        free(reqs[i].payload);
}

void eh_reply(eh_t *h, const char *reqid, const char *code, const void *p,
              size_t n)
{
    size_t cap = mdata_frame_encoded_size(strlen(reqid), strlen(code), n);
    char *buf = malloc(cap);
    size_t len;

    CU_ASSERT_FATAL(mdata_frame_encode(reqid, code, p, n, buf, cap, &len) ==
                    0);
    eh_feed_mem(h, buf, len);
    free(buf);
}

uint32_t eh_get(eh_t *h, const char *key)
{
    uint32_t id = 0;

    CU_ASSERT_FATAL(mdata__engine_submit(h->e, MDATA__OP_GET, key, NULL, 0,
                                         NULL, h->now, &id, NULL) == 0);
    return id;
}
