/*
 * Request ids: 8 lower-case hex digits of fresh randomness per attempt,
 * never equal to any id of any attempt of a request still pending (a late
 * reply to an earlier attempt must find its own request and no other).
 * Randomness comes from the config's source (the client passes the OS's,
 * a test its own). The ids in use are kept in a hash table, so matching a
 * reply costs the same with 1 or 4096 pending.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "engine/engine_int.h"

/* ---- the id table ---- */

static size_t slot_of(const id_table_t *t, uint32_t id)
{
    /* Ids are random, but a test's source may not be: mix every bit into
     * the low ones (an xor-shift-multiply finaliser). */
    id ^= id >> 16;
    id *= 0x7feb352du;
    id ^= id >> 15;
    return (size_t)(id & (uint32_t)(t->cap - 1));
}

static mdata__req_t *table_find(const id_table_t *t, uint32_t id)
{
    size_t i;

    if (t->cap == 0)
        return NULL;
    for (i = slot_of(t, id); t->slots[i].req != NULL;
         i = (i + 1) & (t->cap - 1))
        if (t->slots[i].id == id)
            return t->slots[i].req;
    return NULL;
}

static void table_put(id_table_t *t, uint32_t id, mdata__req_t *r)
{
    size_t i = slot_of(t, id);

    while (t->slots[i].req != NULL)
        i = (i + 1) & (t->cap - 1);
    t->slots[i].id = id;
    t->slots[i].req = r;
    t->n++;
    assert(t->n * 2 <= t->cap); /* at most half full: probe runs stay short */
}

/* Room for one more id, the table at most half full. */
static int table_reserve(id_table_t *t)
{
    id_table_t bigger;
    size_t i;

    if ((t->n + 1) * 2 <= t->cap)
        return 0;
    bigger.cap = t->cap ? t->cap * 2 : 32;
    bigger.n = 0;
    bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
    if (bigger.slots == NULL)
        return MDATA_ENOMEM;
    for (i = 0; i < t->cap; i++)
        if (t->slots[i].req != NULL)
            table_put(&bigger, t->slots[i].id, t->slots[i].req);
    free(t->slots);
    *t = bigger;
    return 0;
}

/* Remove id; the entries after it in its probe run move up (no
 * tombstones, so lookups stay short however many ids come and go). */
static void table_remove(id_table_t *t, uint32_t id)
{
    size_t mask = t->cap - 1, i, j;

    if (t->cap == 0)
        return;
    for (i = slot_of(t, id); t->slots[i].req != NULL; i = (i + 1) & mask)
        if (t->slots[i].id == id)
            break;
    if (t->slots[i].req == NULL)
        return;
    t->slots[i].req = NULL;
    t->n--;
    for (j = (i + 1) & mask; t->slots[j].req != NULL; j = (j + 1) & mask) {
        size_t home = slot_of(t, t->slots[j].id);

        /* j's entry may fill the hole at i unless its home lies
         * cyclically in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            t->slots[j].req = NULL;
            i = j;
        }
    }
}

/* The id an 8-hex-digit request id text stands for; 0 if not such text. */
static int reqid_value(const char *text, uint32_t *id)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        int c = (unsigned char)text[i];

        if (!mdata__is_lower_hex(c))
            return 0;
        v = v << 4 | (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (text[8] != '\0')
        return 0;
    *id = v;
    return 1;
}

mdata__req_t *mdata__reqid_find(const mdata__engine_t *e, const char *reqid)
{
    uint32_t id;

    return reqid_value(reqid, &id) ? table_find(&e->ids, id) : NULL;
}

int mdata__new_reqid(mdata__engine_t *e, mdata__req_t *r)
{
    uint32_t id;

    if (table_reserve(&e->ids) < 0)
        return MDATA_ENOMEM;
    do
        id = e->cfg.random(e->cfg.random_ctx);
    while (table_find(&e->ids, id) != NULL);
    if (r->nids == MDATA__REQID_HISTORY) {
        table_remove(&e->ids, r->ids[0]);
        memmove(r->ids, r->ids + 1, sizeof(r->ids) - sizeof(r->ids[0]));
        r->nids--;
    }
    assert(r->nids < MDATA__REQID_HISTORY);
    r->ids[r->nids++] = id;
    table_put(&e->ids, id, r);
    mdata__hex8(id, r->reqid);
    r->reqid[8] = '\0';
    return 0;
}

void mdata__reqid_forget(mdata__engine_t *e, mdata__req_t *r)
{
    unsigned i;

    for (i = 0; i < r->nids; i++)
        table_remove(&e->ids, r->ids[i]);
    r->nids = 0;
}

void mdata__reqid_table_free(mdata__engine_t *e)
{
    free(e->ids.slots);
    e->ids.slots = NULL;
    e->ids.cap = e->ids.n = 0;
}
