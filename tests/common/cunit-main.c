/*
 * Shared main for every CUnit test program: registers the program's
 * mdata_test_suites table, runs it verbosely, exits non-zero on failure.
 * Optional argv[1]: run only that suite; argv[2]: only that test.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "testutil.h"

int main(int argc, char **argv)
{
    unsigned int failed;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (CU_register_suites(mdata_test_suites) != CUE_SUCCESS) {
        fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (argc > 1) {
        CU_pSuite suite = CU_get_suite(argv[1]);

        if (suite == NULL) {
            fprintf(stderr, "no suite named %s\n", argv[1]);
            CU_cleanup_registry();
            return 2;
        }
        if (argc > 2) {
            CU_pTest test = CU_get_test(suite, argv[2]);

            if (test == NULL) {
                fprintf(stderr, "no test named %s\n", argv[2]);
                CU_cleanup_registry();
                return 2;
            }
            CU_basic_run_test(suite, test);
        } else {
            CU_basic_run_suite(suite);
        }
    } else {
        CU_basic_run_tests();
    }
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    /* A run that executed nothing is a failure, not a pass. */
    if (CU_get_number_of_tests_run() == 0) {
        fprintf(stderr, "no test ran\n");
        failed = 1;
    }
    CU_cleanup_registry();
    return failed == 0 ? 0 : 1;
}
