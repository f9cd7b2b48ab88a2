/*
 * Shared main for every CUnit test program: registers the program's
 * mdata_test_suites table, runs it verbosely, exits non-zero on failure.
 * Optional argv[1]: run only that suite; argv[2]: only that test.
 * meson registers each suite as its own test (tests/meson.build, so a
 * failure names its topic); `--listed NAME...` fails when the program has
 * a suite missing from those names, so none is left out of meson's list.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "testutil.h"

/* 0 when every suite of the table is among names[0..n). */
static int all_listed(char **names, int n)
{
    const CU_SuiteInfo *s;
    int missing = 0;

    for (s = mdata_test_suites; s->pName != NULL; s++) {
        int i;

        for (i = 0; i < n && strcmp(names[i], s->pName) != 0; i++)
            ;
        if (i == n) {
            fprintf(stderr, "suite %s is not registered in meson.build\n",
                    s->pName);
            missing = 1;
        }
    }
    return missing;
}

int main(int argc, char **argv)
{
    unsigned int failed;

    if (argc > 1 && strcmp(argv[1], "--listed") == 0)
        return all_listed(argv + 2, argc - 2);

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
