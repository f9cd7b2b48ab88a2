#include <stdlib.h>
#include <string.h>

#include "mdata.h"
#include "suites.h"
#include "testutil.h"

/* Bit-at-a-time CRC-32, the definition the fast one must agree with. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void test_crc32_check_value(void)
{
    CU_ASSERT_EQUAL(mdata_crc32(0, "123456789", 9), 0xcbf43926u);
    CU_ASSERT_EQUAL(mdata_crc32(0, "", 0), 0);
    /* Body of doc/protocol.md §9.1 row 3. */
    CU_ASSERT_EQUAL(mdata_crc32(0, "dc4fae17 GET c2RjOm5pY3M=", 25),
                    0xcad51e5du);
}

/* Lengths up to 5000 cover both engines (tables, and carry-less
 * multiplication folding from 256 bytes where the CPU has it). */
static void test_crc32_matches_bitwise_all_lengths_and_alignments(void)
{
    static uint8_t buf[5000];
    size_t off, len;

    tu_fill_random(buf, sizeof(buf), 42);
    for (off = 0; off < 17; off++)
        for (len = 0; off + len <= sizeof(buf); len += (len < 600 ? 1 : 97))
            CU_ASSERT_EQUAL_FATAL(mdata_crc32(0, buf + off, len),
                                  crc32_bitwise(buf + off, len));
}

static void test_crc32_chains(void)
{
    uint8_t buf[1000];
    size_t split;

    tu_fill_random(buf, sizeof(buf), 7);
    for (split = 0; split <= sizeof(buf); split += 37) {
        uint32_t c = mdata_crc32(0, buf, split);

        c = mdata_crc32(c, buf + split, sizeof(buf) - split);
        CU_ASSERT_EQUAL_FATAL(c, crc32_bitwise(buf, sizeof(buf)));
    }
}

CU_TestInfo crc32_tests[] = {
    {"test_crc32_check_value", test_crc32_check_value},
    {"test_crc32_matches_bitwise_all_lengths_and_alignments",
     test_crc32_matches_bitwise_all_lengths_and_alignments},
    {"test_crc32_chains", test_crc32_chains},
    CU_TEST_INFO_NULL,
};
