#include <stdlib.h>
#include <string.h>

#include "mdata.h"
#include "suites.h"
#include "testutil.h"

/* RFC 4648 section 10 test vectors. */
static const struct {
    const char *plain, *b64;
} rfc4648[] = {
    {"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},
    {"foo", "Zm9v"},    {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_base64_rfc4648_vectors(void)
{
    size_t i;

    for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        size_t plen = strlen(rfc4648[i].plain), blen = strlen(rfc4648[i].b64);
        char enc[16];
        uint8_t dec[16];
        size_t n;

        CU_ASSERT_EQUAL(mdata_base64_encoded_len(plen), blen);
        CU_ASSERT_EQUAL(mdata_base64_encode(rfc4648[i].plain, plen, enc), blen);
        CU_ASSERT(memcmp(enc, rfc4648[i].b64, blen) == 0);
        CU_ASSERT_EQUAL(mdata_base64_decode(rfc4648[i].b64, blen, dec, &n,
                                            MDATA_BASE64_STRICT, NULL),
                        0);
        TU_ASSERT_MEM_EQ(dec, n, rfc4648[i].plain, plen);
    }
}

static void test_base64_roundtrip_binary_with_nuls(void)
{
    uint8_t src[1024], dec[1024];
    char enc[1400];
    size_t len, n, m;

    tu_fill_random(src, sizeof(src), 3);
    src[0] = 0;
    src[500] = 0;
    for (len = 0; len <= sizeof(src); len += 1 + len / 8) {
        n = mdata_base64_encode(src, len, enc);
        CU_ASSERT_EQUAL_FATAL(
            mdata_base64_decode(enc, n, dec, &m, MDATA_BASE64_STRICT, NULL), 0);
        TU_ASSERT_MEM_EQ(dec, m, src, len);
    }
}

/* Each malformed input with the offset the error must name. */
static const struct {
    const char *text;
    size_t position;
} bad_base64[] = {
    {"Zm9", 3},        /* length not a multiple of 4 */
    {"Zm9v!A==", 4},   /* character outside the alphabet */
    {"Zm 9", 2},       /* space */
    {"Zg==Zm9v", 2},   /* '=' in the middle */
    {"=Zm9", 0},       /* '=' first */
    {"Z===", 1},       /* three '=' */
    {"Zm=v", 2},       /* '=' followed by data */
    {"Zh==", 1},       /* non-zero bits before padding */
    {"Zm9=", 2},       /* non-zero bits before single '=' */
    {"Zm9v-_==", 4},   /* URL-safe alphabet is not ours */
    {"Zm9v\nZm9", 4},  /* ... nor line breaks */
};

static void test_base64_strict_rejects_each_malformed_input(void)
{
    size_t i;

    for (i = 0; i < sizeof(bad_base64) / sizeof(bad_base64[0]); i++) {
        const char *t = bad_base64[i].text;
        uint8_t dec[16];
        size_t n = 777;
        mdata_error_t err;

        memset(&err, 0, sizeof(err));
        CU_ASSERT_EQUAL(mdata_base64_decode(t, strlen(t), dec, &n,
                                            MDATA_BASE64_STRICT, &err),
                        MDATA_EBASE64);
        CU_ASSERT_EQUAL(err.code, MDATA_EBASE64);
        CU_ASSERT_EQUAL(err.position, bad_base64[i].position);
        CU_ASSERT(strstr(err.text, "base64") != NULL);
    }
}

static void test_base64_nul_inside_text_rejected(void)
{
    uint8_t dec[8];
    size_t n;

    CU_ASSERT_EQUAL(mdata_base64_decode("Zm\0v", 4, dec, &n,
                                        MDATA_BASE64_STRICT, NULL),
                    MDATA_EBASE64);
}

static void test_base64_lenient_like_the_host(void)
{
    uint8_t dec[32];
    size_t n;

    /* Skips what is not base64, stops at '=', keeps partial groups. */
    CU_ASSERT_EQUAL(mdata_base64_decode("Zm 9v\nYmFy", 10, dec, &n,
                                        MDATA_BASE64_LENIENT, NULL),
                    0);
    TU_ASSERT_MEM_EQ(dec, n, "foobar", 6);
    CU_ASSERT_EQUAL(mdata_base64_decode("Zg==Zm9v", 8, dec, &n,
                                        MDATA_BASE64_LENIENT, NULL),
                    0);
    TU_ASSERT_MEM_EQ(dec, n, "f", 1);
    CU_ASSERT_EQUAL(mdata_base64_decode("Zm9vYg", 6, dec, &n,
                                        MDATA_BASE64_LENIENT, NULL),
                    0);
    TU_ASSERT_MEM_EQ(dec, n, "foob", 4);
    CU_ASSERT_EQUAL(mdata_base64_decode("=", 1, dec, &n,
                                        MDATA_BASE64_LENIENT, NULL),
                    0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(mdata_base64_decode("a", 1, dec, &n,
                                        MDATA_BASE64_LENIENT, NULL),
                    0);
    CU_ASSERT_EQUAL(n, 0);
}

static void test_base64_null_arguments(void)
{
    size_t n;

    CU_ASSERT_EQUAL(mdata_base64_decode(NULL, 4, NULL, &n, 0, NULL),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_base64_decode("", 0, NULL, NULL, 0, NULL),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_base64_decode(NULL, 0, NULL, &n, 0, NULL), 0);
    CU_ASSERT_EQUAL(n, 0);
}

CU_TestInfo base64_tests[] = {
    {"test_base64_rfc4648_vectors", test_base64_rfc4648_vectors},
    {"test_base64_roundtrip_binary_with_nuls",
     test_base64_roundtrip_binary_with_nuls},
    {"test_base64_strict_rejects_each_malformed_input",
     test_base64_strict_rejects_each_malformed_input},
    {"test_base64_nul_inside_text_rejected",
     test_base64_nul_inside_text_rejected},
    {"test_base64_lenient_like_the_host", test_base64_lenient_like_the_host},
    {"test_base64_null_arguments", test_base64_null_arguments},
    CU_TEST_INFO_NULL,
};
