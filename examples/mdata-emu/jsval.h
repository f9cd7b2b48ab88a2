/*
 * jsval.h: the few pieces of JavaScript semantics the SmartOS agent's
 * answers depend on (it is a node program), reproduced over jansson values
 * and UTF-8 byte strings: Node's UTF-8 decoding, the \s whitespace class,
 * trim, Number-to-string, ToNumber, Array join, JSON.stringify, property
 * access on JSON values and key order.
 *
 * Strings here are always valid UTF-8 (emu_utf8_sanitize makes them so),
 * because a JS string is what the agent works on.
 */
#ifndef EMU_JSVAL_H
#define EMU_JSVAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A growable byte buffer. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

void buf_add(buf_t *b, const void *p, size_t n);
void buf_addc(buf_t *b, char c);
void buf_adds(buf_t *b, const char *s);
void buf_free(buf_t *b);
/* Make b->p NUL-terminated (not counted in len) and return it. */
char *buf_cstr(buf_t *b);

/*
 * Node's Buffer.toString(): decode bytes as UTF-8, each maximal invalid
 * subsequence (and a sequence cut off by the end of the input) becoming
 * U+FFFD. Appends valid UTF-8 to out.
 */
void emu_utf8_sanitize(const uint8_t *in, size_t n, buf_t *out);

/* Decode the code point at s[*i] (valid UTF-8) and advance *i. */
uint32_t emu_utf8_next(const char *s, size_t n, size_t *i);
/* Length of s in UTF-16 code units (JS string length). */
size_t emu_js_length(const char *s, size_t n);
/*
 * The low byte of each UTF-16 code unit of s: what the agent's CRC
 * routine and Node's base64 decoder read. Equals s for ASCII.
 */
void emu_js_lowbytes(const char *s, size_t n, buf_t *out);

/* JS \s (WhiteSpace and LineTerminator). */
int emu_js_is_space(uint32_t cp);
/* What JS '.' does not match: \n \r U+2028 U+2029. */
int emu_js_is_terminator(uint32_t cp);
/* Byte length of s without trailing / leading JS whitespace. */
size_t emu_js_rtrim(const char *s, size_t n);
size_t emu_js_ltrim(const char *s, size_t n); /* bytes to skip */

/* Number.prototype.toString() of a double. */
void emu_js_number(double v, buf_t *out);
/* Is ToNumber(string) NaN? */
int emu_js_string_is_nan(const char *s, size_t n);
/* Array.prototype.join(",") as toString() does it, nested arrays too. */
void emu_js_join(json_t *arr, buf_t *out);

/*
 * JSON.stringify(v) (indent 0: compact) or JSON.stringify(v, null, indent).
 * Object keys in JS order (emu_js_keys).
 */
void emu_js_stringify(json_t *v, int indent, buf_t *out);

/* A key of a JSON object (borrowed; may contain NUL). */
typedef struct jskey {
    const char *s;
    size_t n;
} jskey_t;

/*
 * Own enumerable keys of an object in JS order: integer-like keys
 * (canonical array indices) ascending first, then the rest in insertion
 * order. Returns a malloc'd array of borrowed keys; *n its size.
 */
jskey_t *emu_js_keys(json_t *obj, size_t *n);

/* A JS value as the agent sees it after a property lookup. */
typedef enum jsv_kind {
    JSV_UNDEFINED, /* missing property */
    JSV_JSON,      /* a JSON value (may be json null) */
    JSV_BUILTIN,   /* an inherited method or __proto__: truthy, not a
                      string, NaN as a number */
    JSV_CRASH      /* the lookup itself threw (property of null/undefined) */
} jsv_kind_t;

typedef struct jsv {
    jsv_kind_t kind;
    json_t *json; /* a new reference when kind == JSV_JSON */
} jsv_t;

/* obj[key] for a JSON obj (NULL means undefined). */
jsv_t emu_js_get(json_t *obj, const char *key, size_t keylen);
/* obj.hasOwnProperty(key) ? obj[key] : undefined: no inherited members. */
jsv_t emu_js_get_own(json_t *obj, const char *key, size_t keylen);
void emu_jsv_clear(jsv_t *v);

#endif
