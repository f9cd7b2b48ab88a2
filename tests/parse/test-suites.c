/* The suites of test-parse, plus helpers they share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "testutil.h"

#ifdef TT_FAILMALLOC_ONLY
/* test-parse-failmalloc: its own program, linked with malloc wrapped. */
CU_SuiteInfo mdata_test_suites[] = {
    {"failmalloc", NULL, NULL, NULL, NULL, failmalloc_tests},
    CU_SUITE_INFO_NULL,
};
#else
CU_SuiteInfo mdata_test_suites[] = {
    {"ip", NULL, NULL, NULL, NULL, ip_tests},
    {"nics", NULL, NULL, NULL, NULL, nics_tests},
    {"routes", NULL, NULL, NULL, NULL, routes_tests},
    {"malformed", NULL, NULL, NULL, NULL, malformed_tests},
    CU_SUITE_INFO_NULL,
};
#endif

static char *load(const char *name, size_t *len)
{
    char rel[256];
    char *buf;

    snprintf(rel, sizeof(rel), "types/%s", name);
    buf = tu_read_file(tu_vector_path(rel), len);
    if (buf == NULL)
        fprintf(stderr, "cannot read vector %s\n", rel);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    return buf;
}

#define LOAD_AND_PARSE(fn, type)                                              \
    size_t len;                                                               \
    char *buf = load(name, &len);                                             \
    type *list = NULL;                                                        \
    mdata_error_t err;                                                        \
    int rc = fn(buf, len, &list, &err);                                       \
                                                                              \
    if (rc != 0)                                                              \
        fprintf(stderr, "%s: %s\n", name, err.text);                          \
    free(buf);                                                                \
    CU_ASSERT_EQUAL_FATAL(rc, 0);                                             \
    CU_ASSERT_PTR_NOT_NULL_FATAL(list);                                       \
    return list;

mdata_nic_list_t *tt_nics_file(const char *name)
{
    LOAD_AND_PARSE(mdata_nics_parse, mdata_nic_list_t)
}

mdata_route_list_t *tt_routes_file(const char *name)
{
    LOAD_AND_PARSE(mdata_routes_parse, mdata_route_list_t)
}

mdata_resolver_list_t *tt_resolvers_file(const char *name)
{
    LOAD_AND_PARSE(mdata_resolvers_parse, mdata_resolver_list_t)
}

void tt_assert_ip(const mdata_ip_t *ip, int family, const char *text,
                  unsigned prefix, const char *canon, const char *file,
                  int line)
{
    char buf[MDATA_IP_TEXT_MAX];

    CU_assertImplementation(ip != NULL, (unsigned)line, "ip != NULL", file, "",
                            CU_TRUE);
    if (ip == NULL || text == NULL || canon == NULL)
        return;
    CU_assertImplementation(ip->family == family, (unsigned)line,
                            "ip->family == family", file, "", CU_FALSE);
    if (strcmp(ip->text, text) != 0)
        fprintf(stderr, "\n%s:%d: text %s, want %s\n", file, line, ip->text,
                text);
    CU_assertImplementation(strcmp(ip->text, text) == 0, (unsigned)line,
                            "ip->text == text", file, "", CU_FALSE);
    CU_assertImplementation(ip->prefix == prefix, (unsigned)line,
                            "ip->prefix == prefix", file, "", CU_FALSE);
    mdata_ip_format(ip, 0, buf, sizeof(buf));
    if (strcmp(buf, canon) != 0)
        fprintf(stderr, "\n%s:%d: canonical %s, want %s\n", file, line, buf,
                canon);
    CU_assertImplementation(strcmp(buf, canon) == 0, (unsigned)line,
                            "canonical form", file, "", CU_FALSE);
}

void tt_assert_str(const char *got, const char *want, const char *expr,
                   const char *file, int line)
{
    int ok = (got == NULL && want == NULL) ||
             (got != NULL && want != NULL && strcmp(got, want) == 0);

    if (!ok)
        fprintf(stderr, "\n%s:%d: %s is %s%s%s, want %s%s%s\n", file, line,
                expr, got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
                want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
    CU_assertImplementation(ok, (unsigned)line, expr, file, "", CU_FALSE);
}
