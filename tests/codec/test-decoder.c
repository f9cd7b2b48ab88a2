#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdata.h"
#include "suites.h"
#include "testutil.h"

/* A stream of golden frames with junk, a bad CRC and an overlong line. */
static char *build_stream(size_t *len)
{
    char *text = tu_read_file(tu_vector_path("v2-frames.txt"), NULL);
    char *out = malloc(16384), *line, *save = NULL;
    size_t n = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        *strchr(line, '\t') = '\0';
        n += (size_t)sprintf(out + n, "%s\n", line);
        if (n % 3 == 0)
            n += (size_t)sprintf(out + n, "invalid command\n");
    }
    n += (size_t)sprintf(out + n,
                         "V2 29 deadbeef abcdef12 GET c2RjOmhvc3RuYW1l\n");
    memset(out + n, 'x', 300);
    n += 300;
    out[n++] = '\n';
    n += (size_t)sprintf(out + n, "V2 21 265ae1d8 dc4fae17 SUCCESS W10=\n");
    free(text);
    *len = n;
    return out;
}

/* Decode the stream fed in the given chunks; describe every result. */
static char *decode_chunked(const char *s, size_t len, const size_t *cuts,
                            size_t ncuts, size_t max_line)
{
    mdata_decoder_t *dec;
    size_t cap = 65536, n = 0, pos = 0, c;
    char *log = malloc(cap);

    CU_ASSERT_EQUAL_FATAL(mdata_decoder_new(max_line, &dec), 0);
    for (c = 0; c <= ncuts; c++) {
        size_t next = c < ncuts ? cuts[c] : len;
        mdata_frame_t fr;
        int rc;

        CU_ASSERT_EQUAL_FATAL(mdata_decoder_feed(dec, s + pos, next - pos), 0);
        pos = next;
        while ((rc = mdata_decoder_next_frame(dec, &fr, NULL)) != 0) {
            if (rc == 1)
                n += (size_t)snprintf(log + n, cap - n, "%s %s %zu %08lx\n",
                                      fr.reqid, fr.code, fr.payload_len,
                                      (unsigned long)mdata_crc32(
                                          0, fr.payload, fr.payload_len));
            else
                n += (size_t)snprintf(log + n, cap - n, "%s\n",
                                      mdata_err_name(rc));
        }
    }
    CU_ASSERT_EQUAL(mdata_decoder_pending(dec), 0);
    mdata_decoder_free(dec);
    return log;
}

static void test_decoder_every_split_point_same_frames(void)
{
    size_t len, i, j;
    char *s = build_stream(&len);
    char *whole = decode_chunked(s, len, NULL, 0, 256);

    /* Whole-stream decode saw the frames and each error kind. */
    CU_ASSERT(strstr(whole, "dc4fae17 GET 8") != NULL);
    CU_ASSERT(strstr(whole, "MDATA_EFRAME") != NULL);
    CU_ASSERT(strstr(whole, "MDATA_ECRC") != NULL);
    CU_ASSERT(strstr(whole, "MDATA_ETOOBIG\ndc4fae17 SUCCESS 2") != NULL);
    for (i = 1; i < len; i++) {
        char *got = decode_chunked(s, len, &i, 1, 256);

        CU_ASSERT_STRING_EQUAL_FATAL(got, whole);
        free(got);
    }
    /* Three-way splits around the overlong line's edges. */
    for (i = len - 400; i < len; i += 3)
        for (j = i + 1; j < len; j += 11) {
            size_t cuts[2] = {i, j};
            char *got = decode_chunked(s, len, cuts, 2, 256);

            CU_ASSERT_STRING_EQUAL_FATAL(got, whole);
            free(got);
        }
    /* One byte at a time. */
    {
        size_t *cuts = malloc(len * sizeof(*cuts));
        char *got;

        for (i = 0; i + 1 < len; i++)
            cuts[i] = i + 1;
        got = decode_chunked(s, len, cuts, len - 1, 256);
        CU_ASSERT_STRING_EQUAL(got, whole);
        free(got);
        free(cuts);
    }
    free(whole);
    free(s);
}

static void test_decoder_max_line_boundary(void)
{
    mdata_decoder_t *dec;
    char line[40];
    const char *l;
    size_t len;

    CU_ASSERT_EQUAL_FATAL(mdata_decoder_new(10, &dec), 0);
    memset(line, 'a', sizeof(line));
    line[10] = '\n'; /* exactly 10 bytes: allowed */
    CU_ASSERT_EQUAL(mdata_decoder_feed(dec, line, 11), 0);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 1);
    CU_ASSERT_EQUAL(len, 10);
    line[10] = 'a';
    line[11] = '\n'; /* 11 bytes: too long, reported once */
    CU_ASSERT_EQUAL(mdata_decoder_feed(dec, line, 12), 0);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), MDATA_ETOOBIG);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 0);
    /* An overlong line in progress keeps nothing buffered. */
    memset(line, 'a', sizeof(line));
    CU_ASSERT_EQUAL(mdata_decoder_feed(dec, line, 30), 0);
    CU_ASSERT_EQUAL(mdata_decoder_pending(dec), 0);
    CU_ASSERT_EQUAL(mdata_decoder_feed(dec, "zz\nok\n", 6), 0);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), MDATA_ETOOBIG);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 1);
    TU_ASSERT_MEM_EQ(l, len, "ok", 2);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 0);
    mdata_decoder_free(dec);
}

static void test_decoder_lines_keep_bytes_and_reset(void)
{
    mdata_decoder_t *dec;
    const char *l;
    size_t len;

    CU_ASSERT_EQUAL_FATAL(mdata_decoder_new(100, &dec), 0);
    CU_ASSERT_EQUAL(mdata_decoder_feed(dec, "a\0b\r\n\nhalf", 10), 0);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 1);
    TU_ASSERT_MEM_EQ(l, len, "a\0b\r", 4);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 1);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 0);
    CU_ASSERT_EQUAL(mdata_decoder_pending(dec), 4);
    mdata_decoder_reset(dec);
    CU_ASSERT_EQUAL(mdata_decoder_pending(dec), 0);
    CU_ASSERT_EQUAL(mdata_decoder_feed(dec, "new\n", 4), 0);
    CU_ASSERT_EQUAL(mdata_decoder_next_line(dec, &l, &len), 1);
    TU_ASSERT_MEM_EQ(l, len, "new", 3);
    mdata_decoder_free(dec);
    CU_ASSERT_EQUAL(mdata_decoder_new(0, &dec), MDATA_EINVAL);
}

static void test_decoder_16mib_frame_in_small_chunks(void)
{
    size_t plen = 16u << 20, need = mdata_frame_encoded_size(8, 7, plen), n, i;
    uint8_t *payload = malloc(plen);
    char *frame = malloc(need);
    mdata_decoder_t *dec;
    mdata_frame_t fr;
    int got = 0;

    tu_fill_random(payload, plen, 99);
    CU_ASSERT_EQUAL_FATAL(mdata_frame_encode("0badf00d", "SUCCESS", payload,
                                             plen, frame, need, &n),
                          0);
    CU_ASSERT_EQUAL_FATAL(mdata_decoder_new(need, &dec), 0);
    for (i = 0; i < n; i += 4096) {
        size_t chunk = n - i < 4096 ? n - i : 4096;

        CU_ASSERT_EQUAL_FATAL(mdata_decoder_feed(dec, frame + i, chunk), 0);
        while (mdata_decoder_next_frame(dec, &fr, NULL) == 1) {
            TU_ASSERT_MEM_EQ(fr.payload, fr.payload_len, payload, plen);
            got++;
        }
    }
    CU_ASSERT_EQUAL(got, 1);
    mdata_decoder_free(dec);
    free(payload);
    free(frame);
}

CU_TestInfo decoder_tests[] = {
    {"test_decoder_every_split_point_same_frames",
     test_decoder_every_split_point_same_frames},
    {"test_decoder_max_line_boundary", test_decoder_max_line_boundary},
    {"test_decoder_lines_keep_bytes_and_reset",
     test_decoder_lines_keep_bytes_and_reset},
    {"test_decoder_16mib_frame_in_small_chunks",
     test_decoder_16mib_frame_in_small_chunks},
    CU_TEST_INFO_NULL,
};
