#include <stdlib.h>
#include <string.h>

#include "mdata.h"
#include "suites.h"
#include "testutil.h"

/* Feed a whole reply text line by line; return the final status. */
static int feed_text(mdata_v1_reply_t *r, const char *text, size_t len)
{
    mdata_decoder_t *dec;
    const char *l;
    size_t n;
    int rc = 0, lr;

    CU_ASSERT_EQUAL_FATAL(mdata_decoder_new(1 << 20, &dec), 0);
    CU_ASSERT_EQUAL_FATAL(mdata_decoder_feed(dec, text, len), 0);
    while ((lr = mdata_decoder_next_line(dec, &l, &n)) == 1) {
        rc = mdata_v1_reply_feed_line(r, l, n);
        if (rc != 0)
            break;
    }
    mdata_decoder_free(dec);
    return rc;
}

static void roundtrip(const char *value, size_t len)
{
    size_t need = mdata_v1_encode_success(value, len, NULL, 0), vlen;
    char *wire = malloc(need);
    mdata_v1_reply_t *r;
    const uint8_t *v;

    CU_ASSERT_EQUAL(mdata_v1_encode_success(value, len, wire, need), need);
    CU_ASSERT_EQUAL_FATAL(mdata_v1_reply_new(1 << 20, &r), 0);
    CU_ASSERT_EQUAL(feed_text(r, wire, need), MDATA_V1_SUCCESS);
    v = mdata_v1_reply_value(r, &vlen);
    TU_ASSERT_MEM_EQ(v, vlen, value, len);
    mdata_v1_reply_free(r);
    free(wire);
}

static void test_v1_leading_empty_lines_dots_trailing_newline(void)
{
    static const char tricky[] = "\n\n.leading dot\n.\n..\nmid\n\n";

    roundtrip(tricky, sizeof(tricky) - 1);
    roundtrip("", 0);
    roundtrip("\n", 1);
    roundtrip(".", 1);
    roundtrip("x\n", 2);
    roundtrip("a\0b", 3);
}

static void test_v1_host_bytes(void)
{
    /* doc/protocol.md §9.2 and §4: exact host replies. */
    static const char dotty[] = "SUCCESS\n..leading dot\n..\nmid\n.\n";
    static const char script[] = "SUCCESS\n#!/bin/sh\necho hi\n\n.\n";
    mdata_v1_reply_t *r;
    const uint8_t *v;
    size_t n;
    char wire[64];

    CU_ASSERT_EQUAL_FATAL(mdata_v1_reply_new(1024, &r), 0);
    CU_ASSERT_EQUAL(feed_text(r, dotty, sizeof(dotty) - 1), MDATA_V1_SUCCESS);
    v = mdata_v1_reply_value(r, &n);
    TU_ASSERT_MEM_EQ(v, n, ".leading dot\n.\nmid", 18);
    mdata_v1_reply_reset(r);
    CU_ASSERT_EQUAL(feed_text(r, script, sizeof(script) - 1), MDATA_V1_SUCCESS);
    v = mdata_v1_reply_value(r, &n);
    TU_ASSERT_MEM_EQ(v, n, "#!/bin/sh\necho hi\n", 18);
    /* The encoder writes those same bytes. */
    n = mdata_v1_encode_success("#!/bin/sh\necho hi\n", 18, wire, sizeof(wire));
    TU_ASSERT_MEM_EQ(wire, n, script, sizeof(script) - 1);
    n = mdata_v1_encode_success(".leading dot\n.\nmid", 18, wire, sizeof(wire));
    TU_ASSERT_MEM_EQ(wire, n, dotty, sizeof(dotty) - 1);
    n = mdata_v1_encode_success("", 0, wire, sizeof(wire));
    TU_ASSERT_MEM_EQ(wire, n, "SUCCESS\n\n.\n", 11);
    mdata_v1_reply_free(r);
}

static void test_v1_single_line_answers(void)
{
    mdata_v1_reply_t *r;
    const uint8_t *v;
    size_t n;

    CU_ASSERT_EQUAL_FATAL(mdata_v1_reply_new(1024, &r), 0);
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "NOTFOUND", 8),
                    MDATA_V1_NOTFOUND);
    mdata_v1_reply_reset(r);
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "invalid command", 15),
                    MDATA_V1_INVALID_COMMAND);
    mdata_v1_reply_reset(r);
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "FAILURE", 7),
                    MDATA_V1_FAILURE);
    v = mdata_v1_reply_value(r, &n);
    TU_ASSERT_MEM_EQ(v, n, "FAILURE", 7);
    /* A finished reply takes no more lines until reset. */
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "x", 1), MDATA_EINVAL);
    mdata_v1_reply_free(r);
}

static void test_v1_value_bounded(void)
{
    mdata_v1_reply_t *r;

    CU_ASSERT_EQUAL_FATAL(mdata_v1_reply_new(5, &r), 0);
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "SUCCESS", 7), 0);
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "abc", 3), 0);
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "d", 1), 0); /* "abc\nd" */
    CU_ASSERT_EQUAL(mdata_v1_reply_feed_line(r, "e", 1), MDATA_ETOOBIG);
    mdata_v1_reply_free(r);
}

CU_TestInfo v1_tests[] = {
    {"test_v1_leading_empty_lines_dots_trailing_newline",
     test_v1_leading_empty_lines_dots_trailing_newline},
    {"test_v1_host_bytes", test_v1_host_bytes},
    {"test_v1_single_line_answers", test_v1_single_line_answers},
    {"test_v1_value_bounded", test_v1_value_bounded},
    CU_TEST_INFO_NULL,
};
