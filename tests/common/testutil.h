/* Helpers shared by the CUnit test programs. */
#ifndef MDATA_TESTUTIL_H
#define MDATA_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

/* Each test program defines its suites in this table (NULL-terminated). */
extern CU_SuiteInfo mdata_test_suites[];

/* Read a whole file; returns a malloc'd buffer (NUL-terminated) or NULL. */
char *tu_read_file(const char *path, size_t *len);

/* Path of a file under tests/vectors (static buffer). */
const char *tu_vector_path(const char *name);

/*
 * Undo C escapes (\n \t \r \\ \xNN) of text into a malloc'd buffer;
 * *len gets its length.
 */
uint8_t *tu_unescape(const char *text, size_t *len);

/* Deterministic pseudo-random bytes (xorshift), for repeatable tests. */
void tu_fill_random(uint8_t *buf, size_t len, uint64_t seed);

#define TU_ASSERT_MEM_EQ(a, alen, b, blen)                                    \
    do {                                                                      \
        CU_ASSERT_EQUAL_FATAL((alen), (blen));                                \
        CU_ASSERT_FATAL(memcmp((a), (b), (alen)) == 0);                       \
    } while (0)

#endif
