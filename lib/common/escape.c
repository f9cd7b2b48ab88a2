/*
 * Text from the host made safe for a terminal: control characters become
 * visible escapes so a host cannot move the cursor, retitle the window or
 * reprogram the user's terminal through a message we print.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"

/*
 * Length of the valid UTF-8 sequence at p (2..4), or 0 when the bytes there
 * are not one (overlong forms, surrogates and code points past U+10FFFF
 * included); *cp gets the code point.
 */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len, i;
    uint32_t c, min;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2, c = p[0] & 0x1f, min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3, c = p[0] & 0x0f, min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4, c = p[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static size_t hex_escape(unsigned char c, char esc[4])
{
    static const char hex[] = "0123456789abcdef";

    esc[0] = '\\';
    esc[1] = 'x';
    esc[2] = hex[c >> 4];
    esc[3] = hex[c & 15];
    return 4;
}

size_t mdata_text_escape(const void *text, size_t len, char *out, size_t cap)
{
    const unsigned char *p = text;
    size_t i = 0, need = 0, written = 0, seq, n;

    while (i < len) {
        char esc[8];
        const char *put = (const char *)p + i;
        uint32_t cp = 0;

        if (p[i] < 0x80) {
            n = seq = 1;
            if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f)
                put = esc, n = hex_escape(p[i], esc);
        } else if ((seq = utf8_seq(p + i, len - i, &cp)) != 0) {
            n = seq;
            if (cp <= 0x9f) /* C1 controls, shown as code points */
                put = esc, n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x",
                                                (unsigned)cp);
        } else {
            /* a stray byte: 0x80-0x9f would be C1 to an 8-bit terminal */
            put = esc, n = hex_escape(p[i], esc);
            seq = 1;
        }
        /* whole units only: never half an escape or half a character */
        if (written == need && need + n < cap) {
            memcpy(out + need, put, n);
            written += n;
        }
        need += n;
        i += seq;
    }
    if (cap > 0)
        out[written] = '\0';
    return need;
}
