#include <stdio.h>
#include <string.h>

#include "mdata.h"
#include "suites.h"
#include "testutil.h"

static const int all_codes[] = {
#define XX(name, val, msg) MDATA_##name,
    MDATA_ERRNO_MAP(XX)
#undef XX
};

static void test_error_names_unique_and_prefixed(void)
{
    size_t n = sizeof(all_codes) / sizeof(all_codes[0]), i, j;

    for (i = 0; i < n; i++) {
        const char *name = mdata_err_name(all_codes[i]);

        CU_ASSERT(all_codes[i] < 0);
        CU_ASSERT(strncmp(name, "MDATA_E", 7) == 0);
        for (j = i + 1; j < n; j++) {
            CU_ASSERT(all_codes[i] != all_codes[j]);
            CU_ASSERT(strcmp(name, mdata_err_name(all_codes[j])) != 0);
            CU_ASSERT(strcmp(mdata_strerror(all_codes[i]),
                             mdata_strerror(all_codes[j])) != 0);
        }
        CU_ASSERT(strcmp(mdata_strerror(all_codes[i]), "unknown error") != 0);
    }
}

static void test_error_unknown_and_ok(void)
{
    CU_ASSERT_STRING_EQUAL(mdata_err_name(0), "MDATA_OK");
    CU_ASSERT_STRING_EQUAL(mdata_strerror(0), "success");
    CU_ASSERT_STRING_EQUAL(mdata_err_name(-999), "MDATA_UNKNOWN");
    CU_ASSERT_STRING_EQUAL(mdata_strerror(12345), "unknown error");
    CU_ASSERT_STRING_EQUAL(mdata_err_name(MDATA_ETIMEDOUT), "MDATA_ETIMEDOUT");
}

static void test_error_version(void)
{
    char buf[32];

    CU_ASSERT_EQUAL(mdata_version(), MDATA_VERSION_HEX);
    snprintf(buf, sizeof(buf), "%d.%d.%d", MDATA_VERSION_MAJOR,
             MDATA_VERSION_MINOR, MDATA_VERSION_PATCH);
    CU_ASSERT_STRING_EQUAL(mdata_version_string(), buf);
}

static void check_escape_n(const char *in, size_t n, const char *want)
{
    char out[128];
    size_t need = mdata_text_escape(in, n, out, sizeof(out));

    CU_ASSERT_STRING_EQUAL(out, want);
    CU_ASSERT_EQUAL(need, strlen(want));
}

/* in is a literal: its length counts NUL bytes inside */
#define check_escape(in, want) check_escape_n(in, sizeof(in) - 1, want)

static void test_text_escape(void)
{
    char small[8];

    check_escape("plain text\nline two", "plain text\nline two");
    check_escape("\x1b[2J\x1b]0;pwned\x07",
                 "\\x1b[2J\\x1b]0;pwned\\x07");
    check_escape("a\0b\tc\rd\x7f", "a\\x00b\\x09c\\x0dd\\x7f");
    /* C1 in UTF-8 (U+009B CSI, U+0085 NEL), and as stray 8-bit bytes */
    check_escape("\xc2\x9b" "31m \xc2\x85", "\\u009b31m \\u0085");
    check_escape("\x9b" "31m \xff", "\\x9b31m \\xff");
    /* printable UTF-8 stays; overlong, surrogate and cut forms do not */
    check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    check_escape("\xc0\x9b", "\\xc0\\x9b");
    check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
    check_escape("\xe2\x82", "\\xe2\\x82");
    /* truncation keeps whole escapes, and the return says what it needs */
    CU_ASSERT_EQUAL(mdata_text_escape("ab\x1b", 3, small, 5), 6);
    CU_ASSERT_STRING_EQUAL(small, "ab");
    CU_ASSERT_EQUAL(mdata_text_escape("x", 1, NULL, 0), 1);
}

CU_TestInfo error_tests[] = {
    {"test_text_escape", test_text_escape},
    {"test_error_names_unique_and_prefixed",
     test_error_names_unique_and_prefixed},
    {"test_error_unknown_and_ok", test_error_unknown_and_ok},
    {"test_error_version", test_error_version},
    CU_TEST_INFO_NULL,
};
