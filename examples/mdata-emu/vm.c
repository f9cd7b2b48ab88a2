/*
 * vm.c: the VM store and the agent's key routing (doc/protocol.md §5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"

#define KEY_IS(k, n, lit) ((n) == sizeof(lit) - 1 && memcmp((k), lit, (n)) == 0)
#define HAS_PREFIX(k, n, lit)                                                 \
    ((n) >= sizeof(lit) - 1 && memcmp((k), lit, sizeof(lit) - 1) == 0)

int vm_load(vm_t *vm, const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *obj;

    /* Numbers as doubles, like JSON.parse; NUL allowed as in JS strings. */
    obj = json_load_file(path,
                         JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL,
                         &je);
    if (obj == NULL) {
        if (je.line < 0)
            snprintf(err, errlen, "%s: %s", path, je.text);
        else
            snprintf(err, errlen, "%s:%d:%d: not valid JSON: %s", path,
                     je.line, je.column, je.text);
        return -1;
    }
    if (!json_is_object(obj)) {
        static const char *const names[] = {"an object", "an array",
                                            "a string", "a number",
                                            "a number", "true", "false",
                                            "null"};

        snprintf(err, errlen,
                 "%s: the VM must be a JSON object (as `vmadm get` prints "
                 "it), not %s",
                 path, names[json_typeof(obj)]);
        json_decref(obj);
        return -1;
    }
    vm->obj = obj;
    return 0;
}

void vm_free(vm_t *vm)
{
    json_decref(vm->obj);
    vm->obj = NULL;
}

void vm_result_clear(vm_result_t *r)
{
    emu_jsv_clear(&r->jsv);
    buf_free(&r->text);
    r->kind = VM_RES_JSV;
}

static void set_text(vm_result_t *r, vm_res_kind_t kind, const char *s,
                     size_t n)
{
    r->kind = kind;
    r->text.len = 0;
    buf_add(&r->text, s, n);
}

static void crash(vm_result_t *r, const char *why)
{
    set_text(r, VM_RES_CRASH, why, strlen(why));
}

static void set_jsv(vm_result_t *r, jsv_t v)
{
    if (v.kind == JSV_CRASH) {
        crash(r, "TypeError: property lookup on null or undefined");
        return;
    }
    r->kind = VM_RES_JSV;
    r->jsv = v;
}

static void stringify_into(vm_result_t *r, json_t *v)
{
    r->kind = VM_RES_STRING;
    r->text.len = 0;
    emu_js_stringify(v, 0, &r->text);
}

/* vm.hasOwnProperty(name) ? vm[name] : NULL */
static json_t *own(vm_t *vm, const char *name)
{
    return json_object_get(vm->obj, name);
}

/* ------------------------------------------------------------------ */
/* Namespaces                                                          */
/* ------------------------------------------------------------------ */

/*
 * Is key in an internal_metadata namespace? 1 (and *ns_len = the length of
 * the prefix before the first ':'), 0, or -1 when the agent would throw
 * (internal_metadata_namespaces present but not an array).
 */
static int internal_ns(vm_t *vm, const char *key, size_t n, size_t *ns_len)
{
    const char *colon = memchr(key, ':', n);
    json_t *nss = own(vm, "internal_metadata_namespaces");
    size_t i, plen;

    if (colon == NULL || nss == NULL)
        return 0;
    if (!json_is_array(nss))
        return -1; /* .forEach is not a function */
    plen = (size_t)(colon - key);
    for (i = 0; i < json_array_size(nss); i++) {
        json_t *ns = json_array_get(nss, i);

        if (json_is_string(ns) && json_string_length(ns) == plen &&
            memcmp(json_string_value(ns), key, plen) == 0) {
            *ns_len = plen;
            return 1;
        }
    }
    return 0;
}

static int ends_pw(const char *key, size_t n)
{
    return n >= 3 && memcmp(key + n - 3, "_pw", 3) == 0;
}

/* ------------------------------------------------------------------ */
/* sdc:routes (A.7)                                                    */
/* ------------------------------------------------------------------ */

/* Find /tag\[(inner)\]/ anywhere in s (tag "nics" needs digits inside). */
static int find_bracket(const char *s, size_t n, const char *tag,
                        int digits_only, const char **inner, size_t *ilen)
{
    size_t tl = strlen(tag), i, j;

    for (i = 0; i + tl + 2 <= n; i++) {
        if (memcmp(s + i, tag, tl) != 0 || s[i + tl] != '[')
            continue;
        for (j = i + tl + 1; j < n && s[j] != ']'; j++)
            if (digits_only && (s[j] < '0' || s[j] > '9'))
                break;
        if (j < n && s[j] == ']' && j > i + tl + 1) {
            *inner = s + i + tl + 1;
            *ilen = j - (i + tl + 1);
            return 1;
        }
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * A MAC as a number, so case and format do not matter: six groups of one
 * or two hex digits separated by ':' or '-', or twelve hex digits.
 */
static int parse_mac(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    int g;

    if (n == 12) {
        for (i = 0; i < 12; i++) {
            if (hexval(s[i]) < 0)
                return 0;
            v = (v << 4) | (uint64_t)hexval(s[i]);
        }
        *out = v;
        return 1;
    }
    for (g = 0; g < 6; g++) {
        int d = 0, x = 0;

        if (g > 0) {
            if (i >= n || (s[i] != ':' && s[i] != '-'))
                return 0;
            i++;
        }
        while (i < n && d < 2 && hexval(s[i]) >= 0) {
            x = x * 16 + hexval(s[i++]);
            d++;
        }
        if (d == 0)
            return 0;
        v = (v << 8) | (uint64_t)x;
    }
    if (i != n)
        return 0;
    *out = v;
    return 1;
}

/* The nic's ip when a link-local route may use it, else NULL. */
static json_t *usable_ip(json_t *nic)
{
    json_t *ip;

    if (!json_is_object(nic))
        return NULL;
    ip = json_object_get(nic, "ip");
    if (ip == NULL ||
        (json_is_string(ip) && strcmp(json_string_value(ip), "dhcp") == 0))
        return NULL;
    return ip;
}

static int truthy(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
    case JSON_REAL:
        return json_number_value(v) != 0;
    default:
        return 1;
    }
}

/* One routes entry; returns 0, or -1 when the agent would throw. */
static int add_route(vm_t *vm, json_t *out, const char *dst, size_t dlen,
                     json_t *gw)
{
    json_t *nics = own(vm, "nics"), *ip = NULL, *route;
    const char *gs, *inner;
    size_t glen, ilen;
    int linklocal = 0;

    if (!json_is_string(gw))
        return -1; /* .match is not a function */
    gs = json_string_value(gw);
    glen = json_string_length(gw);
    if (find_bracket(gs, glen, "nics", 1, &inner, &ilen)) {
        char idx[32];
        jsv_t nic;

        linklocal = 1;
        if (nics == NULL || ilen > 20)
            return 0;
        /* Number("007") is 7: look the index up in canonical form */
        while (ilen > 1 && inner[0] == '0') {
            inner++;
            ilen--;
        }
        memcpy(idx, inner, ilen);
        nic = emu_js_get(nics, idx, ilen);
        if (nic.kind == JSV_CRASH)
            return -1;
        if (nic.kind == JSV_JSON && truthy(nic.json))
            ip = usable_ip(nic.json);
        emu_jsv_clear(&nic);
        if (ip == NULL)
            return 0; /* silently dropped */
    } else if (find_bracket(gs, glen, "macs", 0, &inner, &ilen)) {
        uint64_t want, have;
        size_t i;

        linklocal = 1;
        if (!parse_mac(inner, ilen, &want) || !json_is_array(nics))
            return 0;
        for (i = 0; i < json_array_size(nics); i++) {
            json_t *nic = json_array_get(nics, i);
            json_t *mac = json_is_object(nic) ? json_object_get(nic, "mac")
                                              : NULL;

            if (json_is_string(mac) &&
                parse_mac(json_string_value(mac), json_string_length(mac),
                          &have) &&
                have == want) {
                ip = usable_ip(nic);
                break;
            }
        }
        if (ip == NULL)
            return 0;
    } else {
        ip = gw;
    }
    route = json_object();
    json_object_set_new(route, "linklocal", json_boolean(linklocal));
    json_object_set_new(route, "dst", json_stringn(dst, dlen));
    json_object_set(route, "gateway", ip);
    json_array_append_new(out, route);
    return 0;
}

/* for (r in vm.routes): objects by key, arrays and strings by index. */
static void compute_routes(vm_t *vm, json_t *routes, vm_result_t *r)
{
    json_t *out = json_array();
    char idx[32];
    size_t i, n;
    int rc = 0;

    if (json_is_object(routes)) {
        jskey_t *keys = emu_js_keys(routes, &n);

        for (i = 0; i < n && rc == 0; i++)
            rc = add_route(vm, out, keys[i].s, keys[i].n,
                           json_object_getn(routes, keys[i].s, keys[i].n));
        free(keys);
    } else if (json_is_array(routes)) {
        for (i = 0; i < json_array_size(routes) && rc == 0; i++) {
            int len = snprintf(idx, sizeof(idx), "%zu", i);

            rc = add_route(vm, out, idx, (size_t)len,
                           json_array_get(routes, i));
        }
    } else if (json_is_string(routes)) {
        const char *s = json_string_value(routes);
        size_t sl = json_string_length(routes), pos = 0, unit = 0;

        while (pos < sl && rc == 0) {
            size_t at = pos;
            uint32_t cp = emu_utf8_next(s, sl, &pos);
            json_t *ch = json_stringn(s + at, pos - at);
            int len = snprintf(idx, sizeof(idx), "%zu", unit);

            rc = add_route(vm, out, idx, (size_t)len, ch);
            json_decref(ch);
            unit += cp >= 0x10000 ? 2 : 1;
        }
    }
    if (rc < 0)
        crash(r, "TypeError: a routes value is not a string");
    else
        stringify_into(r, out);
    json_decref(out);
}

/* ------------------------------------------------------------------ */
/* GET (A.6)                                                           */
/* ------------------------------------------------------------------ */

/* Step through obj[token] for each token, NOTFOUND on a missing link. */
static void walk(json_t *start, const char *const *tok, const size_t *tlen,
                 int ntok, vm_result_t *r)
{
    jsv_t cur = {JSV_JSON, json_incref(start)};
    int i;

    for (i = 0; i < ntok; i++) {
        jsv_t next;

        if (cur.kind != JSV_JSON || json_is_null(cur.json)) {
            emu_jsv_clear(&cur);
            r->kind = VM_RES_JSV; /* undefined: NOTFOUND */
            return;
        }
        next = emu_js_get(cur.json, tok[i], tlen[i]);
        emu_jsv_clear(&cur);
        cur = next;
    }
    set_jsv(r, cur);
}

/* VM.flatten(vm, path) as doc/protocol.md §5.2 describes it. */
static void flatten(vm_t *vm, const char *p, size_t n, vm_result_t *r)
{
    const char *tok[3];
    size_t tlen[3], i, start = 0;
    int ntok = 0, many = 0;

    for (i = 0; i <= n; i++) {
        if (i < n && p[i] != '.')
            continue;
        if (ntok < 3) {
            tok[ntok] = p + start;
            tlen[ntok] = i - start;
        } else {
            many = 1;
        }
        ntok++;
        start = i + 1;
    }
    if (!many && ntok == 3 &&
        (KEY_IS(tok[0], tlen[0], "nics") || KEY_IS(tok[0], tlen[0], "disks") ||
         KEY_IS(tok[0], tlen[0], "pci_devices"))) {
        walk(vm->obj, tok, tlen, 3, r);
        return;
    }
    if (ntok == 2 &&
        (KEY_IS(tok[0], tlen[0], "customer_metadata") ||
         KEY_IS(tok[0], tlen[0], "internal_metadata") ||
         KEY_IS(tok[0], tlen[0], "routes") || KEY_IS(tok[0], tlen[0], "tags") ||
         KEY_IS(tok[0], tlen[0], "resolvers") ||
         KEY_IS(tok[0], tlen[0], "internal_metadata_namespaces"))) {
        walk(vm->obj, tok, tlen, 2, r);
        return;
    }
    /* one token, or any other shape: a literal top-level lookup */
    tok[0] = p;
    tlen[0] = n;
    walk(vm->obj, tok, tlen, 1, r);
}

static void get_sdc(vm_t *vm, const char *p, size_t n, vm_result_t *r)
{
    json_t *v;

    if (KEY_IS(p, n, "nics") && (v = own(vm, "nics")) != NULL) {
        stringify_into(r, v);
    } else if (KEY_IS(p, n, "resolvers") &&
               (v = own(vm, "resolvers")) != NULL) {
        stringify_into(r, v);
    } else if (KEY_IS(p, n, "tmpfs") && (v = own(vm, "tmpfs")) != NULL) {
        stringify_into(r, v);
    } else if (KEY_IS(p, n, "routes") && (v = own(vm, "routes")) != NULL) {
        compute_routes(vm, v, r);
    } else if (KEY_IS(p, n, "operator-script") || KEY_IS(p, n, "volumes")) {
        const char *k = n == 7 ? "sdc:volumes" : "operator-script";

        set_jsv(r, emu_js_get(own(vm, "internal_metadata"), k, strlen(k)));
    } else if (HAS_PREFIX(p, n, "tags.")) {
        json_t *tags = own(vm, "tags");

        /* The agent asks tags.hasOwnProperty(name) first: an inherited
         * name (constructor, toString, __proto__) is NOTFOUND here,
         * unlike the metadata stores' lookups. */
        if (tags == NULL || json_is_null(tags))
            r->kind = VM_RES_JSV; /* NOTFOUND */
        else
            set_jsv(r, emu_js_get_own(tags, p + 5, n - 5));
    } else {
        flatten(vm, p, n, r);
    }
}

void vm_get(vm_t *vm, const char *key, size_t n, vm_result_t *r)
{
    const char *which = "customer_metadata";
    size_t ns_len;
    int ns;
    json_t *store;
    char msg[64];

    vm_result_clear(r);
    if (HAS_PREFIX(key, n, "sdc:")) {
        get_sdc(vm, key + 4, n - 4, r);
        return;
    }
    if (ends_pw(key, n))
        which = "internal_metadata";
    ns = internal_ns(vm, key, n, &ns_len);
    if (ns < 0) {
        crash(r, "TypeError: internal_metadata_namespaces is not an array");
        return;
    }
    if (ns > 0)
        which = "internal_metadata";
    store = own(vm, which);
    if (store == NULL) {
        int len = snprintf(msg, sizeof(msg), "Zone did not contain %s", which);

        set_text(r, VM_RES_ERROR, msg, (size_t)len);
        return;
    }
    set_jsv(r, emu_js_get(store, key, n));
}

/* ------------------------------------------------------------------ */
/* KEYS (A.8)                                                          */
/* ------------------------------------------------------------------ */

/* Object.keys(store) filtered; -1 when Object.keys would throw. */
static int add_keys(vm_t *vm, json_t *store, int want_internal, buf_t *out,
                    size_t *count)
{
    jskey_t *keys;
    size_t i, n, ns_len;

    if (store == NULL || json_is_null(store))
        return -1; /* Object.keys(undefined) */
    if (!json_is_object(store))
        return 0; /* the emulator lists nothing for odd store types */
    keys = emu_js_keys(store, &n);
    for (i = 0; i < n; i++) {
        int ns = internal_ns(vm, keys[i].s, keys[i].n, &ns_len);
        int internal = ends_pw(keys[i].s, keys[i].n) || ns > 0;

        if (ns < 0) {
            free(keys);
            return -1;
        }
        if (internal != want_internal)
            continue;
        if ((*count)++ > 0)
            buf_addc(out, '\n'); /* join('\n'): no trailing newline */
        buf_add(out, keys[i].s, keys[i].n);
    }
    free(keys);
    return 0;
}

void vm_keys(vm_t *vm, vm_result_t *r)
{
    size_t count = 0;

    vm_result_clear(r);
    if (add_keys(vm, own(vm, "customer_metadata"), 0, &r->text, &count) < 0 ||
        add_keys(vm, own(vm, "internal_metadata"), 1, &r->text, &count) < 0) {
        crash(r, "TypeError: KEYS on a VM without customer_metadata or "
                 "internal_metadata");
        return;
    }
    r->kind = VM_RES_STRING;
}

/* ------------------------------------------------------------------ */
/* PUT and DELETE (A.9, A.10)                                          */
/* ------------------------------------------------------------------ */

int vm_check_update(vm_t *vm, const char *key, size_t n, vm_result_t *r)
{
    size_t ns_len;
    int ns;
    buf_t msg = {0};

    vm_result_clear(r);
    if (HAS_PREFIX(key, n, "sdc:")) {
        set_text(r, VM_RES_ERROR, "Cannot update the \"sdc\" Namespace.",
                 strlen("Cannot update the \"sdc\" Namespace."));
        return -1;
    }
    ns = internal_ns(vm, key, n, &ns_len);
    if (ns < 0) {
        crash(r, "TypeError: internal_metadata_namespaces is not an array");
        return -1;
    }
    if (ns > 0) {
        buf_adds(&msg, "Cannot update the \"");
        buf_add(&msg, key, ns_len);
        buf_adds(&msg, "\" Namespace.");
        set_text(r, VM_RES_ERROR, msg.p, msg.len);
        buf_free(&msg);
        return -1;
    }
    return 0;
}

/* Write the VM next to path, then rename over it: all or nothing. */
static int save(vm_t *vm, char *err, size_t errlen)
{
    buf_t text = {0};
    char *tmp;
    size_t tl = strlen(vm->save_path) + 32;
    FILE *f;
    struct stat st;
    int ok;

    emu_js_stringify(vm->obj, 2, &text);
    buf_addc(&text, '\n');
    tmp = xmalloc(tl);
    snprintf(tmp, tl, "%s.tmp.%ld", vm->save_path, (long)getpid());
    f = fopen(tmp, "w");
    /* keep the mode of the file being replaced */
    if (f != NULL && stat(vm->save_path, &st) == 0)
        fchmod(fileno(f), st.st_mode & 07777);
    ok = f != NULL && fwrite(text.p, 1, text.len, f) == text.len;
    if (f != NULL) {
        ok = fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
    }
    ok = ok && rename(tmp, vm->save_path) == 0;
    if (!ok) {
        snprintf(err, errlen, "cannot save %s: %s", vm->save_path,
                 strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    buf_free(&text);
    return ok ? 0 : -1;
}

int vm_apply_update(vm_t *vm, const char *key, size_t n, const char *value,
                    size_t value_len, char *err, size_t errlen)
{
    const char *which = ends_pw(key, n) || KEY_IS(key, n, "operator-script")
                            ? "internal_metadata"
                            : "customer_metadata";
    json_t *store = own(vm, which), *old;
    int created = 0;

    if (!json_is_object(store)) {
        if (value_len == 0)
            return 0; /* nothing to remove */
        store = json_object();
        json_object_set_new(vm->obj, which, store);
        created = 1;
    }
    old = json_incref(json_object_getn(store, key, n));
    if (value_len > 0)
        json_object_setn_new(store, key, n, json_stringn(value, value_len));
    else
        json_object_deln(store, key, n);
    if (vm->save_path != NULL && save(vm, err, errlen) < 0) {
        /* undo, so memory matches what is on disk */
        if (created)
            json_object_del(vm->obj, which);
        else if (old != NULL)
            json_object_setn(store, key, n, old);
        else
            json_object_deln(store, key, n);
        json_decref(old);
        return -1;
    }
    json_decref(old);
    return 0;
}
