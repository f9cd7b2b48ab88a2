/*
 * The exchange trace: the bytes a client writes and reads, cut into lines
 * and handed to the user's mdata_trace_cb. Long lines (a 16 MiB value) are
 * shown by their first MDATA_TRACE_SHOWN bytes and their full length, so a
 * trace costs no more memory than that.
 */
#ifndef MDATA_CLIENT_TRACE_H
#define MDATA_CLIENT_TRACE_H

#include "mdata.h"

typedef struct mdata__trace_dir {
    char head[MDATA_TRACE_SHOWN]; /* first bytes of the current line */
    size_t shown;
    size_t total; /* bytes of the current line so far */
} mdata__trace_dir_t;

typedef struct mdata__trace {
    mdata_trace_cb cb; /* NULL: tracing off, nothing done */
    void *ud;
    mdata__trace_dir_t dir[2]; /* MDATA_TRACE_OUT, MDATA_TRACE_IN */
} mdata__trace_t;

/* Bytes went out (MDATA_TRACE_OUT) or came in (MDATA_TRACE_IN). */
void mdata__trace_bytes(mdata__trace_t *t, int direction, const char *p,
                        size_t n);
/* The connection ended: a partial line in either direction is reported
 * as it is, then forgotten. */
void mdata__trace_flush(mdata__trace_t *t);

#endif
