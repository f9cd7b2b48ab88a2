/*
 * Fuzz base64: strict decoding either fails or gives bytes that encode back
 * to exactly the input; lenient decoding never fails and stays in bounds;
 * encode then strict decode is the identity.
 */
#include <stdlib.h>
#include <string.h>

#include "mdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t max = mdata_base64_decoded_maxlen(size), n, m;
    uint8_t *dec = malloc(max ? max : 1);
    char *enc = malloc(mdata_base64_encoded_len(size) + 1);
    uint8_t *back = malloc(size ? size : 1);
    mdata_error_t err;

    if (dec == NULL || enc == NULL || back == NULL)
        abort();
    if (mdata_base64_decode((const char *)data, size, dec, &n,
                            MDATA_BASE64_STRICT, &err) == 0) {
        char *re = malloc(mdata_base64_encoded_len(n) + 1);

        if (re == NULL || n > max ||
            mdata_base64_encode(dec, n, re) != size ||
            memcmp(re, data, size) != 0)
            abort();
        free(re);
    } else if (err.code != MDATA_EBASE64 || err.position > size) {
        abort();
    }
    if (mdata_base64_decode((const char *)data, size, dec, &n,
                            MDATA_BASE64_LENIENT, NULL) != 0 ||
        n > max)
        abort();
    n = mdata_base64_encode(data, size, enc);
    if (mdata_base64_decode(enc, n, back, &m, MDATA_BASE64_STRICT, NULL) != 0 ||
        m != size || memcmp(back, data, size) != 0)
        abort();
    free(dec);
    free(enc);
    free(back);
    return 0;
}
