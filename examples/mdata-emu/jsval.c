/*
 * jsval.c: JavaScript semantics the agent's answers depend on. See jsval.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsval.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Buffers                                                             */
/* ------------------------------------------------------------------ */

void buf_add(buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;

        while (ncap < b->len + n + 1)
            ncap *= 2;
        b->p = xrealloc(b->p, ncap);
        b->cap = ncap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void buf_addc(buf_t *b, char c)
{
    buf_add(b, &c, 1);
}

void buf_adds(buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

char *buf_cstr(buf_t *b)
{
    if (b->p == NULL || b->len + 1 > b->cap) {
        b->p = xrealloc(b->p, b->len + 1);
        b->cap = b->len + 1;
    }
    b->p[b->len] = '\0';
    return b->p;
}

/* ------------------------------------------------------------------ */
/* UTF-8 and UTF-16                                                    */
/* ------------------------------------------------------------------ */

static void add_cp(buf_t *out, uint32_t cp)
{
    char u[4];

    if (cp < 0x80) {
        buf_addc(out, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        buf_add(out, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        buf_add(out, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        buf_add(out, u, 4);
    }
}

/* The WHATWG decoder (what Node uses): one U+FFFD per maximal subpart. */
void emu_utf8_sanitize(const uint8_t *in, size_t n, buf_t *out)
{
    size_t i = 0;

    while (i < n) {
        uint8_t b = in[i];
        uint8_t lo = 0x80, hi = 0xBF;
        size_t need, j, k;
        int ok = 1;

        if (b < 0x80) {
            size_t run = i;

            while (run < n && in[run] < 0x80)
                run++;
            buf_add(out, in + i, run - i);
            i = run;
            continue;
        }
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b == 0xE0) {
            need = 2;
            lo = 0xA0;
        } else if (b == 0xED) {
            need = 2;
            hi = 0x9F;
        } else if (b >= 0xE1 && b <= 0xEF) {
            need = 2;
        } else if (b == 0xF0) {
            need = 3;
            lo = 0x90;
        } else if (b == 0xF4) {
            need = 3;
            hi = 0x8F;
        } else if (b >= 0xF1 && b <= 0xF3) {
            need = 3;
        } else {
            add_cp(out, 0xFFFD);
            i++;
            continue;
        }
        j = i + 1;
        for (k = 0; k < need; k++) {
            if (j >= n || in[j] < lo || in[j] > hi) {
                ok = 0;
                break;
            }
            lo = 0x80;
            hi = 0xBF;
            j++;
        }
        if (ok)
            buf_add(out, in + i, j - i);
        else
            add_cp(out, 0xFFFD); /* in[j] is looked at again */
        i = j;
    }
}

uint32_t emu_utf8_next(const char *s, size_t n, size_t *i)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t p = *i;
    uint32_t cp = u[p];

    if (cp < 0x80 || p + 1 >= n) {
        *i = p + 1;
    } else if (cp < 0xE0) {
        cp = ((cp & 0x1F) << 6) | (u[p + 1] & 0x3F);
        *i = p + 2;
    } else if (cp < 0xF0 && p + 2 < n) {
        cp = ((cp & 0x0F) << 12) | ((uint32_t)(u[p + 1] & 0x3F) << 6) |
             (u[p + 2] & 0x3F);
        *i = p + 3;
    } else if (p + 3 < n) {
        cp = ((cp & 0x07) << 18) | ((uint32_t)(u[p + 1] & 0x3F) << 12) |
             ((uint32_t)(u[p + 2] & 0x3F) << 6) | (u[p + 3] & 0x3F);
        *i = p + 4;
    } else {
        *i = n; /* never for sanitized text */
    }
    return cp;
}

size_t emu_js_length(const char *s, size_t n)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t i, units = 0;

    /* valid UTF-8: every byte but a continuation starts a character, and
     * a 4-byte one is a surrogate pair */
    for (i = 0; i < n; i++)
        units += ((u[i] & 0xC0) != 0x80) + (u[i] >= 0xF0);
    return units;
}

void emu_js_lowbytes(const char *s, size_t n, buf_t *out)
{
    size_t i = 0;

    while (i < n) {
        size_t run = i;
        uint32_t cp;

        while (run < n && (uint8_t)s[run] < 0x80)
            run++;
        buf_add(out, s + i, run - i); /* ASCII is its own low byte */
        if ((i = run) >= n)
            break;
        cp = emu_utf8_next(s, n, &i);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            buf_addc(out, (char)((0xD800 + (cp >> 10)) & 0xFF));
            buf_addc(out, (char)((0xDC00 + (cp & 0x3FF)) & 0xFF));
        } else {
            buf_addc(out, (char)(cp & 0xFF));
        }
    }
}

int emu_js_is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
           cp == 0xFEFF;
}

int emu_js_is_terminator(uint32_t cp)
{
    return cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029;
}

size_t emu_js_rtrim(const char *s, size_t n)
{
    size_t i = 0, end = 0;

    /* ASCII tail: decide from the end without walking the whole text */
    while (n > 0 && (uint8_t)s[n - 1] < 0x80) {
        if (!emu_js_is_space((uint8_t)s[n - 1]))
            return n;
        n--;
    }

    while (i < n) {
        uint32_t cp = emu_utf8_next(s, n, &i);

        if (!emu_js_is_space(cp))
            end = i;
    }
    return end;
}

size_t emu_js_ltrim(const char *s, size_t n)
{
    size_t i = 0, prev = 0;

    while (i < n) {
        prev = i;
        if (!emu_js_is_space(emu_utf8_next(s, n, &i)))
            return prev;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

/* Shortest round-trip digits, then ECMAScript's Number::toString layout. */
void emu_js_number(double v, buf_t *out)
{
    char tmp[40], digits[24];
    int p, k = 0, n, e;
    const char *c;

    if (isnan(v)) {
        buf_adds(out, "NaN");
        return;
    }
    if (v == 0) {
        buf_addc(out, '0'); /* -0 too */
        return;
    }
    if (v < 0) {
        buf_addc(out, '-');
        v = -v;
    }
    if (isinf(v)) {
        buf_adds(out, "Infinity");
        return;
    }
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    for (c = tmp; *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            digits[k++] = *c;
    e = atoi(c + 1);
    while (k > 1 && digits[k - 1] == '0')
        k--;
    n = e + 1;
    if (k <= n && n <= 21) {
        buf_add(out, digits, (size_t)k);
        for (p = 0; p < n - k; p++)
            buf_addc(out, '0');
    } else if (0 < n && n <= 21) {
        buf_add(out, digits, (size_t)n);
        buf_addc(out, '.');
        buf_add(out, digits + n, (size_t)(k - n));
    } else if (-6 < n && n <= 0) {
        buf_adds(out, "0.");
        for (p = 0; p < -n; p++)
            buf_addc(out, '0');
        buf_add(out, digits, (size_t)k);
    } else {
        buf_addc(out, digits[0]);
        if (k > 1) {
            buf_addc(out, '.');
            buf_add(out, digits + 1, (size_t)(k - 1));
        }
        snprintf(tmp, sizeof(tmp), "e%c%d", n - 1 >= 0 ? '+' : '-',
                 abs(n - 1));
        buf_adds(out, tmp);
    }
}

static int is_digit_in(char c, int base)
{
    if (base == 16)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F');
    return c >= '0' && c < '0' + base;
}

/* ToNumber's grammar (StringNumericLiteral): NaN unless it matches. */
int emu_js_string_is_nan(const char *s, size_t n)
{
    size_t skip = emu_js_ltrim(s, n), i, digits = 0;

    n = emu_js_rtrim(s, n);
    if (skip >= n)
        return 0; /* empty or blank: 0 */
    s += skip;
    n -= skip;
    if (n > 2 && s[0] == '0') {
        int base = 0;

        if (s[1] == 'x' || s[1] == 'X')
            base = 16;
        else if (s[1] == 'o' || s[1] == 'O')
            base = 8;
        else if (s[1] == 'b' || s[1] == 'B')
            base = 2;
        if (base != 0) {
            for (i = 2; i < n; i++)
                if (!is_digit_in(s[i], base))
                    return 1;
            return 0;
        }
    }
    i = 0;
    if (s[0] == '+' || s[0] == '-')
        i++;
    if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0)
        return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return 1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t ed = 0;

        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            ed++;
        }
        if (ed == 0)
            return 1;
    }
    return i != n;
}

void emu_js_join(json_t *arr, buf_t *out)
{
    size_t i;

    for (i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);

        if (i > 0)
            buf_addc(out, ',');
        switch (json_typeof(e)) {
        case JSON_STRING:
            buf_add(out, json_string_value(e), json_string_length(e));
            break;
        case JSON_INTEGER:
        case JSON_REAL:
            emu_js_number(json_number_value(e), out);
            break;
        case JSON_TRUE:
            buf_adds(out, "true");
            break;
        case JSON_FALSE:
            buf_adds(out, "false");
            break;
        case JSON_ARRAY:
            emu_js_join(e, out);
            break;
        case JSON_OBJECT:
            buf_adds(out, "[object Object]");
            break;
        case JSON_NULL:
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Keys and JSON.stringify                                             */
/* ------------------------------------------------------------------ */

/* A canonical array index ("0", "17", < 2^32 - 1) sorts first in JS. */
static int array_index(const char *k, size_t n, uint64_t *idx)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0 || n > 10 || (n > 1 && k[0] == '0'))
        return 0;
    for (i = 0; i < n; i++) {
        if (k[i] < '0' || k[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(k[i] - '0');
    }
    if (v >= 4294967295u)
        return 0;
    *idx = v;
    return 1;
}

static int cmp_index_key(const void *a, const void *b)
{
    const jskey_t *x = a, *y = b;
    uint64_t ix = 0, iy = 0;

    array_index(x->s, x->n, &ix);
    array_index(y->s, y->n, &iy);
    return ix < iy ? -1 : ix > iy;
}

jskey_t *emu_js_keys(json_t *obj, size_t *n)
{
    size_t total = json_object_size(obj), ni = 0, no = 0;
    jskey_t *keys = xcalloc(total + 1, sizeof(*keys));
    jskey_t *other = xcalloc(total + 1, sizeof(*other));
    void *it;
    uint64_t idx;

    for (it = json_object_iter(obj); it != NULL;
         it = json_object_iter_next(obj, it)) {
        jskey_t k = {json_object_iter_key(it), json_object_iter_key_len(it)};

        if (array_index(k.s, k.n, &idx))
            keys[ni++] = k;
        else
            other[no++] = k;
    }
    qsort(keys, ni, sizeof(*keys), cmp_index_key);
    if (no > 0)
        memcpy(keys + ni, other, no * sizeof(*other));
    free(other);
    *n = ni + no;
    return keys;
}

static void quote(const char *s, size_t n, buf_t *out)
{
    size_t i, start = 0;
    char esc[8];

    buf_addc(out, '"');
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_add(out, s + start, i - start);
        switch (c) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            rep = esc;
        }
        buf_adds(out, rep);
        start = i + 1;
    }
    buf_add(out, s + start, n - start);
    buf_addc(out, '"');
}

static void newline(buf_t *out, int indent, int depth)
{
    int i;

    buf_addc(out, '\n');
    for (i = 0; i < indent * depth; i++)
        buf_addc(out, ' ');
}

static void stringify(json_t *v, int indent, int depth, buf_t *out)
{
    size_t i, n;

    switch (json_typeof(v)) {
    case JSON_NULL:
        buf_adds(out, "null");
        break;
    case JSON_TRUE:
        buf_adds(out, "true");
        break;
    case JSON_FALSE:
        buf_adds(out, "false");
        break;
    case JSON_INTEGER:
    case JSON_REAL: {
        double d = json_number_value(v);

        if (isfinite(d))
            emu_js_number(d, out);
        else
            buf_adds(out, "null");
        break;
    }
    case JSON_STRING:
        quote(json_string_value(v), json_string_length(v), out);
        break;
    case JSON_ARRAY:
        n = json_array_size(v);
        buf_addc(out, '[');
        for (i = 0; i < n; i++) {
            if (i > 0)
                buf_addc(out, ',');
            if (indent)
                newline(out, indent, depth + 1);
            stringify(json_array_get(v, i), indent, depth + 1, out);
        }
        if (indent && n > 0)
            newline(out, indent, depth);
        buf_addc(out, ']');
        break;
    case JSON_OBJECT: {
        jskey_t *keys = emu_js_keys(v, &n);

        buf_addc(out, '{');
        for (i = 0; i < n; i++) {
            if (i > 0)
                buf_addc(out, ',');
            if (indent)
                newline(out, indent, depth + 1);
            quote(keys[i].s, keys[i].n, out);
            buf_adds(out, indent ? ": " : ":");
            stringify(json_object_getn(v, keys[i].s, keys[i].n), indent,
                      depth + 1, out);
        }
        if (indent && n > 0)
            newline(out, indent, depth);
        buf_addc(out, '}');
        free(keys);
        break;
    }
    }
}

void emu_js_stringify(json_t *v, int indent, buf_t *out)
{
    stringify(v, indent, 0, out);
}

/* ------------------------------------------------------------------ */
/* Property access                                                     */
/* ------------------------------------------------------------------ */

/* Inherited names a lookup finds on the prototype chain (node 6-12). */
static const char *const object_proto[] = {
    "constructor", "__defineGetter__", "__defineSetter__", "hasOwnProperty",
    "__lookupGetter__", "__lookupSetter__", "isPrototypeOf",
    "propertyIsEnumerable", "toString", "valueOf", "__proto__",
    "toLocaleString", NULL};
static const char *const array_proto[] = {
    "concat", "copyWithin", "fill", "find", "findIndex", "lastIndexOf",
    "pop", "push", "reverse", "shift", "unshift", "slice", "sort", "splice",
    "includes", "indexOf", "join", "keys", "entries", "values", "forEach",
    "filter", "flat", "flatMap", "map", "every", "some", "reduce",
    "reduceRight", NULL};
static const char *const string_proto[] = {
    "anchor", "big", "blink", "bold", "charAt", "charCodeAt",
    "codePointAt", "concat", "endsWith", "fontcolor", "fontsize", "fixed",
    "includes", "indexOf", "italics", "lastIndexOf", "link",
    "localeCompare", "match", "normalize", "padEnd", "padStart", "repeat",
    "replace", "search", "slice", "small", "split", "strike", "sub",
    "substr", "substring", "sup", "startsWith", "trim", "trimLeft",
    "trimRight", "trimStart", "trimEnd", "toLocaleLowerCase",
    "toLocaleUpperCase", "toLowerCase", "toUpperCase", NULL};
static const char *const number_proto[] = {
    "toExponential", "toFixed", "toPrecision", NULL};

static int in_list(const char *const *list, const char *k, size_t n)
{
    for (; *list != NULL; list++)
        if (strlen(*list) == n && memcmp(*list, k, n) == 0)
            return 1;
    return 0;
}

static jsv_t mk(jsv_kind_t kind, json_t *j)
{
    jsv_t v = {kind, j};
    return v;
}

jsv_t emu_js_get(json_t *obj, const char *key, size_t n)
{
    uint64_t idx;
    int is_length = n == 6 && memcmp(key, "length", 6) == 0;

    if (obj == NULL || json_is_null(obj))
        return mk(JSV_CRASH, NULL); /* TypeError: property of null */
    switch (json_typeof(obj)) {
    case JSON_OBJECT: {
        json_t *m = json_object_getn(obj, key, n);

        if (m != NULL)
            return mk(JSV_JSON, json_incref(m));
        break;
    }
    case JSON_ARRAY:
        if (array_index(key, n, &idx) && idx < json_array_size(obj))
            return mk(JSV_JSON, json_incref(json_array_get(obj, idx)));
        if (is_length)
            return mk(JSV_JSON, json_real((double)json_array_size(obj)));
        /* Array.prototype is itself an empty array */
        if (n == 9 && memcmp(key, "__proto__", 9) == 0)
            return mk(JSV_JSON, json_array());
        if (in_list(array_proto, key, n))
            return mk(JSV_BUILTIN, NULL);
        break;
    case JSON_STRING: {
        const char *s = json_string_value(obj);
        size_t sl = json_string_length(obj);

        if (array_index(key, n, &idx)) {
            size_t i = 0, unit = 0;

            while (i < sl) {
                size_t at = i;
                uint32_t cp = emu_utf8_next(s, sl, &i);
                size_t w = cp >= 0x10000 ? 2 : 1;

                if (idx < unit + w) {
                    /* half a surrogate pair prints as U+FFFD */
                    if (w == 2)
                        return mk(JSV_JSON, json_string("\xEF\xBF\xBD"));
                    return mk(JSV_JSON, json_stringn(s + at, i - at));
                }
                unit += w;
            }
        }
        if (is_length)
            return mk(JSV_JSON, json_real((double)emu_js_length(s, sl)));
        if (in_list(string_proto, key, n))
            return mk(JSV_BUILTIN, NULL);
        break;
    }
    case JSON_INTEGER:
    case JSON_REAL:
        if (in_list(number_proto, key, n))
            return mk(JSV_BUILTIN, NULL);
        break;
    default:
        break;
    }
    if (in_list(object_proto, key, n))
        return mk(JSV_BUILTIN, NULL);
    return mk(JSV_UNDEFINED, NULL);
}

jsv_t emu_js_get_own(json_t *obj, const char *key, size_t n)
{
    jsv_t v;

    /* an object's own members are its JSON members, "__proto__" too */
    if (json_is_object(obj) && json_object_getn(obj, key, n) == NULL)
        return mk(JSV_UNDEFINED, NULL);
    v = emu_js_get(obj, key, n);
    /* what arrays and strings answer from their prototypes is not own
     * (their indices and length are) */
    if (v.kind == JSV_BUILTIN || (json_is_array(obj) && n == 9 &&
                                  memcmp(key, "__proto__", 9) == 0))
        emu_jsv_clear(&v);
    return v;
}

void emu_jsv_clear(jsv_t *v)
{
    if (v->kind == JSV_JSON)
        json_decref(v->json);
    v->kind = JSV_UNDEFINED;
    v->json = NULL;
}
