#ifndef TEST_TYPES_SUITES_H
#define TEST_TYPES_SUITES_H
#include <CUnit/CUnit.h>

#include "mdata.h"

extern CU_TestInfo ip_tests[];
extern CU_TestInfo nics_tests[];
extern CU_TestInfo routes_tests[];
extern CU_TestInfo malformed_tests[];
extern CU_TestInfo failmalloc_tests[];

/* Parse a file of tests/vectors/types; the test fails if it does not. */
mdata_nic_list_t *tt_nics_file(const char *name);
mdata_route_list_t *tt_routes_file(const char *name);
mdata_resolver_list_t *tt_resolvers_file(const char *name);

/*
 * Check one address: family, text as in the document, prefix, and the
 * canonical form of the address (mdata_ip_format without prefix).
 */
#define TT_ASSERT_IP(ip, fam, txt, pfx, canon)                                \
    tt_assert_ip((ip), (fam), (txt), (pfx), (canon), __FILE__, __LINE__)
void tt_assert_ip(const mdata_ip_t *ip, int family, const char *text,
                  unsigned prefix, const char *canon, const char *file,
                  int line);

#define TT_ASSERT_STR(got, want)                                              \
    tt_assert_str((got), (want), #got, __FILE__, __LINE__)
void tt_assert_str(const char *got, const char *want, const char *expr,
                   const char *file, int line);
#endif
