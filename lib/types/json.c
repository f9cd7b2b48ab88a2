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

json_t *mdata__json_load(const void *json, size_t len, const char *what,
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
