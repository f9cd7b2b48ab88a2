/* The client tests against mdata-emu over real sockets and ptys. */
#include "client-util.h"

extern CU_TestInfo client_ops_tests[];
extern CU_TestInfo client_async_tests[];
extern CU_TestInfo client_fault_tests[];
extern CU_TestInfo client_tty_tests[];
extern CU_TestInfo client_slow_tests[];
extern CU_TestInfo client_reopen_tests[];

CU_SuiteInfo mdata_test_suites[] = {
    {"ops", NULL, NULL, NULL, NULL, client_ops_tests},
    {"async", NULL, NULL, NULL, NULL, client_async_tests},
    {"tty", NULL, NULL, NULL, NULL, client_tty_tests},
    {"faults", NULL, NULL, NULL, NULL, client_fault_tests},
    {"slow", NULL, NULL, NULL, NULL, client_slow_tests},
    {"reopen", NULL, NULL, NULL, NULL, client_reopen_tests},
    CU_SUITE_INFO_NULL,
};
