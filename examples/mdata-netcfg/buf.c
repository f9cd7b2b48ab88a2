/* buf.c: growable text buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nc_buf_init(nc_buf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void nc_buf_free(nc_buf_t *b)
{
    free(b->data);
    nc_buf_init(b);
}

static int reserve(nc_buf_t *b, size_t extra)
{
    size_t want;
    char *p;

    if (b->failed)
        return -1;
    if (extra > ((size_t)-1) / 2 - b->len) {
        b->failed = 1;
        return -1;
    }
    want = b->len + extra + 1;
    if (want <= b->cap)
        return 0;
    if (want < 256)
        want = 256;
    if (want < b->cap * 2)
        want = b->cap * 2;
    p = realloc(b->data, want);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = want;
    return 0;
}

void nc_buf_add(nc_buf_t *b, const char *text, size_t len)
{
    if (reserve(b, len) != 0)
        return;
    if (len > 0)
        memcpy(b->data + b->len, text, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void nc_buf_puts(nc_buf_t *b, const char *text)
{
    nc_buf_add(b, text, strlen(text));
}

void nc_buf_printf(nc_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

int nc_buf_failed(const nc_buf_t *b)
{
    return b->failed;
}

char *nc_buf_take(nc_buf_t *b, size_t *len)
{
    char *p;

    if (b->failed) {
        nc_buf_free(b);
        return NULL;
    }
    if (b->data == NULL) {
        nc_buf_add(b, "", 0);
        if (b->failed) {
            nc_buf_free(b);
            return NULL;
        }
    }
    p = b->data;
    if (len != NULL)
        *len = b->len;
    nc_buf_init(b);
    return p;
}
