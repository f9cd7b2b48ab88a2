/*
 * Base64 (RFC 4648, standard alphabet, padded). Encoding is table-driven,
 * three bytes to four characters. Decoding is strict by default (the client
 * must notice corruption) and has the host's lenient mode for the emulator.
 */
#include <string.h>

#include "codec/codec.h"

static const char b64_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Character to 6-bit value; 0x80 marks characters outside the alphabet. */
#define BAD 0x80
static const uint8_t b64_value[256] = {
#define R8 BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD
    R8, R8, R8, R8, R8,                                  /* 0x00-0x27 */
    BAD, BAD, BAD, 62, BAD, BAD, BAD, 63,                /* ( ) * + , - . / */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61,              /* 0-9 */
    BAD, BAD, BAD, BAD, BAD, BAD, BAD,                   /* : ; < = > ? @ */
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,            /* A-M */
    13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,  /* N-Z */
    BAD, BAD, BAD, BAD, BAD, BAD,                        /* [ \ ] ^ _ ` */
    26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,  /* a-m */
    39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,  /* n-z */
    BAD, BAD, BAD, BAD, BAD,                             /* { | } ~ DEL */
    R8, R8, R8, R8, R8, R8, R8, R8,                      /* 0x80-0xbf */
    R8, R8, R8, R8, R8, R8, R8, R8,                      /* 0xc0-0xff */
#undef R8
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Decoding four characters at a time on little-endian machines: one table
 * per position maps a character to its six bits already placed in the
 * three output bytes of a 32-bit word (stored with one 4-byte write), or
 * to B64_BADW for a character outside the alphabet. Built at compile time
 * from B64_V, so there is no run-time set-up and no mutable state.
 */
#define B64_FAST 1
#define B64_V(c)                                                              \
    ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                   \
     : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                              \
     : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                              \
     : (c) == '+'               ? 62                                          \
     : (c) == '/'               ? 63                                          \
                                : -1)
#define B64_BADW 0xff000000u
#define B64_W0(v) ((uint32_t)(v) << 2)
#define B64_W1(v) ((uint32_t)(v) >> 4 | ((uint32_t)(v)&0xf) << 12)
#define B64_W2(v) (((uint32_t)(v) >> 2) << 8 | ((uint32_t)(v)&3) << 22)
#define B64_W3(v) ((uint32_t)(v) << 16)
#define B64_E(W, c) (B64_V(c) < 0 ? B64_BADW : W(B64_V(c)))
#define B64_E4(W, c)                                                          \
    B64_E(W, (c)), B64_E(W, (c) + 1), B64_E(W, (c) + 2), B64_E(W, (c) + 3)
#define B64_E16(W, c)                                                         \
    B64_E4(W, (c)), B64_E4(W, (c) + 4), B64_E4(W, (c) + 8),                   \
        B64_E4(W, (c) + 12)
#define B64_E64(W, c)                                                         \
    B64_E16(W, (c)), B64_E16(W, (c) + 16), B64_E16(W, (c) + 32),              \
        B64_E16(W, (c) + 48)
#define B64_E256(W)                                                           \
    B64_E64(W, 0), B64_E64(W, 64), B64_E64(W, 128), B64_E64(W, 192)
static const uint32_t b64_w0[256] = {B64_E256(B64_W0)};
static const uint32_t b64_w1[256] = {B64_E256(B64_W1)};
static const uint32_t b64_w2[256] = {B64_E256(B64_W2)};
static const uint32_t b64_w3[256] = {B64_E256(B64_W3)};
#endif

size_t mdata_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t mdata_base64_decoded_maxlen(size_t n)
{
    return (n + 3) / 4 * 3;
}

size_t mdata_base64_encode(const void *src, size_t n, char *dst)
{
    const uint8_t *s = src;
    char *d = dst;

    for (; n >= 3; n -= 3, s += 3, d += 4) {
        uint32_t v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];

        d[0] = b64_alphabet[v >> 18];
        d[1] = b64_alphabet[(v >> 12) & 63];
        d[2] = b64_alphabet[(v >> 6) & 63];
        d[3] = b64_alphabet[v & 63];
    }
    if (n > 0) {
        uint32_t v = (uint32_t)s[0] << 16 | (n == 2 ? (uint32_t)s[1] << 8 : 0);

        d[0] = b64_alphabet[v >> 18];
        d[1] = b64_alphabet[(v >> 12) & 63];
        d[2] = n == 2 ? b64_alphabet[(v >> 6) & 63] : '=';
        d[3] = '=';
        d += 4;
    }
    return (size_t)(d - dst);
}

static int bad_char(const char *src, size_t at, mdata_error_t *err)
{
    unsigned char c = (unsigned char)src[at];

    if (c == '=')
        return mdata__error(err, MDATA_EBASE64, 0, at,
                            "base64: '=' before the end at offset %zu", at);
    return mdata__error(err, MDATA_EBASE64, 0, at,
                        "base64: byte 0x%02x at offset %zu is not in the "
                        "alphabet",
                        c, at);
}

static int decode_strict(const char *src, size_t n, uint8_t *dst,
                         size_t *out_len, mdata_error_t *err)
{
    const uint8_t *s = (const uint8_t *)src;
    uint8_t *d = dst;
    size_t full, i;

    if (n % 4 != 0)
        return mdata__error(err, MDATA_EBASE64, 0, n,
                            "base64: length %zu is not a multiple of 4", n);
    if (n == 0) {
        *out_len = 0;
        return 0;
    }
    /* All groups but the last have no padding: the fast path. */
    full = n - 4;
#ifdef B64_FAST
    /* The 4-byte store's last byte is the next group's first: the last
     * group below always writes it, so dst needs no extra room. */
    for (i = 0; i + 8 <= full; i += 8, d += 6) {
        uint64_t x;
        uint32_t w, v;

        memcpy(&x, s + i, 8);
        w = b64_w0[x & 0xff] | b64_w1[(x >> 8) & 0xff] |
            b64_w2[(x >> 16) & 0xff] | b64_w3[(x >> 24) & 0xff];
        v = b64_w0[(x >> 32) & 0xff] | b64_w1[(x >> 40) & 0xff] |
            b64_w2[(x >> 48) & 0xff] | b64_w3[x >> 56];
        if ((w | v) & B64_BADW)
            break; /* the portable loop below finds and reports it */
        memcpy(d, &w, 4);
        memcpy(d + 3, &v, 4);
    }
#else
    i = 0;
#endif
    for (; i < full; i += 4, d += 3) {
        uint32_t a = b64_value[s[i]], b = b64_value[s[i + 1]];
        uint32_t c = b64_value[s[i + 2]], e = b64_value[s[i + 3]];

        if ((a | b | c | e) & BAD) {
            size_t k = i;

            while (!(b64_value[s[k]] & BAD))
                k++;
            return bad_char(src, k, err);
        }
        {
            uint32_t v = a << 18 | b << 12 | c << 6 | e;

            d[0] = (uint8_t)(v >> 16);
            d[1] = (uint8_t)(v >> 8);
            d[2] = (uint8_t)v;
        }
    }
    /* Last group: "xxxx", "xxx=" or "xx==". */
    {
        uint32_t a = b64_value[s[i]], b = b64_value[s[i + 1]];
        int pad = (s[i + 3] == '=') + (s[i + 2] == '=' && s[i + 3] == '=');
        uint32_t c = pad < 2 ? b64_value[s[i + 2]] : 0;
        uint32_t e = pad < 1 ? b64_value[s[i + 3]] : 0;
        uint32_t v;

        if (a & BAD)
            return bad_char(src, i, err);
        if (b & BAD)
            return bad_char(src, i + 1, err);
        if (c & BAD)
            return bad_char(src, i + 2, err);
        if (e & BAD)
            return bad_char(src, i + 3, err);
        v = a << 18 | b << 12 | c << 6 | e;
        /* Bits below the last full byte must be zero (canonical text). */
        if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
            return mdata__error(err, MDATA_EBASE64, 0, i + 3 - (size_t)pad,
                                "base64: non-zero bits before padding at "
                                "offset %zu",
                                i + 3 - (size_t)pad);
        d[0] = (uint8_t)(v >> 16);
        if (pad < 2)
            d[1] = (uint8_t)(v >> 8);
        if (pad < 1)
            d[2] = (uint8_t)v;
        d += 3 - pad;
    }
    *out_len = (size_t)(d - dst);
    return 0;
}

/* As Node's Buffer.from(s, "base64") does it: skip what is not base64, stop
 * at the first '=', and keep whatever whole bytes the last group holds. */
static void decode_lenient(const char *src, size_t n, uint8_t *dst,
                           size_t *out_len)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t i, o = 0;

    for (i = 0; i < n && src[i] != '='; i++) {
        uint8_t v = b64_value[(unsigned char)src[i]];

        if (src[i] == '-') /* Node also takes the URL-safe alphabet */
            v = 62;
        else if (src[i] == '_')
            v = 63;
        if (v & BAD)
            continue;
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out_len = o;
}

int mdata_base64_decode(const char *src, size_t n, uint8_t *dst,
                        size_t *out_len, unsigned flags, mdata_error_t *err)
{
    if ((src == NULL && n > 0) || out_len == NULL)
        return mdata__error(err, MDATA_EINVAL, 0, 0, "base64: NULL argument");
    if (flags & MDATA_BASE64_LENIENT) {
        decode_lenient(src, n, dst, out_len);
        return 0;
    }
    return decode_strict(src, n, dst, out_len, err);
}
