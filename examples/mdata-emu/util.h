/* util.h: allocation that cannot fail, and logging, for mdata-emu. */
#ifndef EMU_UTIL_H
#define EMU_UTIL_H

#include <stddef.h>

/* Allocation failure ends the program: an emulator has no better move. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Log levels: 0 errors only, 1 warnings (default), 2 every request. */
extern int emu_verbosity;

#if defined(__GNUC__)
#define EMU_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EMU_PRINTF(a, b)
#endif

/* "mdata-emu: ..." on stderr, when level <= emu_verbosity. */
void emu_log(int level, const char *fmt, ...) EMU_PRINTF(2, 3);

#endif
