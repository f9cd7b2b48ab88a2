/* The error table turned into names and messages; error detail filling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

const char *mdata_strerror(int code)
{
    switch (code) {
    case MDATA_OK:
        return "success";
#define XX(name, val, msg)                                                    \
    case MDATA_##name:                                                        \
        return msg;
        MDATA_ERRNO_MAP(XX)
#undef XX
    default:
        return "unknown error";
    }
}

const char *mdata_err_name(int code)
{
    switch (code) {
    case MDATA_OK:
        return "MDATA_OK";
#define XX(name, val, msg)                                                    \
    case MDATA_##name:                                                        \
        return "MDATA_" #name;
        MDATA_ERRNO_MAP(XX)
#undef XX
    default:
        return "MDATA_UNKNOWN";
    }
}

int mdata__error(mdata_error_t *err, int code, int sys_errno, size_t position,
                 const char *fmt, ...)
{
    if (err != NULL) {
        char raw[sizeof(err->text)];
        va_list ap;

        err->code = code;
        err->sys_errno = sys_errno;
        err->position = position;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        /* messages quote the host's words: keep its controls harmless */
        mdata_text_escape(raw, strlen(raw), err->text, sizeof(err->text));
    }
    return code;
}

void mdata_free(void *ptr)
{
    free(ptr);
}
