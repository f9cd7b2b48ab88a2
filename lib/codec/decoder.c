/*
 * Incremental line decoder. Bytes are copied in; complete lines come out.
 * Each byte is scanned for LF once on the way in and once on the way out,
 * and moved at most once by compaction, so work is linear in the input
 * however it is chunked. An overlong line is never buffered whole: its
 * bytes are dropped as they arrive and a marker keeps its place in the
 * order of lines, so the caller learns of it exactly where it stood.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

struct mdata_decoder {
    size_t max_line;
    char *buf;
    size_t cap;
    size_t start;      /* first byte not yet handed out */
    size_t line_start; /* first byte of the incomplete last line */
    size_t end;        /* one past the last buffered byte */
    int skipping;      /* dropping an overlong line up to its LF */
    size_t *marks;     /* offsets where overlong lines stood, ascending */
    size_t n_marks, head_mark, cap_marks;
    uint8_t *payload; /* decoded payload of the last frame */
    size_t payload_cap;
};

int mdata_decoder_new(size_t max_line, mdata_decoder_t **out)
{
    mdata_decoder_t *dec;

    if (out == NULL || max_line == 0)
        return MDATA_EINVAL;
    dec = calloc(1, sizeof(*dec));
    if (dec == NULL)
        return MDATA_ENOMEM;
    dec->max_line = max_line;
    *out = dec;
    return 0;
}

void mdata_decoder_free(mdata_decoder_t *dec)
{
    if (dec == NULL)
        return;
    free(dec->buf);
    free(dec->marks);
    free(dec->payload);
    free(dec);
}

void mdata_decoder_reset(mdata_decoder_t *dec)
{
    dec->start = dec->line_start = dec->end = 0;
    dec->skipping = 0;
    dec->n_marks = dec->head_mark = 0;
}

size_t mdata_decoder_pending(const mdata_decoder_t *dec)
{
    return dec->end - dec->line_start;
}

/* Move unread bytes to the front; called at most once per feed. */
static void compact(mdata_decoder_t *dec)
{
    size_t shift = dec->start, i;

    if (shift == 0)
        return;
    memmove(dec->buf, dec->buf + shift, dec->end - shift);
    dec->end -= shift;
    dec->line_start -= shift;
    dec->start = 0;
    /* Drop consumed marks and shift the rest. */
    if (dec->head_mark > 0)
        memmove(dec->marks, dec->marks + dec->head_mark,
                (dec->n_marks - dec->head_mark) * sizeof(*dec->marks));
    dec->n_marks -= dec->head_mark;
    dec->head_mark = 0;
    for (i = 0; i < dec->n_marks; i++)
        dec->marks[i] -= shift;
}

static int reserve(mdata_decoder_t *dec, size_t extra)
{
    size_t need = dec->end + extra, ncap;
    char *nbuf;

    if (need <= dec->cap)
        return 0;
    ncap = dec->cap ? dec->cap : 256;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    nbuf = realloc(dec->buf, ncap);
    if (nbuf == NULL)
        return MDATA_ENOMEM;
    dec->buf = nbuf;
    dec->cap = ncap;
    return 0;
}

static int add_mark(mdata_decoder_t *dec, size_t at)
{
    if (dec->n_marks == dec->cap_marks) {
        size_t ncap = dec->cap_marks ? dec->cap_marks * 2 : 8;
        size_t *n = realloc(dec->marks, ncap * sizeof(*n));

        if (n == NULL)
            return MDATA_ENOMEM;
        dec->marks = n;
        dec->cap_marks = ncap;
    }
    dec->marks[dec->n_marks++] = at;
    return 0;
}

int mdata_decoder_feed(mdata_decoder_t *dec, const void *data, size_t len)
{
    const char *p = data;

    if (dec == NULL || (data == NULL && len > 0))
        return MDATA_EINVAL;
    compact(dec);
    while (len > 0) {
        const char *lf = memchr(p, '\n', len);
        size_t seg = lf ? (size_t)(lf - p) : len; /* this line's bytes */
        size_t take = lf ? seg + 1 : seg;
        int rc;

        if (dec->skipping) {
            /* Still inside an overlong line: drop through its LF. */
            if (lf != NULL)
                dec->skipping = 0;
        } else if (dec->end - dec->line_start + seg > dec->max_line) {
            /* The line grows past the limit: forget it, keep its place. */
            dec->end = dec->line_start;
            rc = add_mark(dec, dec->line_start);
            if (rc < 0)
                return rc;
            dec->skipping = lf == NULL;
        } else {
            rc = reserve(dec, take);
            if (rc < 0)
                return rc;
            memcpy(dec->buf + dec->end, p, take);
            dec->end += take;
            if (lf != NULL)
                dec->line_start = dec->end;
        }
        p += take;
        len -= take;
    }
    return 0;
}

int mdata_decoder_next_line(mdata_decoder_t *dec, const char **line,
                            size_t *len)
{
    const char *lf;

    if (dec == NULL || line == NULL || len == NULL)
        return MDATA_EINVAL;
    if (dec->head_mark < dec->n_marks &&
        dec->marks[dec->head_mark] == dec->start) {
        dec->head_mark++;
        return MDATA_ETOOBIG;
    }
    if (dec->start == dec->line_start)
        return 0;
    /* Everything before line_start is complete lines: an LF is there. */
    lf = memchr(dec->buf + dec->start, '\n', dec->line_start - dec->start);
    *line = dec->buf + dec->start;
    *len = (size_t)(lf - *line);
    dec->start += *len + 1;
    return 1;
}

int mdata_decoder_next_frame(mdata_decoder_t *dec, mdata_frame_t *frame,
                             mdata_error_t *err)
{
    const char *line;
    size_t len, need;
    int rc;

    if (frame == NULL)
        return MDATA_EINVAL;
    rc = mdata_decoder_next_line(dec, &line, &len);
    if (rc == MDATA_ETOOBIG)
        return mdata__error(err, rc, 0, 0,
                            "line longer than the maximum of %zu bytes",
                            dec->max_line);
    if (rc <= 0)
        return rc;
    need = mdata_base64_decoded_maxlen(len) + 1;
    if (need > dec->payload_cap) {
        uint8_t *n = realloc(dec->payload, need);

        if (n == NULL)
            return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
        dec->payload = n;
        dec->payload_cap = need;
    }
    rc = mdata_frame_parse(line, len, dec->payload, frame, err);
    return rc < 0 ? rc : 1;
}
