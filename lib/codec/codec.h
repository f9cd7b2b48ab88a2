/* Internal declarations of the codec layer. Public API in mdata.h. */
#ifndef MDATA_CODEC_H
#define MDATA_CODEC_H

#include "common/common.h"

/* Is c a lower-case hex digit? */
static inline int mdata__is_lower_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Format v as exactly 8 lower-case hex digits (no NUL). */
void mdata__hex8(uint32_t v, char out[8]);

#endif
