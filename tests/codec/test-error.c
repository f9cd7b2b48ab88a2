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

CU_TestInfo error_tests[] = {
    {"test_error_names_unique_and_prefixed",
     test_error_names_unique_and_prefixed},
    {"test_error_unknown_and_ok", test_error_unknown_and_ok},
    {"test_error_version", test_error_version},
    CU_TEST_INFO_NULL,
};
