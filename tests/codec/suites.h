#ifndef TEST_CODEC_SUITES_H
#define TEST_CODEC_SUITES_H
#include <CUnit/CUnit.h>
extern CU_TestInfo error_tests[];
extern CU_TestInfo crc32_tests[];
extern CU_TestInfo base64_tests[];
extern CU_TestInfo frame_tests[];
extern CU_TestInfo decoder_tests[];
extern CU_TestInfo v1_tests[];
#endif
