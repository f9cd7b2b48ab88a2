/* Internal declarations of the types layer. Public API in mdata.h. */
#ifndef MDATA_TYPES_H
#define MDATA_TYPES_H

#include <jansson.h>

#include "common/common.h"

/* Path buffers, sized so the compiler can prove no truncation:
 * "resolvers[N]", then ".field", then "[N]" again. */
#define MDATA__PATH1 32
#define MDATA__PATH2 64
#define MDATA__PATH3 96

/*
 * Parse an address (see mdata_ip_parse). On failure returns MDATA_EINVAL
 * and writes a short reason (without path) into why.
 */
int mdata__ip_parse(const char *text, size_t len, unsigned flags,
                    mdata_ip_t *out, char *why, size_t why_cap);

/* Parse "aa:bb:cc:dd:ee:ff" (groups of 1-2 hex digits, any case). */
int mdata__mac_parse(const char *text, size_t len, uint8_t mac[6]);

/*
 * Quote text for an error message: double quotes around it, bytes outside
 * printable ASCII as \xNN, cut with "..." past a limit. Always
 * NUL-terminates out (cap > 0).
 */
void mdata__quote(const char *text, size_t len, char *out, size_t cap);

/*
 * Fill err with "<path>: <formatted message>" and return code.
 */
int mdata__path_error(mdata_error_t *err, int code, const char *path,
                      const char *fmt, ...) MDATA__PRINTF(4, 5);

/* "an object", "a string", ... for messages. */
const char *mdata__json_kind(const json_t *v);

/* What a document may hold before it is parsed (see mdata__json_load). */
typedef struct mdata__json_bounds {
    size_t entries; /* elements of a top-level array */
    size_t values;  /* values in the whole document */
} mdata__json_bounds_t;

/*
 * Load json bytes with the parsers' flags (any top-level value, duplicate
 * keys rejected), after a pass that refuses, without allocating, a
 * document over bounds or nested deeper than MDATA_JSON_DEPTH_MAX
 * (MDATA_ERANGE; a top-level array's excess reads "N entries, at most M
 * allowed"). On failure returns NULL and fills err (MDATA_ERANGE,
 * MDATA_EJSON with the syntax error and its position, or MDATA_ENOMEM)
 * with what as path.
 */
json_t *mdata__json_load(const void *json, size_t len, const char *what,
                         const mdata__json_bounds_t *bounds,
                         mdata_error_t *err, int *code);

/*
 * Expect v to be an array of at most max entries; on failure fill err
 * (MDATA_EJSON or MDATA_ERANGE) and return the code.
 */
int mdata__expect_array(const json_t *v, size_t max, const char *path,
                        mdata_error_t *err);

/*
 * Parse the JSON string v as an address with flags; errors name path and
 * are MDATA_EJSON.
 */
int mdata__json_ip(const json_t *v, unsigned flags, const char *path,
                   mdata_ip_t *out, mdata_error_t *err);

#endif
