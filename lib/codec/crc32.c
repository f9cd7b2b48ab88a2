/*
 * CRC-32 as zlib computes it, slice-by-16: sixteen input bytes per step
 * through sixteen 256-entry tables, so the loop is bound by table loads
 * rather than by one dependent shift per bit.
 */
#include <string.h>

#include "codec/codec.h"
#include "crc32_table.h"

static uint32_t load_le32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

uint32_t mdata_crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = ~crc;

    while (len >= 16) {
        uint32_t a = load_le32(p) ^ c;
        uint32_t b = load_le32(p + 4);
        uint32_t d = load_le32(p + 8);
        uint32_t e = load_le32(p + 12);

        c = crc32_table[15][a & 0xff] ^ crc32_table[14][(a >> 8) & 0xff] ^
            crc32_table[13][(a >> 16) & 0xff] ^ crc32_table[12][a >> 24] ^
            crc32_table[11][b & 0xff] ^ crc32_table[10][(b >> 8) & 0xff] ^
            crc32_table[9][(b >> 16) & 0xff] ^ crc32_table[8][b >> 24] ^
            crc32_table[7][d & 0xff] ^ crc32_table[6][(d >> 8) & 0xff] ^
            crc32_table[5][(d >> 16) & 0xff] ^ crc32_table[4][d >> 24] ^
            crc32_table[3][e & 0xff] ^ crc32_table[2][(e >> 8) & 0xff] ^
            crc32_table[1][(e >> 16) & 0xff] ^ crc32_table[0][e >> 24];
        p += 16;
        len -= 16;
    }
    while (len-- > 0)
        c = crc32_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}
