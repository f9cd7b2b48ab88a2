/* buf.h: a growable text buffer for the renderers. Allocation failure is
 * sticky: later appends do nothing and nc_buf_failed() tells. */
#ifndef NC_BUF_H
#define NC_BUF_H

#include <stddef.h>

#if defined(__GNUC__)
#define NC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NC_PRINTF(a, b)
#endif

typedef struct nc_buf {
    char *data; /* NUL-terminated while not failed */
    size_t len;
    size_t cap;
    int failed;
} nc_buf_t;

void nc_buf_init(nc_buf_t *b);
void nc_buf_free(nc_buf_t *b);
void nc_buf_add(nc_buf_t *b, const char *text, size_t len);
void nc_buf_puts(nc_buf_t *b, const char *text);
void nc_buf_printf(nc_buf_t *b, const char *fmt, ...) NC_PRINTF(2, 3);
int nc_buf_failed(const nc_buf_t *b);
/* Hand the text over (caller frees with free()); the buffer is emptied.
 * NULL when an append failed. */
char *nc_buf_take(nc_buf_t *b, size_t *len);

#endif
