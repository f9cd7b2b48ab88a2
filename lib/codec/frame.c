/*
 * V2 frames: "V2 <len> <crc> <reqid> <CODE>[ <base64>]\n".
 * len and crc cover the body "<reqid> <CODE>[ <base64>]" as transmitted.
 * The encoder writes exactly what the host expects (%08x CRC, no trailing
 * space); the parser is strict, so any corruption is noticed and classified
 * (its one leniency: the CRC's hex digits may be upper case).
 */
#include <string.h>

#include "codec/codec.h"

void mdata__hex8(uint32_t v, char out[8])
{
    static const char digits[] = "0123456789abcdef";
    int i;

    for (i = 7; i >= 0; i--, v >>= 4)
        out[i] = digits[v & 15];
}

static size_t decimal_digits(size_t v)
{
    size_t n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static size_t body_len(size_t reqid_len, size_t code_len, size_t payload_len)
{
    size_t b = reqid_len + 1 + code_len;

    if (payload_len > 0)
        b += 1 + mdata_base64_encoded_len(payload_len);
    return b;
}

size_t mdata_frame_encoded_size(size_t reqid_len, size_t code_len,
                                size_t payload_len)
{
    size_t body = body_len(reqid_len, code_len, payload_len);

    /* "V2 " len " " crc8 " " body "\n" */
    return 3 + decimal_digits(body) + 1 + 8 + 1 + body + 1;
}

static int valid_reqid(const char *reqid, size_t *len)
{
    size_t n = 0;

    if (reqid == NULL)
        return 0;
    while (reqid[n] != '\0') {
        if (!mdata__is_lower_hex((unsigned char)reqid[n]) ||
            n == MDATA_REQID_MAX)
            return 0;
        n++;
    }
    *len = n;
    return n > 0;
}

static int valid_code_char(int c)
{
    return c > ' ' && c < 0x7f;
}

static int valid_code(const char *code, size_t *len)
{
    size_t n = 0;

    if (code == NULL)
        return 0;
    while (code[n] != '\0') {
        if (!valid_code_char((unsigned char)code[n]) || n == MDATA_CODE_MAX)
            return 0;
        n++;
    }
    *len = n;
    return n > 0;
}

int mdata_frame_encode(const char *reqid, const char *code, const void *payload,
                       size_t payload_len, char *dst, size_t cap,
                       size_t *out_len)
{
    size_t rlen, clen, blen, need;
    char *p, *body;

    if (!valid_reqid(reqid, &rlen) || !valid_code(code, &clen) ||
        (payload == NULL && payload_len > 0) || dst == NULL || out_len == NULL)
        return MDATA_EINVAL;
    need = mdata_frame_encoded_size(rlen, clen, payload_len);
    if (cap < need)
        return MDATA_ETOOBIG;

    blen = body_len(rlen, clen, payload_len);
    p = dst;
    memcpy(p, "V2 ", 3);
    p += 3;
    {
        char digits[24];
        size_t n = 0, v = blen;

        do {
            digits[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0);
        while (n > 0)
            *p++ = digits[--n];
    }
    *p++ = ' ';
    p += 9; /* CRC and its space, filled in once the body is written */
    body = p;
    memcpy(p, reqid, rlen);
    p += rlen;
    *p++ = ' ';
    memcpy(p, code, clen);
    p += clen;
    if (payload_len > 0) {
        *p++ = ' ';
        p += mdata_base64_encode(payload, payload_len, p);
    }
    mdata__hex8(mdata_crc32(0, body, blen), body - 9);
    body[-1] = ' ';
    *p++ = '\n';
    *out_len = (size_t)(p - dst);
    return 0;
}

static int frame_error(mdata_error_t *err, int code, size_t pos,
                       const char *what)
{
    return mdata__error(err, code, 0, pos, "V2 frame: %s (offset %zu)", what,
                        pos);
}

int mdata_frame_parse(const char *line, size_t len, uint8_t *payload_buf,
                      mdata_frame_t *frame, mdata_error_t *err)
{
    size_t i, declared = 0, body, n;
    uint32_t crc = 0;
    int rc;

    if (line == NULL || frame == NULL || payload_buf == NULL)
        return MDATA_EINVAL;
    if (len < 3 || memcmp(line, "V2 ", 3) != 0)
        return frame_error(err, MDATA_EFRAME, 0, "line does not start with "
                                                 "\"V2 \"");
    /* LEN: decimal, no leading zero, no overflow. */
    i = 3;
    if (i >= len || line[i] < '1' || line[i] > '9')
        return frame_error(err, MDATA_EFRAME, i, "length is not a positive "
                                                 "decimal number");
    for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
        if (i - 3 >= 10)
            return frame_error(err, MDATA_EFRAME, i, "length has too many "
                                                     "digits");
        declared = declared * 10 + (size_t)(line[i] - '0');
    }
    if (i >= len || line[i] != ' ')
        return frame_error(err, MDATA_EFRAME, i, "expected one space after "
                                                 "the length");
    i++;
    /* CRC: exactly 8 hex digits. The host writes lower case; upper case
     * is accepted too (the value must still match), as a peer that prints
     * it so is no less sure of its bytes. */
    for (n = 0; n < 8; n++, i++) {
        int c = i < len ? (unsigned char)line[i] : -1;
        int d = mdata__hex_value(c);

        if (d < 0)
            return frame_error(err, MDATA_EFRAME, i, "checksum is not 8 "
                                                     "hex digits");
        crc = crc << 4 | (uint32_t)d;
    }
    if (i >= len || line[i] != ' ')
        return frame_error(err, MDATA_EFRAME, i, "expected one space after "
                                                 "the checksum");
    i++;
    body = i;
    if (len - body != declared)
        return mdata__error(err, MDATA_ELENGTH, 0, body,
                            "V2 frame: length field says %zu, body has %zu "
                            "bytes",
                            declared, len - body);
    if (mdata_crc32(0, line + body, len - body) != crc)
        return mdata__error(err, MDATA_ECRC, 0, body,
                            "V2 frame: checksum %08lx does not match the body "
                            "(%08lx)",
                            (unsigned long)crc,
                            (unsigned long)mdata_crc32(0, line + body,
                                                       len - body));
    /* Request id. */
    for (n = 0; i < len && line[i] != ' '; i++, n++) {
        if (!mdata__is_lower_hex((unsigned char)line[i]) ||
            n == MDATA_REQID_MAX)
            return frame_error(err, MDATA_EFRAME, i, "request id is not 1-16 "
                                                     "lower-case hex digits");
        frame->reqid[n] = line[i];
    }
    if (n == 0 || i >= len)
        return frame_error(err, MDATA_EFRAME, i, "missing request id or code");
    frame->reqid[n] = '\0';
    i++;
    /* Code word. */
    for (n = 0; i < len && line[i] != ' '; i++, n++) {
        if (!valid_code_char((unsigned char)line[i]) || n == MDATA_CODE_MAX)
            return frame_error(err, MDATA_EFRAME, i, "bad code word");
        frame->code[n] = line[i];
    }
    if (n == 0)
        return frame_error(err, MDATA_EFRAME, i, "missing code word");
    frame->code[n] = '\0';
    frame->payload = payload_buf;
    frame->payload_len = 0;
    frame->has_payload = 0;
    if (i == len)
        return 0;
    i++; /* the space before the payload */
    if (i == len)
        return frame_error(err, MDATA_EFRAME, i, "space with no payload after "
                                                 "it");
    rc = mdata_base64_decode(line + i, len - i, payload_buf,
                             &frame->payload_len, MDATA_BASE64_STRICT, err);
    if (rc < 0) {
        if (err != NULL)
            err->position += i;
        return rc;
    }
    frame->has_payload = 1;
    return 0;
}
