/* jansson glue shared by the parsers: loading, kinds, errors with paths. */
#include <stdio.h>
#include <string.h>

#include "types/types.h"

int mdata__path_error(mdata_error_t *err, int code, const char *path,
                      const char *fmt, ...)
{
    if (err != NULL) {
        char msg[sizeof(err->text)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return mdata__error(err, code, 0, 0, "%s: %s", path, msg);
    }
    return code;
}

const char *mdata__json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "an unknown value";
}

/*
 * Count what jansson would build from the document: every '[' and '{'
 * opens a value and every ',' outside strings starts one more (an element,
 * or a member with its value), so values <= containers + commas + 1. The
 * pass only looks at bytes; syntax is jansson's business afterwards.
 */
static int prescan(const char *p, size_t len, const char *what,
                   const mdata__json_bounds_t *b, mdata_error_t *err)
{
    size_t i, depth = 0, values = 1, entries = 0;
    int in_string = 0, root_array = 0;

    for (i = 0; i < len; i++) {
        char c = p[i];

        if (in_string) {
            if (c == '\\')
                i++; /* the escaped byte cannot end the string */
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        /* the first element of the top-level array has no comma before */
        if (depth == 1 && root_array && entries == 0 && c != ']' &&
            c != ',')
            entries = 1;
        if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (depth == 0)
                root_array = c == '[';
            else
                values++;
            if (++depth > MDATA_JSON_DEPTH_MAX)
                return mdata__error(err, MDATA_ERANGE, 0, i,
                                    "%s: nested deeper than %d levels",
                                    what, MDATA_JSON_DEPTH_MAX);
        } else if (c == ']' || c == '}') {
            if (depth > 0)
                depth--;
        } else if (c == ',') {
            values++;
            if (depth == 1 && root_array)
                entries++;
        }
    }
    if (entries > b->entries)
        return mdata__error(err, MDATA_ERANGE, 0, 0,
                            "%s: %zu entries, at most %zu allowed", what,
                            entries, b->entries);
    if (values > b->values)
        return mdata__error(err, MDATA_ERANGE, 0, 0,
                            "%s: %zu JSON values, at most %zu allowed", what,
                            values, b->values);
    return 0;
}

json_t *mdata__json_load(const void *json, size_t len, const char *what,
                         const mdata__json_bounds_t *bounds,
                         mdata_error_t *err, int *code)
{
    json_error_t jerr;
    json_t *root;
    size_t i;

    /* An empty value (the host's SUCCESS without payload) deserves words
     * of its own rather than the tokenizer's. */
    for (i = 0; i < len; i++) {
        char c = ((const char *)json)[i];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
    }
    if (i == len) {
        *code = mdata__error(err, MDATA_EJSON, 0, len,
                             "%s: empty document, expected a JSON array",
                             what);
        return NULL;
    }
    *code = prescan(json, len, what, bounds, err);
    if (*code < 0)
        return NULL;
    root = json_loadb(json != NULL ? json : "", len,
                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (root != NULL)
        return root;
    /*
     * jansson reports some allocation failures with an empty text and no
     * code, so an empty text is taken as out of memory too. (A few others
     * it reports as syntax errors; those come out as MDATA_EJSON.)
     */
    if (jerr.text[0] == '\0'
#if JANSSON_VERSION_HEX >= 0x020b00
        || json_error_code(&jerr) == json_error_out_of_memory
#endif
    ) {
        *code = mdata__error(err, MDATA_ENOMEM, 0, 0,
                             "%s: out of memory parsing JSON", what);
        return NULL;
    }
    *code = mdata__error(err, MDATA_EJSON, 0,
                         jerr.position > 0 ? (size_t)jerr.position : 0,
                         "%s: invalid JSON at line %d column %d: %s", what,
                         jerr.line, jerr.column, jerr.text);
    return NULL;
}

int mdata__expect_array(const json_t *v, size_t max, const char *path,
                        mdata_error_t *err)
{
    if (!json_is_array(v))
        return mdata__path_error(err, MDATA_EJSON, path,
                                 "expected an array, got %s",
                                 mdata__json_kind(v));
    if (json_array_size(v) > max)
        return mdata__path_error(err, MDATA_ERANGE, path,
                                 "%zu entries, at most %zu allowed",
                                 json_array_size(v), max);
    return 0;
}

int mdata__json_ip(const json_t *v, unsigned flags, const char *path,
                   mdata_ip_t *out, mdata_error_t *err)
{
    char why[128];

    if (!json_is_string(v))
        return mdata__path_error(err, MDATA_EJSON, path,
                                 "expected an address string, got %s",
                                 mdata__json_kind(v));
    if (mdata__ip_parse(json_string_value(v), json_string_length(v), flags,
                        out, why, sizeof(why)) < 0)
        return mdata__path_error(err, MDATA_EJSON, path, "%s", why);
    return 0;
}
