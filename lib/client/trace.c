/* The exchange trace; see trace.h. */
#include <string.h>

#include "client/trace.h"

/* One line to the callback, as text a terminal can show: what the host
 * sent must not drive the terminal of whoever reads the trace. */
static void emit(mdata__trace_t *t, int direction)
{
    mdata__trace_dir_t *d = &t->dir[direction - MDATA_TRACE_OUT];
    char text[MDATA_TRACE_TEXT_MAX + 1];
    size_t n = mdata_text_escape(d->head, d->shown, text, sizeof(text));

    t->cb(direction, text, n, d->total, t->ud);
    d->shown = d->total = 0;
}

void mdata__trace_bytes(mdata__trace_t *t, int direction, const char *p,
                        size_t n)
{
    mdata__trace_dir_t *d;

    if (t->cb == NULL)
        return;
    d = &t->dir[direction - MDATA_TRACE_OUT];
    while (n > 0) {
        const char *lf = memchr(p, '\n', n);
        size_t seg = lf != NULL ? (size_t)(lf - p) : n;
        size_t room = sizeof(d->head) - d->shown;
        size_t copy = seg < room ? seg : room;

        memcpy(d->head + d->shown, p, copy);
        d->shown += copy;
        d->total += seg;
        if (lf == NULL)
            return;
        emit(t, direction);
        p += seg + 1;
        n -= seg + 1;
    }
}

void mdata__trace_flush(mdata__trace_t *t)
{
    int dir;

    if (t->cb == NULL)
        return;
    for (dir = MDATA_TRACE_OUT; dir <= MDATA_TRACE_IN; dir++)
        if (t->dir[dir - MDATA_TRACE_OUT].total > 0)
            emit(t, dir);
}
