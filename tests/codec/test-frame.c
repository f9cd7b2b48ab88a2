#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdata.h"
#include "suites.h"
#include "testutil.h"

/* Call fn for every golden vector of tests/vectors/v2-frames.txt. */
static void each_vector(void (*fn)(const char *frame, const char *reqid,
                                   const char *code, const uint8_t *payload,
                                   size_t plen, int has_payload))
{
    char *text = tu_read_file(tu_vector_path("v2-frames.txt"), NULL);
    char *line, *save = NULL;
    int count = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[4], *s2 = NULL;
        uint8_t *payload = NULL;
        size_t plen = 0;
        int i;

        if (line[0] == '#' || line[0] == '\0')
            continue;
        f[0] = strtok_r(line, "\t", &s2);
        for (i = 1; i < 4; i++)
            f[i] = strtok_r(NULL, "\t", &s2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f[3]);
        if (strcmp(f[3], "-") != 0)
            payload = tu_unescape(f[3], &plen);
        fn(f[0], f[1], f[2], payload, plen, payload != NULL);
        free(payload);
        count++;
    }
    CU_ASSERT(count >= 40);
    free(text);
}

static void check_parse(const char *frame, const char *reqid, const char *code,
                        const uint8_t *payload, size_t plen, int has_payload)
{
    size_t len = strlen(frame);
    uint8_t *buf = malloc(mdata_base64_decoded_maxlen(len));
    mdata_frame_t fr;
    mdata_error_t err;

    CU_ASSERT_EQUAL_FATAL(mdata_frame_parse(frame, len, buf, &fr, &err), 0);
    CU_ASSERT_STRING_EQUAL(fr.reqid, reqid);
    CU_ASSERT_STRING_EQUAL(fr.code, code);
    CU_ASSERT_EQUAL(fr.has_payload, has_payload);
    TU_ASSERT_MEM_EQ(fr.payload, fr.payload_len, payload ? payload : buf,
                     plen);
    free(buf);
}

static void check_encode(const char *frame, const char *reqid,
                         const char *code, const uint8_t *payload, size_t plen,
                         int has_payload)
{
    size_t need = mdata_frame_encoded_size(strlen(reqid), strlen(code), plen);
    char *out = malloc(need);
    size_t n = 0;

    CU_ASSERT_EQUAL_FATAL(strlen(frame) + 1, need);
    CU_ASSERT_EQUAL_FATAL(
        mdata_frame_encode(reqid, code, payload, plen, out, need, &n), 0);
    CU_ASSERT_EQUAL(n, need);
    CU_ASSERT(memcmp(out, frame, need - 1) == 0);
    CU_ASSERT_EQUAL(out[need - 1], '\n');
    free(out);
}

static void test_frame_golden_vectors_parse(void)
{
    each_vector(check_parse);
}

static void test_frame_golden_vectors_encode_exact_bytes(void)
{
    each_vector(check_encode);
}

/* A golden frame with its CRC digits in upper case (then in mixed case)
 * parses to the same fields: the one leniency of the parser. */
static void check_parse_upper_crc(const char *frame, const char *reqid,
                                  const char *code, const uint8_t *payload,
                                  size_t plen, int has_payload)
{
    char *copy = strdup(frame), *crc = strchr(copy + 3, ' ') + 1;
    int i, mixed;

    for (mixed = 0; mixed < 2; mixed++) {
        for (i = 0; i < 8; i++)
            if (crc[i] >= 'a' && crc[i] <= 'f')
                crc[i] = (char)(mixed && i % 2 ? crc[i] : crc[i] - 32);
        check_parse(copy, reqid, code, payload, plen, has_payload);
        memcpy(crc, frame + (crc - copy), 8);
    }
    free(copy);
}

static void test_frame_upper_case_crc_accepted(void)
{
    each_vector(check_parse_upper_crc);
}

/* "V2 <len> <crc> <body>" with a correct len and crc for any body. */
static char *frame_for_body(const char *body)
{
    size_t blen = strlen(body);
    char *out = malloc(blen + 32);

    sprintf(out, "V2 %zu %08lx %s", blen,
            (unsigned long)mdata_crc32(0, body, blen), body);
    return out;
}

static void expect_bad(const char *line, int code)
{
    uint8_t buf[256];
    mdata_frame_t fr;
    mdata_error_t err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = mdata_frame_parse(line, strlen(line), buf, &fr, &err);
    if (rc != code)
        fprintf(stderr, "\n  line <%s>: got %s, want %s (%s)\n", line,
                mdata_err_name(rc), mdata_err_name(code), err.text);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_EQUAL(err.code, code);
    CU_ASSERT(err.text[0] != '\0');
}

static void test_frame_malformed_each_classified(void)
{
    static const struct {
        const char *line;
        int code;
    } fixed[] = {
        {"", MDATA_EFRAME},
        {"V2", MDATA_EFRAME},
        {"V2 garbage", MDATA_EFRAME},
        {"V1 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 0 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 029 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 99999999999 838a0962 abcdef12 GET", MDATA_EFRAME},
        {"V2  29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 29  838a0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        /* Upper-case CRC digits are accepted, but the value must match
         * and it is still exactly 8 hex digits. */
        {"V2 29 838A0963 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_ECRC},
        {"V2 29 838G0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 29 838A096 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 29 0x838A0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 29 +838a096 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 29 838a096 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_EFRAME},
        {"V2 29 deadbeef abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_ECRC},
        {"V2 28 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l", MDATA_ELENGTH},
        {"V2 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l\r", MDATA_ELENGTH},
        {"V2 29 838a0962 abcdef12 GET c2RjOmhvc3RuYW1l ", MDATA_ELENGTH},
        /* doc/protocol.md §9.2: the trailing-space GET the host drops. */
        {"V2 13 f5864f1e 0000001e GET ", MDATA_EFRAME},
    };
    static const struct {
        const char *body;
        int code;
    } bodies[] = {
        {"abcdef12 SUCCESS Zm9v!A==", MDATA_EBASE64},
        {"abcdef12 SUCCESS Zm9", MDATA_EBASE64},
        {"abcdef12 SUCCESS Zg==Zm9v", MDATA_EBASE64},
        {"ABCDEF12 SUCCESS", MDATA_EFRAME},
        {"abcdef12abcdef123 SUCCESS", MDATA_EFRAME},
        {"abcdef12", MDATA_EFRAME},
        {"abcdef12 ", MDATA_EFRAME},
        {" SUCCESS", MDATA_EFRAME},
        {"abcdef12  SUCCESS", MDATA_EFRAME},
        {"abcdef12 SUCC\x01SS", MDATA_EFRAME},
        {"abcdef12 SUCCESS  Zm9v", MDATA_EBASE64},
        {"abcdef12 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", MDATA_EFRAME},
    };
    size_t i;

    for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        expect_bad(fixed[i].line, fixed[i].code);
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char *line = frame_for_body(bodies[i].body);

        expect_bad(line, bodies[i].code);
        free(line);
    }
}

static void test_frame_encode_rejects_bad_arguments(void)
{
    char out[128];
    size_t n;

    CU_ASSERT_EQUAL(mdata_frame_encode("", "GET", "k", 1, out, 128, &n),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_frame_encode("ABCDEF12", "GET", "k", 1, out, 128, &n),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_frame_encode("0123456789abcdef0", "GET", "k", 1, out,
                                       128, &n),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_frame_encode("abcdef12", "", "k", 1, out, 128, &n),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_frame_encode("abcdef12", "G T", "k", 1, out, 128, &n),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_frame_encode("abcdef12", "GET", NULL, 1, out, 128, &n),
                    MDATA_EINVAL);
    CU_ASSERT_EQUAL(mdata_frame_encode("abcdef12", "GET", "k", 1, out, 10, &n),
                    MDATA_ETOOBIG);
    /* 16 hex digits is the most allowed, and is fine. */
    CU_ASSERT_EQUAL(mdata_frame_encode("0123456789abcdef", "GET", "k", 1, out,
                                       128, &n),
                    0);
}

static void test_frame_empty_payload_has_no_trailing_space(void)
{
    char out[64];
    size_t n;

    CU_ASSERT_EQUAL(mdata_frame_encode("abcdef12", "SUCCESS", "", 0, out,
                                       sizeof(out), &n),
                    0);
    TU_ASSERT_MEM_EQ(out, n, "V2 16 14e563ba abcdef12 SUCCESS\n", 32);
    CU_ASSERT_EQUAL(mdata_frame_encode("abcdef12", "SUCCESS", NULL, 0, out,
                                       sizeof(out), &n),
                    0);
    TU_ASSERT_MEM_EQ(out, n, "V2 16 14e563ba abcdef12 SUCCESS\n", 32);
}

static void test_frame_roundtrip_binary_sizes(void)
{
    static const size_t sizes[] = {1, 2, 3, 4, 255, 4096, 1 << 20};
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = sizes[i], need = mdata_frame_encoded_size(8, 7, len), n;
        uint8_t *payload = malloc(len), *buf = malloc(need);
        char *out = malloc(need);
        mdata_frame_t fr;

        tu_fill_random(payload, len, len);
        payload[0] = 0;
        CU_ASSERT_EQUAL_FATAL(mdata_frame_encode("0badf00d", "SUCCESS", payload,
                                                 len, out, need, &n),
                              0);
        CU_ASSERT_EQUAL_FATAL(mdata_frame_parse(out, n - 1, buf, &fr, NULL), 0);
        TU_ASSERT_MEM_EQ(fr.payload, fr.payload_len, payload, len);
        free(payload);
        free(buf);
        free(out);
    }
}

CU_TestInfo frame_tests[] = {
    {"test_frame_golden_vectors_parse", test_frame_golden_vectors_parse},
    {"test_frame_golden_vectors_encode_exact_bytes",
     test_frame_golden_vectors_encode_exact_bytes},
    {"test_frame_upper_case_crc_accepted", test_frame_upper_case_crc_accepted},
    {"test_frame_malformed_each_classified",
     test_frame_malformed_each_classified},
    {"test_frame_encode_rejects_bad_arguments",
     test_frame_encode_rejects_bad_arguments},
    {"test_frame_empty_payload_has_no_trailing_space",
     test_frame_empty_payload_has_no_trailing_space},
    {"test_frame_roundtrip_binary_sizes", test_frame_roundtrip_binary_sizes},
    CU_TEST_INFO_NULL,
};
