/* The suites of test-codec, one per codec module. */
#include "testutil.h"
#include "suites.h"

CU_SuiteInfo mdata_test_suites[] = {
    {"error", NULL, NULL, NULL, NULL, error_tests},
    {"crc32", NULL, NULL, NULL, NULL, crc32_tests},
    {"base64", NULL, NULL, NULL, NULL, base64_tests},
    {"frame", NULL, NULL, NULL, NULL, frame_tests},
    {"decoder", NULL, NULL, NULL, NULL, decoder_tests},
    {"v1", NULL, NULL, NULL, NULL, v1_tests},
    CU_SUITE_INFO_NULL,
};
