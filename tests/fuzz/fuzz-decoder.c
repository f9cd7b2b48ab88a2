/*
 * Fuzz the incremental decoder: the input is split into chunks at sizes
 * taken from its first bytes, decoded as frames, and checked against the
 * same input decoded in one piece. Every frame that parses must encode
 * back to the bytes of its line.
 */
#include <stdlib.h>
#include <string.h>

#include "mdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t decode(const uint8_t *data, size_t size, size_t chunk,
                     uint32_t *digest)
{
    mdata_decoder_t *dec;
    size_t pos = 0, frames = 0;

    if (mdata_decoder_new(512, &dec) != 0)
        abort();
    *digest = 0;
    while (pos < size) {
        size_t n = size - pos < chunk ? size - pos : chunk;
        mdata_frame_t fr;
        int rc;

        if (mdata_decoder_feed(dec, data + pos, n) != 0)
            abort();
        pos += n;
        while ((rc = mdata_decoder_next_frame(dec, &fr, NULL)) != 0) {
            *digest = mdata_crc32(*digest, &rc, sizeof(rc));
            if (rc != 1)
                continue;
            frames++;
            *digest = mdata_crc32(*digest, fr.reqid, strlen(fr.reqid));
            *digest = mdata_crc32(*digest, fr.code, strlen(fr.code));
            *digest = mdata_crc32(*digest, fr.payload, fr.payload_len);
            {
                size_t need = mdata_frame_encoded_size(
                    strlen(fr.reqid), strlen(fr.code), fr.payload_len);
                char *out = malloc(need);
                uint8_t *back = malloc(mdata_base64_decoded_maxlen(need));
                mdata_frame_t again;
                size_t len;

                if (out == NULL || back == NULL ||
                    mdata_frame_encode(fr.reqid, fr.code, fr.payload,
                                       fr.payload_len, out, need, &len) != 0 ||
                    mdata_frame_parse(out, len - 1, back, &again, NULL) != 0 ||
                    again.payload_len != fr.payload_len ||
                    memcmp(again.payload, fr.payload, fr.payload_len) != 0)
                    abort();
                free(out);
                free(back);
            }
        }
    }
    mdata_decoder_free(dec);
    return frames;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t whole, split;
    size_t chunk;

    if (size < 1)
        return 0;
    chunk = 1 + data[0] % 64;
    data++;
    size--;
    if (decode(data, size, size ? size : 1, &whole) !=
            decode(data, size, chunk, &split) ||
        whole != split)
        abort();
    return 0;
}
