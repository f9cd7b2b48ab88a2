/* Internal helpers shared by every layer. Not installed. */
#ifndef MDATA_COMMON_H
#define MDATA_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#include "mdata.h"

#if defined(__GNUC__)
#define MDATA__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MDATA__PRINTF(fmt, args)
#endif

/*
 * Fill err (when not NULL) with code, errno, position and a formatted text,
 * and return code, so a failure path is one line:
 *     return mdata__error(err, MDATA_EINVAL, 0, 0, "key is empty");
 */
int mdata__error(mdata_error_t *err, int code, int sys_errno, size_t position,
                 const char *fmt, ...) MDATA__PRINTF(5, 6);

#define MDATA__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The value of a hex digit of either case, or -1. */
static inline int mdata__hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
