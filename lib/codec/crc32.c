/*
 * CRC-32 as zlib computes it. Two engines over one definition:
 *  - slice-by-16 tables: sixteen input bytes per step, portable;
 *  - on x86-64 with PCLMULQDQ, carry-less multiplication folds 64 bytes per
 *    step (four 128-bit lanes), then the folded 16 bytes and the tail go
 *    through the tables. Chosen at run time, for inputs long enough to pay.
 * Both work on the raw register (no initial or final inversion); the
 * public function adds zlib's inversions.
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

static uint32_t crc32_tables(uint32_t c, const uint8_t *p, size_t len)
{
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
    return c;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(MDATA_NO_CLMUL)
#include <immintrin.h>

#define MDATA_HAVE_CLMUL 1
/* Below this many bytes the tables win over the folding set-up. */
#define CLMUL_MIN_LEN 256

__attribute__((target("pclmul,sse2"))) static inline __m128i
fold(__m128i x, __m128i k, __m128i next)
{
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
                                       _mm_clmulepi64_si128(x, k, 0x11)),
                         next);
}

/* len >= 64. Folds all whole 16-byte blocks, then finishes with tables. */
__attribute__((target("pclmul,sse2"))) static uint32_t
crc32_clmul(uint32_t c, const uint8_t *p, size_t len)
{
    const __m128i k512 = _mm_set_epi64x((long long)crc32_fold512[1],
                                        (long long)crc32_fold512[0]);
    const __m128i k128 = _mm_set_epi64x((long long)crc32_fold128[1],
                                        (long long)crc32_fold128[0]);
    __m128i x0, x1, x2, x3;
    uint8_t folded[16];

    /* The register enters as the first four message bytes' complement. */
    x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p),
                       _mm_cvtsi32_si128((int)c));
    x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    p += 64;
    len -= 64;
    while (len >= 64) {
        x0 = fold(x0, k512, _mm_loadu_si128((const __m128i *)p));
        x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        len -= 64;
    }
    x0 = fold(fold(fold(x0, k128, x1), k128, x2), k128, x3);
    while (len >= 16) {
        x0 = fold(x0, k128, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        len -= 16;
    }
    _mm_storeu_si128((__m128i *)folded, x0);
    return crc32_tables(crc32_tables(0, folded, 16), p, len);
}
#endif

uint32_t mdata_crc32(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = ~crc;

#ifdef MDATA_HAVE_CLMUL
    if (len >= CLMUL_MIN_LEN && __builtin_cpu_supports("pclmul"))
        return ~crc32_clmul(c, p, len);
#endif
    return ~crc32_tables(c, p, len);
}
