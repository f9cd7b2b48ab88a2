/*
 * V1 replies: "SUCCESS" then dot-stuffed value lines up to a lone ".", or a
 * single NOTFOUND / "invalid command" / other (failure) line. The value is
 * the data lines joined with LF, one leading '.' removed from each, which
 * inverts the host's stuffing exactly, leading empty lines included.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

enum { V1_HEADER, V1_DATA, V1_DONE };

struct mdata_v1_reply {
    size_t max_value;
    int state;
    int status;
    size_t nlines;
    uint8_t *val;
    size_t len, cap;
};

int mdata_v1_reply_new(size_t max_value, mdata_v1_reply_t **out)
{
    mdata_v1_reply_t *r;

    if (out == NULL)
        return MDATA_EINVAL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return MDATA_ENOMEM;
    r->max_value = max_value;
    *out = r;
    return 0;
}

void mdata_v1_reply_free(mdata_v1_reply_t *r)
{
    if (r == NULL)
        return;
    free(r->val);
    free(r);
}

void mdata_v1_reply_reset(mdata_v1_reply_t *r)
{
    r->state = V1_HEADER;
    r->status = 0;
    r->nlines = 0;
    r->len = 0;
}

static int append(mdata_v1_reply_t *r, const void *p, size_t n)
{
    if (n > r->max_value - r->len)
        return MDATA_ETOOBIG;
    if (r->len + n > r->cap) {
        size_t ncap = r->cap ? r->cap : 64;
        uint8_t *nv;

        while (ncap < r->len + n)
            ncap *= 2;
        nv = realloc(r->val, ncap);
        if (nv == NULL)
            return MDATA_ENOMEM;
        r->val = nv;
        r->cap = ncap;
    }
    if (n > 0)
        memcpy(r->val + r->len, p, n);
    r->len += n;
    return 0;
}

static int line_is(const char *line, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(line, word, len) == 0;
}

static int finish(mdata_v1_reply_t *r, int status)
{
    r->state = V1_DONE;
    r->status = status;
    return status;
}

int mdata_v1_reply_feed_line(mdata_v1_reply_t *r, const char *line,
                             size_t len)
{
    int rc;

    if (r == NULL || (line == NULL && len > 0) || r->state == V1_DONE)
        return MDATA_EINVAL;
    if (r->state == V1_HEADER) {
        r->len = 0;
        if (line_is(line, len, "SUCCESS")) {
            r->state = V1_DATA;
            return 0;
        }
        if (line_is(line, len, "NOTFOUND"))
            return finish(r, MDATA_V1_NOTFOUND);
        if (line_is(line, len, "invalid command"))
            return finish(r, MDATA_V1_INVALID_COMMAND);
        rc = append(r, line, len);
        if (rc < 0)
            return rc;
        return finish(r, MDATA_V1_FAILURE);
    }
    if (line_is(line, len, "."))
        return finish(r, MDATA_V1_SUCCESS);
    if (r->nlines > 0 && (rc = append(r, "\n", 1)) < 0)
        return rc;
    if (len > 0 && line[0] == '.') {
        line++;
        len--;
    }
    if ((rc = append(r, line, len)) < 0)
        return rc;
    r->nlines++;
    return 0;
}

const uint8_t *mdata_v1_reply_value(const mdata_v1_reply_t *r, size_t *len)
{
    static const uint8_t empty[1];

    *len = r->len;
    return r->val != NULL ? r->val : empty;
}

size_t mdata_v1_encode_success(const void *value, size_t len, char *dst,
                               size_t cap)
{
    const char *v = value;
    size_t need = 0, i;
    int at_line_start = 1;

#define PUT(c)                                                                \
    do {                                                                      \
        if (need < cap)                                                       \
            dst[need] = (c);                                                  \
        need++;                                                               \
    } while (0)
    for (i = 0; i < 8; i++)
        PUT("SUCCESS\n"[i]);
    for (i = 0; i < len; i++) {
        if (at_line_start && v[i] == '.')
            PUT('.');
        PUT(v[i]);
        at_line_start = v[i] == '\n';
    }
    PUT('\n');
    PUT('.');
    PUT('\n');
#undef PUT
    return need;
}
