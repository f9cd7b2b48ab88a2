/*
 * proto.c: the agent's request handler, rule for rule (doc/protocol.md
 * §2-§5.1).
 *
 * Lines arrive as JS strings would: valid UTF-8 after Node's per-chunk
 * decoding. Lengths of V2 bodies are JS string lengths (UTF-16 units) and
 * the CRC hashes the low byte of each unit, as the agent's crc32.js does;
 * for ASCII both are the plain byte values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mdata.h>

#include "proto.h"
#include "util.h"

#define STR_IS(s, n, lit) ((n) == sizeof(lit) - 1 && memcmp((s), lit, (n)) == 0)

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_dec(char c)
{
    return c >= '0' && c <= '9';
}

/* Skip a run of JS whitespace from *i; returns how many code points. */
static size_t skip_ws(const char *s, size_t n, size_t *i)
{
    size_t count = 0;

    while (*i < n) {
        size_t j = *i;

        if (!emu_js_is_space(emu_utf8_next(s, n, &j)))
            break;
        *i = j;
        count++;
    }
    return count;
}

/* Bytes of s up to the first line terminator (where JS '.*' stops). */
static size_t until_terminator(const char *s, size_t n)
{
    size_t i;

    /* CR, LF, or U+2028 / U+2029 (E2 80 A8 / E2 80 A9) */
    for (i = 0; i < n; i++) {
        uint8_t b = (uint8_t)s[i];

        if (b == '\r' || b == '\n')
            return i;
        if (b == 0xE2 && i + 2 < n && (uint8_t)s[i + 1] == 0x80 &&
            ((uint8_t)s[i + 2] == 0xA8 || (uint8_t)s[i + 2] == 0xA9))
            return i;
    }
    return n;
}

void host_format_v2(const char *reqid, const char *code, const void *payload,
                    size_t len, buf_t *out)
{
    size_t rl = strlen(reqid), need, got;
    buf_t body = {0};
    char head[48];
    int hl;

    if (rl <= MDATA_REQID_MAX) {
        need = mdata_frame_encoded_size(rl, strlen(code), len);
        if (out->len + need + 1 > out->cap) {
            out->p = xrealloc(out->p, out->len + need + 1);
            out->cap = out->len + need + 1;
        }
        if (mdata_frame_encode(reqid, code, payload, len, out->p + out->len,
                               need, &got) == 0) {
            out->len += got;
            return;
        }
    }
    /* The agent echoes request ids of any length; the codec stops at 16. */
    buf_adds(&body, reqid);
    buf_addc(&body, ' ');
    buf_adds(&body, code);
    if (len > 0) {
        size_t el = mdata_base64_encoded_len(len);
        char *b64 = xmalloc(el);

        buf_addc(&body, ' ');
        buf_add(&body, b64, mdata_base64_encode(payload, len, b64));
        free(b64);
    }
    hl = snprintf(head, sizeof(head), "V2 %zu %08x ", body.len,
                  (unsigned)mdata_crc32(0, body.p, body.len));
    buf_add(out, head, (size_t)hl);
    buf_add(out, body.p, body.len);
    buf_addc(out, '\n');
    buf_free(&body);
}

/* V1 SUCCESS: the codec stuffs after LF; JS's /^\./mg also matches after
 * CR, U+2028 and U+2029, so stuff those here first. */
static void v1_success(const char *v, size_t n, buf_t *out)
{
    buf_t pre = {0};
    size_t i = 0, need;

    while (i < n) {
        size_t at = i;
        uint32_t cp = emu_utf8_next(v, n, &i);

        buf_add(&pre, v + at, i - at);
        if (cp != '\n' && emu_js_is_terminator(cp) && i < n && v[i] == '.')
            buf_addc(&pre, '.');
    }
    need = mdata_v1_encode_success(pre.p, pre.len, NULL, 0);
    if (out->len + need + 1 > out->cap) {
        out->p = xrealloc(out->p, out->len + need + 1);
        out->cap = out->len + need + 1;
    }
    out->len += mdata_v1_encode_success(pre.p, pre.len, out->p + out->len,
                                        need);
    buf_free(&pre);
}

static void reply_success(host_out_t *out, const char *v, size_t n)
{
    out->action = HOST_REPLY;
    if (out->v2)
        host_format_v2(out->reqid, "SUCCESS", v, n, &out->reply);
    else
        v1_success(v, n, &out->reply);
}

/* FAILURE, with the message in V2 (msg NULL: a non-string value). */
static void reply_failure(host_out_t *out, const char *msg, size_t n)
{
    out->action = HOST_REPLY;
    if (out->v2)
        host_format_v2(out->reqid, "FAILURE", msg, msg ? n : 0, &out->reply);
    else
        buf_adds(&out->reply, "FAILURE\n");
}

static void reply_error(host_out_t *out, const char *msg)
{
    reply_failure(out, msg, strlen(msg));
}

static void reply_crash(host_out_t *out, const char *why)
{
    out->action = HOST_CRASH;
    snprintf(out->why, sizeof(out->why), "%s", why);
}

/* The agent's returnit(): render a value by its JS type (A.5). */
static void returnit(host_out_t *out, vm_result_t *r)
{
    json_t *j = r->jsv.json;
    buf_t s = {0};

    switch (r->kind) {
    case VM_RES_ERROR:
        reply_failure(out, r->text.p, r->text.len);
        return;
    case VM_RES_CRASH:
        reply_crash(out, buf_cstr(&r->text));
        return;
    case VM_RES_STRING:
        reply_success(out, r->text.p, r->text.len);
        return;
    case VM_RES_JSV:
        break;
    }
    if (r->jsv.kind == JSV_UNDEFINED) {
        out->action = HOST_REPLY;
        if (out->v2)
            host_format_v2(out->reqid, "NOTFOUND", NULL, 0, &out->reply);
        else
            buf_adds(&out->reply, "NOTFOUND\n");
        return;
    }
    if (r->jsv.kind != JSV_JSON) { /* an inherited method: non-string */
        reply_failure(out, NULL, 0);
        return;
    }
    switch (json_typeof(j)) {
    case JSON_STRING:
        reply_success(out, json_string_value(j), json_string_length(j));
        return;
    case JSON_INTEGER:
    case JSON_REAL:
        emu_js_number(json_number_value(j), &s);
        break;
    case JSON_TRUE:
        buf_adds(&s, "true");
        break;
    case JSON_FALSE:
        buf_adds(&s, "false");
        break;
    case JSON_NULL:
        reply_crash(out, "TypeError: Cannot read property 'toString' of "
                         "null (a JSON null value)");
        return;
    case JSON_ARRAY:
        /* !isNaN(array) then array.toString(): both go through join() */
        emu_js_join(j, &s);
        if (emu_js_string_is_nan(s.p, s.len)) {
            buf_free(&s);
            reply_failure(out, NULL, 0);
            return;
        }
        break;
    case JSON_OBJECT:
        reply_failure(out, NULL, 0);
        return;
    }
    reply_success(out, s.p, s.len);
    buf_free(&s);
}

/* new Buffer(str, 'base64').toString(): lenient decode, then UTF-8. */
static void b64_string(const char *s, size_t n, buf_t *out)
{
    buf_t low = {0};
    uint8_t *raw;
    size_t rl = 0;

    emu_js_lowbytes(s, n, &low);
    raw = xmalloc(mdata_base64_decoded_maxlen(low.len) + 1);
    if (mdata_base64_decode(low.p, low.len, raw, &rl, MDATA_BASE64_LENIENT,
                            NULL) != 0)
        rl = 0;
    emu_utf8_sanitize(raw, rl, out);
    free(raw);
    buf_free(&low);
}

/*
 * The agent's V2 unwrapping: an unanchored /\s*([0-9]+)\s+([0-9a-f]+)\s+
 * ([0-9a-f]+)\s+(.*)/, the length and CRC of reqid + " " + rest, then
 * /\s*(\S+)\s*(.*)/ on rest. Returns 0 with *cmd / *arg (decoded) set, or
 * -1 (silence) with out->why filled.
 */
static int parse_v2(const char *w, size_t n, host_out_t *out, buf_t *cmd,
                    buf_t *arg)
{
    size_t p, i, d0 = 0, d1 = 0, c0 = 0, c1 = 0, r0 = 0, r1 = 0, rest = 0;
    size_t rest_len = 0, body_units, cmd_end, a;
    int found = 0;
    buf_t body = {0}, low = {0};
    char crc[9], digits[32];
    double clen = 1e300;

    /* Only the start of a digit run can begin a match: a start inside the
     * run, or on the blanks before it, sees the same text after it. So the
     * leftmost match is found in linear time. */
    for (p = 0; p < n && !found; p++) {
        if (!is_dec(w[p]) || (p > 0 && is_dec(w[p - 1])))
            continue;
        d0 = i = p;
        while (i < n && is_dec(w[i]))
            i++;
        d1 = i;
        if (skip_ws(w, n, &i) == 0)
            continue;
        c0 = i;
        while (i < n && is_hex(w[i]))
            i++;
        c1 = i;
        if (c1 == c0 || skip_ws(w, n, &i) == 0)
            continue;
        r0 = i;
        while (i < n && is_hex(w[i]))
            i++;
        r1 = i;
        if (r1 == r0 || skip_ws(w, n, &i) == 0)
            continue;
        rest = i;
        rest_len = until_terminator(w + i, n - i);
        found = 1;
    }
    if (!found) {
        snprintf(out->why, sizeof(out->why), "V2 frame did not parse");
        return -1;
    }
    buf_add(&body, w + r0, r1 - r0);
    buf_addc(&body, ' ');
    buf_add(&body, w + rest, rest_len);
    body_units = (r1 - r0) + 1 + emu_js_length(w + rest, rest_len);
    /* Number(m[1]); longer digit runs cannot equal any real length */
    if (d1 - d0 <= 15) {
        /* exact in a double: the same number strtod gives, cheaper */
        clen = 0;
        for (i = d0; i < d1; i++)
            clen = clen * 10 + (w[i] - '0');
    } else if (d1 - d0 < sizeof(digits)) {
        memcpy(digits, w + d0, d1 - d0);
        digits[d1 - d0] = '\0';
        clen = strtod(digits, NULL);
    }
    if (!(clen > 0) || clen != (double)body_units) {
        snprintf(out->why, sizeof(out->why), "V2 invalid clen: %.*s",
                 (int)(d1 - d0 > 40 ? 40 : d1 - d0), w + d0);
        buf_free(&body);
        return -1;
    }
    emu_js_lowbytes(body.p, body.len, &low);
    {
        static const char hex[] = "0123456789abcdef";
        uint32_t v = mdata_crc32(0, low.p, low.len);
        int k;

        for (k = 7; k >= 0; k--, v >>= 4)
            crc[k] = hex[v & 0xf]; /* "%08x" without printf's cost */
        crc[8] = '\0';
    }
    buf_free(&low);
    buf_free(&body);
    if (c1 - c0 != 8 || memcmp(crc, w + c0, 8) != 0) {
        snprintf(out->why, sizeof(out->why),
                 "V2 crc mismatch (ours %s theirs %.*s)", crc,
                 (int)(c1 - c0 > 16 ? 16 : c1 - c0), w + c0);
        return -1;
    }
    if (rest_len == 0) {
        snprintf(out->why, sizeof(out->why), "V2 invalid body");
        return -1;
    }
    out->reqid = xmalloc(r1 - r0 + 1);
    memcpy(out->reqid, w + r0, r1 - r0);
    out->reqid[r1 - r0] = '\0';
    out->v2 = 1;
    /* rest starts with a non-space and holds no terminator */
    i = rest;
    cmd_end = rest;
    while (i < rest + rest_len) {
        a = i;
        if (emu_js_is_space(emu_utf8_next(w, rest + rest_len, &i))) {
            i = a;
            break;
        }
        cmd_end = i;
    }
    buf_add(cmd, w + rest, cmd_end - rest);
    i = cmd_end;
    skip_ws(w, rest + rest_len, &i);
    b64_string(w + i, rest + rest_len - i, arg);
    return 0;
}

/* JS trim(): [start, start + len) of s. */
static const char *trim(const char *s, size_t n, size_t *len)
{
    size_t r = emu_js_rtrim(s, n), l = emu_js_ltrim(s, r);

    *len = r - l;
    return s + l;
}

static void do_get(vm_t *vm, const host_opts_t *opts, host_out_t *out,
                   const char *want, size_t wn)
{
    vm_result_t r = {0};
    size_t kn, i;
    const char *key = trim(want, wn, &kn);

    if (kn == 0) {
        reply_error(out, "Invalid GET Request");
        return;
    }
    for (i = 0; i < opts->nraw; i++) {
        if (strlen(opts->raw[i].key) == kn &&
            memcmp(opts->raw[i].key, key, kn) == 0) {
            reply_success(out, opts->raw[i].value, opts->raw[i].len);
            return;
        }
    }
    vm_get(vm, key, kn, &r);
    returnit(out, &r);
    vm_result_clear(&r);
}

static void do_keys(vm_t *vm, host_out_t *out)
{
    vm_result_t r = {0};

    vm_keys(vm, &r);
    returnit(out, &r);
    vm_result_clear(&r);
}

/* Refusals are answered now; an accepted update is deferred (A.11). */
static void defer_update(vm_t *vm, host_out_t *out, const char *key,
                         size_t kn, const char *value, size_t vn)
{
    vm_result_t r = {0};

    if (vm_check_update(vm, key, kn, &r) < 0) {
        returnit(out, &r);
        vm_result_clear(&r);
        return;
    }
    vm_result_clear(&r);
    out->action = HOST_DEFERRED;
    out->upd.key = xmalloc(kn + 1);
    memcpy(out->upd.key, key, kn);
    out->upd.key_len = kn;
    if (vn > 0) {
        out->upd.value = xmalloc(vn);
        memcpy(out->upd.value, value, vn);
        out->upd.value_len = vn;
    }
    out->upd.reqid = xstrdup(out->reqid);
}

static void do_delete(vm_t *vm, host_out_t *out, const char *want, size_t wn)
{
    size_t kn;
    const char *key = trim(want, wn, &kn);

    if (kn == 0) {
        reply_error(out, "Invalid DELETE Request");
        return;
    }
    defer_update(vm, out, key, kn, NULL, 0);
}

static void do_put(vm_t *vm, host_out_t *out, const char *want, size_t wn)
{
    size_t tn, kn;
    const char *t = trim(want, wn, &tn), *sp, *key;
    buf_t kb = {0}, vb = {0};

    /* split(' ') must give exactly two terms */
    sp = memchr(t, ' ', tn);
    if (sp == NULL || memchr(sp + 1, ' ', tn - (size_t)(sp + 1 - t)) != NULL) {
        reply_error(out, "Invalid PUT Request");
        return;
    }
    b64_string(t, (size_t)(sp - t), &kb);
    b64_string(sp + 1, tn - (size_t)(sp + 1 - t), &vb);
    key = trim(kb.p, kb.len, &kn);
    if (kn == 0)
        reply_error(out, "Invalid PUT Request");
    else
        defer_update(vm, out, key, kn, vb.p, vb.len);
    buf_free(&kb);
    buf_free(&vb);
}

void host_handle_line(vm_t *vm, const host_opts_t *opts, const char *line,
                      size_t len, host_out_t *out)
{
    size_t i = 0, cmd_end = 0, wn;
    const char *want;
    buf_t cmd = {0}, arg = {0};
    const char *c;
    size_t cn;

    out->action = HOST_REPLY;
    len = emu_js_rtrim(line, len);
    /* /^([^\s]+)\s?(.*)/ */
    while (i < len) {
        size_t at = i;

        if (emu_js_is_space(emu_utf8_next(line, len, &i))) {
            i = at;
            break;
        }
        cmd_end = i;
    }
    if (cmd_end == 0) {
        out->is_probe = 1;
        buf_adds(&out->reply, "invalid command\n");
        return;
    }
    i = cmd_end;
    if (i < len)
        emu_utf8_next(line, len, &i); /* the one optional whitespace */
    want = line + i;
    wn = until_terminator(want, len - i);
    c = line;
    cn = cmd_end;

    if ((STR_IS(c, cn, "NEGOTIATE") || STR_IS(c, cn, "GET")) && wn == 0) {
        buf_adds(&out->reply, "invalid command\n");
        return;
    }
    if (STR_IS(c, cn, "V2") && !opts->v1only) {
        if (parse_v2(want, wn, out, &cmd, &arg) < 0) {
            out->action = HOST_SILENT;
            return;
        }
        c = cmd.p ? cmd.p : "";
        cn = cmd.len;
        want = arg.p ? arg.p : "";
        wn = arg.len;
    }

    if (STR_IS(c, cn, "GET")) {
        do_get(vm, opts, out, want, wn);
    } else if (!out->v2 && STR_IS(c, cn, "NEGOTIATE")) {
        if (STR_IS(want, wn, "V2") && !opts->v1only)
            buf_adds(&out->reply, "V2_OK\n");
        else
            buf_adds(&out->reply, "FAILURE\n");
    } else if (out->v2 && STR_IS(c, cn, "DELETE")) {
        do_delete(vm, out, want, wn);
    } else if (out->v2 && STR_IS(c, cn, "PUT")) {
        do_put(vm, out, want, wn);
    } else if (STR_IS(c, cn, "KEYS")) {
        do_keys(vm, out);
    } else {
        buf_t msg = {0};

        buf_adds(&msg, "Unknown command ");
        buf_add(&msg, c, cn);
        reply_failure(out, msg.p, msg.len);
        buf_free(&msg);
    }
    buf_free(&cmd);
    buf_free(&arg);
}

void host_update_clear(host_update_t *upd)
{
    free(upd->key);
    free(upd->value);
    free(upd->reqid);
    memset(upd, 0, sizeof(*upd));
}

void host_out_clear(host_out_t *out)
{
    buf_free(&out->reply);
    free(out->reqid);
    host_update_clear(&out->upd);
    memset(out, 0, sizeof(*out));
}

void host_finish_update(vm_t *vm, host_update_t *upd, buf_t *reply)
{
    char err[256];

    if (vm_apply_update(vm, upd->key, upd->key_len, upd->value,
                        upd->value_len, err, sizeof(err)) < 0) {
        emu_log(0, "%s", err);
        host_format_v2(upd->reqid, "FAILURE", err, strlen(err), reply);
        return;
    }
    host_format_v2(upd->reqid, "SUCCESS", "OK", 2, reply); /* T0s= */
}
