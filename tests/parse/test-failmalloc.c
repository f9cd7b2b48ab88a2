/*
 * Allocation failure injection: the Nth allocation fails, for N = 1, 2, ...
 * until a parse succeeds. Every failed parse must return MDATA_ENOMEM (or
 * succeed), leave *out NULL and leave no allocation behind; a successful
 * one leaves exactly its one block. Allocations of lib/types go through
 * the linker's --wrap, jansson's through json_set_alloc_funcs (which a
 * test may call; the library never does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "suites.h"
#include "testutil.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static int armed;       /* counting and failing only while set */
static long countdown;  /* the allocation that fails when it reaches 0 */
static long live;       /* allocations made minus frees, while armed */
static int in_jansson;  /* set while a jansson allocation is served */
static int failed_ours; /* the failed allocation was lib/types' own */

static int should_fail(void)
{
    if (armed && --countdown == 0) {
        failed_ours = !in_jansson;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    void *p;

    if (should_fail())
        return NULL;
    p = __real_malloc(n);
    if (p != NULL && armed)
        live++;
    return p;
}

void *__wrap_calloc(size_t n, size_t m)
{
    void *p;

    if (should_fail())
        return NULL;
    p = __real_calloc(n, m);
    if (p != NULL && armed)
        live++;
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    void *p;

    if (should_fail())
        return NULL;
    p = __real_realloc(old, n);
    if (p != NULL && old == NULL && armed)
        live++;
    return p;
}

void __wrap_free(void *p)
{
    if (p != NULL && armed)
        live--;
    __real_free(p);
}

static void *j_malloc(size_t n)
{
    void *p;

    in_jansson = 1;
    p = __wrap_malloc(n);
    in_jansson = 0;
    return p;
}

static void j_free(void *p)
{
    __wrap_free(p);
}

typedef int (*parse_fn)(const char *doc, size_t len, void **out);

static int p_nics(const char *d, size_t n, void **out)
{
    return mdata_nics_parse(d, n, (mdata_nic_list_t **)out, NULL);
}
static int p_routes(const char *d, size_t n, void **out)
{
    return mdata_routes_parse(d, n, (mdata_route_list_t **)out, NULL);
}
static int p_resolvers(const char *d, size_t n, void **out)
{
    return mdata_resolvers_parse(d, n, (mdata_resolver_list_t **)out, NULL);
}

static void run(const char *file, parse_fn fn, void (*release)(void *))
{
    size_t len;
    char *doc = tu_read_file(tu_vector_path(file), &len);
    long n, ours = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    json_set_alloc_funcs(j_malloc, j_free);
    for (n = 1; n < 100000; n++) {
        void *out = (void *)(uintptr_t)1;
        int rc;

        live = 0;
        failed_ours = 0;
        countdown = n;
        armed = 1;
        rc = fn(doc, len, &out);
        armed = 0;
        if (rc == 0) {
            CU_ASSERT_PTR_NOT_NULL(out);
            CU_ASSERT_EQUAL(live, 1); /* the list's one block */
            release(out);
            break;
        }
        /* jansson reports a few of its allocation failures as syntax
         * errors; everything else must say ENOMEM. */
        CU_ASSERT(rc == MDATA_ENOMEM || rc == MDATA_EJSON);
        if (failed_ours) {
            ours++;
            CU_ASSERT_EQUAL(rc, MDATA_ENOMEM);
        }
        CU_ASSERT_PTR_NULL(out);
        CU_ASSERT_EQUAL(live, 0);
        if ((rc != MDATA_ENOMEM && rc != MDATA_EJSON) || live != 0) {
            fprintf(stderr, "\n%s: allocation %ld: rc %d, %ld left\n", file,
                    n, rc, live);
            break;
        }
    }
    CU_ASSERT(n > 2); /* some allocations really were failed */
    CU_ASSERT(ours > 0); /* and some of them were lib/types' own */
    json_set_alloc_funcs(malloc, free);
    free(doc);
}

static void rel_nics(void *p)
{
    mdata_nic_list_free(p);
}
static void rel_routes(void *p)
{
    mdata_route_list_free(p);
}
static void rel_resolvers(void *p)
{
    mdata_resolver_list_free(p);
}

static void test_failmalloc_nics(void)
{
    run("types/d2-nics.json", p_nics, rel_nics);
    run("types/d7-maximal-nic.json", p_nics, rel_nics);
    run("types/c7-sdc-nics-ipv4-ipv6.json", p_nics, rel_nics);
}

static void test_failmalloc_routes(void)
{
    run("types/d1-routes.json", p_routes, rel_routes);
}

static void test_failmalloc_resolvers(void)
{
    run("types/d2-resolvers.json", p_resolvers, rel_resolvers);
}

/* A copy fails cleanly too. */
static void test_failmalloc_dup(void)
{
    static const char doc[] = "[{\"mac\":\"aa:bb:cc:dd:ee:ff\"}]";
    mdata_nic_list_t *list = NULL, *copy = (mdata_nic_list_t *)(uintptr_t)1;

    CU_ASSERT_EQUAL_FATAL(mdata_nics_parse(doc, strlen(doc), &list, NULL), 0);
    countdown = 1;
    armed = 1;
    CU_ASSERT_EQUAL(mdata_nic_list_dup(list, &copy), MDATA_ENOMEM);
    armed = 0;
    CU_ASSERT_PTR_NULL(copy);
    mdata_nic_list_free(list);
}

CU_TestInfo failmalloc_tests[] = {
    {"test_failmalloc_nics", test_failmalloc_nics},
    {"test_failmalloc_routes", test_failmalloc_routes},
    {"test_failmalloc_resolvers", test_failmalloc_resolvers},
    {"test_failmalloc_dup", test_failmalloc_dup},
    CU_TEST_INFO_NULL,
};
