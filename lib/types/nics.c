/*
 * sdc:nics into one immutable heap block per list.
 *
 * Layout: the list header at offset 0, then the array of nics, then every
 * string and array a nic refers to. All references are byte offsets from
 * the start of the block (0 = absent) and every nic records its own offset,
 * so a getter finds the block from the nic alone, _dup is one memcpy and
 * _free one free. The block grows while it is built; on any error it is
 * freed whole, so no partial object ever escapes.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/types.h"

struct mdata_nic_field {
    size_t name; /* offset of the member name */
    size_t json; /* offset of its compact JSON text */
};

struct mdata_nic {
    size_t self; /* offset of this nic in its block */
    uint8_t mac[6];
    char mac_text[18];
    size_t interface, nic_tag, network_uuid, model; /* strings */
    unsigned int vlan_id, mtu, flags;
    int primary, legacy, vrrp_vrid;
    size_t vrrp_ip;              /* one mdata_ip_t */
    size_t ips, nips;            /* mdata_ip_t[nips] */
    size_t gws, ngws;            /* mdata_ip_t[ngws] */
    size_t allowed, nallowed;    /* mdata_ip_t[nallowed] */
    size_t cids, ncids;          /* size_t[ncids], string offsets */
    size_t ports, nports;        /* uint16_t[nports] */
    size_t fields, nfields;      /* struct mdata_nic_field[nfields] */
};

struct mdata_nic_list {
    size_t size;  /* bytes in the block */
    size_t count; /* nics */
    size_t nics;  /* offset of struct mdata_nic[count] */
};

/* ------------------------------------------------------------------ */
/* The growing block                                                   */
/* ------------------------------------------------------------------ */

typedef struct blob {
    char *base;
    size_t len, cap;
} blob_t;

#define ALIGN 16

/* Reserve n zeroed bytes at an offset aligned to align; 0 on ENOMEM. */
static size_t blob_reserve(blob_t *b, size_t n, size_t align)
{
    size_t off = (b->len + align - 1) & ~(align - 1), need;

    if (n > SIZE_MAX / 2 - off)
        return 0;
    need = off + n;
    if (need > b->cap) {
        size_t cap = b->cap != 0 ? b->cap : 1024;
        char *p;

        while (cap < need)
            cap *= 2;
        p = realloc(b->base, cap);
        if (p == NULL)
            return 0;
        b->base = p;
        b->cap = cap;
    }
    memset(b->base + b->len, 0, need - b->len);
    b->len = need;
    return off;
}

/* Copy n bytes of s plus a NUL; offset or 0 on ENOMEM. */
static size_t blob_str(blob_t *b, const char *s, size_t n)
{
    size_t off = blob_reserve(b, n + 1, 1);

    if (off != 0)
        memcpy(b->base + off, s, n);
    return off;
}

/* ------------------------------------------------------------------ */
/* Field readers. Each returns 1 when present and valid, 0 when absent, */
/* or a negative code with err filled.                                 */
/* ------------------------------------------------------------------ */

typedef struct nic_ctx {
    blob_t *b;
    const json_t *obj;
    char path[MDATA__PATH1]; /* "nics[3]" */
    mdata_error_t *err;
} nic_ctx_t;

static int enomem(nic_ctx_t *c)
{
    return mdata__path_error(c->err, MDATA_ENOMEM, c->path, "out of memory");
}

static const char *sub(nic_ctx_t *c, char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s.%s", c->path, name);
    return buf;
}

static int get_string(nic_ctx_t *c, const char *name, const json_t **out)
{
    const json_t *v = json_object_get(c->obj, name);
    char p[MDATA__PATH2];

    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return mdata__path_error(c->err, MDATA_EJSON,
                                 sub(c, p, sizeof(p), name),
                                 "expected a string, got %s",
                                 mdata__json_kind(v));
    *out = v;
    return 1;
}

/* A string field copied into the block; *off = 0 when absent. */
static int get_string_off(nic_ctx_t *c, const char *name, size_t *off)
{
    const json_t *v;
    int rc = get_string(c, name, &v);

    *off = 0;
    if (rc <= 0)
        return rc;
    *off = blob_str(c->b, json_string_value(v), json_string_length(v));
    return *off != 0 ? 1 : enomem(c);
}

static int get_int(nic_ctx_t *c, const char *name, long long min,
                   long long max, long long *out)
{
    const json_t *v = json_object_get(c->obj, name);
    char p[MDATA__PATH2];
    long long x;

    if (v == NULL)
        return 0;
    if (!json_is_integer(v))
        return mdata__path_error(c->err, MDATA_EJSON,
                                 sub(c, p, sizeof(p), name),
                                 "expected an integer, got %s",
                                 mdata__json_kind(v));
    x = (long long)json_integer_value(v);
    if (x < min || x > max)
        return mdata__path_error(c->err, MDATA_ERANGE,
                                 sub(c, p, sizeof(p), name),
                                 "%lld is out of range %lld..%lld", x, min,
                                 max);
    *out = x;
    return 1;
}

static int get_bool(nic_ctx_t *c, const char *name, int *out)
{
    const json_t *v = json_object_get(c->obj, name);
    char p[MDATA__PATH2];

    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return mdata__path_error(c->err, MDATA_EJSON,
                                 sub(c, p, sizeof(p), name),
                                 "expected a boolean, got %s",
                                 mdata__json_kind(v));
    *out = json_is_true(v);
    return 1;
}

/*
 * An array field of addresses parsed with flags into a new mdata_ip_t
 * array in the block.
 */
static int get_ip_array(nic_ctx_t *c, const char *name, size_t max,
                        unsigned flags, size_t *off, size_t *count)
{
    const json_t *v = json_object_get(c->obj, name);
    char p[MDATA__PATH2];
    size_t i, n;
    int rc;

    *off = 0;
    *count = 0;
    if (v == NULL)
        return 0;
    sub(c, p, sizeof(p), name);
    rc = mdata__expect_array(v, max, p, c->err);
    if (rc < 0)
        return rc;
    n = json_array_size(v);
    if (n == 0)
        return 1;
    *off = blob_reserve(c->b, n * sizeof(mdata_ip_t), ALIGN);
    if (*off == 0)
        return enomem(c);
    for (i = 0; i < n; i++) {
        char ip[MDATA__PATH3];
        mdata_ip_t *slot = (mdata_ip_t *)(void *)(c->b->base + *off) + i;

        snprintf(ip, sizeof(ip), "%s[%zu]", p, i);
        rc = mdata__json_ip(json_array_get(v, i), flags, ip, slot, c->err);
        if (rc < 0)
            return rc;
    }
    *count = n;
    return 1;
}

/* Store one address in the block; its offset or 0 on ENOMEM. */
static size_t put_ip(blob_t *b, const mdata_ip_t *ip)
{
    size_t off = blob_reserve(b, sizeof(*ip), ALIGN);

    if (off != 0)
        memcpy(b->base + off, ip, sizeof(*ip));
    return off;
}

static int is_uuid(const char *s, size_t n)
{
    size_t i;

    if (n != 36)
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                     (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

/* Every member as name + compact JSON, in document order. */
static int copy_fields(nic_ctx_t *c, struct mdata_nic *nic)
{
    const char *key;
    json_t *value;
    size_t n = json_object_size(c->obj), k = 0;

    nic->nfields = 0;
    nic->fields = 0;
    if (n == 0)
        return 0;
    nic->fields = blob_reserve(c->b, n * sizeof(struct mdata_nic_field),
                               ALIGN);
    if (nic->fields == 0)
        return enomem(c);
    json_object_foreach((json_t *)c->obj, key, value) {
        struct mdata_nic_field f;
        size_t need = json_dumpb(value, NULL, 0,
                                 JSON_COMPACT | JSON_ENCODE_ANY);

        if (k >= n)
            break;
        if (need == 0)
            return enomem(c);
        f.name = blob_str(c->b, key, strlen(key));
        f.json = f.name != 0 ? blob_reserve(c->b, need + 1, 1) : 0;
        if (f.json == 0)
            return enomem(c);
        if (json_dumpb(value, c->b->base + f.json, need,
                       JSON_COMPACT | JSON_ENCODE_ANY) != need)
            return enomem(c);
        memcpy(c->b->base + nic->fields + k * sizeof(f), &f, sizeof(f));
        k++;
    }
    nic->nfields = k;
    return 0;
}

/* Legacy ip/netmask into one address (only called without "ips"). */
static int legacy_ips(nic_ctx_t *c, struct mdata_nic *nic)
{
    const json_t *ipv, *maskv;
    char p[MDATA__PATH2], why[128];
    mdata_ip_t ip, mask;
    uint32_t m;
    int rc, prefix;

    rc = get_string(c, "ip", &ipv);
    if (rc <= 0)
        return rc; /* no address at all */
    sub(c, p, sizeof(p), "ip");
    rc = mdata__json_ip(ipv, MDATA_IP_KEYWORDS, p, &ip, c->err);
    if (rc < 0)
        return rc;
    if (ip.family == MDATA_AF_INET6)
        return mdata__path_error(c->err, MDATA_EJSON, p,
                                 "legacy \"ip\" must be IPv4 or \"dhcp\"");
    if (ip.family == MDATA_AF_INET) {
        rc = get_string(c, "netmask", &maskv);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return mdata__path_error(c->err, MDATA_EJSON, c->path,
                                     "\"ip\" without \"netmask\"");
        sub(c, p, sizeof(p), "netmask");
        rc = mdata__json_ip(maskv, 0, p, &mask, c->err);
        if (rc < 0)
            return rc;
        m = (uint32_t)mask.addr[0] << 24 | (uint32_t)mask.addr[1] << 16 |
            (uint32_t)mask.addr[2] << 8 | mask.addr[3];
        if (mask.family != MDATA_AF_INET || ((~m) & (~m + 1)) != 0) {
            mdata__quote(json_string_value(maskv), json_string_length(maskv),
                         why, sizeof(why));
            return mdata__path_error(c->err, MDATA_EJSON, p,
                                     "%s is not a netmask", why);
        }
        for (prefix = 0; m != 0; m <<= 1)
            prefix++;
        ip.prefix = (unsigned)prefix;
        snprintf(ip.text, sizeof(ip.text), "%s/%d", json_string_value(ipv),
                 prefix);
    }
    nic->ips = put_ip(c->b, &ip);
    if (nic->ips == 0)
        return enomem(c);
    nic->nips = 1;
    nic->legacy = 1;
    return 1;
}

static const struct {
    const char *name;
    unsigned int bit;
} nic_flags[] = {
    {"allow_dhcp_spoofing", MDATA_NIC_ALLOW_DHCP_SPOOFING},
    {"allow_ip_spoofing", MDATA_NIC_ALLOW_IP_SPOOFING},
    {"allow_mac_spoofing", MDATA_NIC_ALLOW_MAC_SPOOFING},
    {"allow_restricted_traffic", MDATA_NIC_ALLOW_RESTRICTED_TRAFFIC},
    {"allow_unfiltered_promisc", MDATA_NIC_ALLOW_UNFILTERED_PROMISC},
    {"dhcp_server", MDATA_NIC_DHCP_SERVER},
};

static int parse_nic(nic_ctx_t *c, struct mdata_nic *nic)
{
    const json_t *v, *arr;
    char p[MDATA__PATH2], q[72];
    long long x;
    size_t i, n;
    int rc, b;

    if (!json_is_object(c->obj))
        return mdata__path_error(c->err, MDATA_EJSON, c->path,
                                 "expected an object, got %s",
                                 mdata__json_kind(c->obj));

    /* mac: required. */
    rc = get_string(c, "mac", &v);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return mdata__path_error(c->err, MDATA_EJSON, c->path,
                                 "missing \"mac\"");
    if (mdata__mac_parse(json_string_value(v), json_string_length(v),
                         nic->mac) < 0) {
        mdata__quote(json_string_value(v), json_string_length(v), q,
                     sizeof(q));
        return mdata__path_error(c->err, MDATA_EJSON,
                                 sub(c, p, sizeof(p), "mac"),
                                 "%s is not a MAC address", q);
    }
    snprintf(nic->mac_text, sizeof(nic->mac_text),
             "%02x:%02x:%02x:%02x:%02x:%02x", nic->mac[0], nic->mac[1],
             nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5]);

    if ((rc = get_string_off(c, "interface", &nic->interface)) < 0 ||
        (rc = get_string_off(c, "nic_tag", &nic->nic_tag)) < 0 ||
        (rc = get_string_off(c, "model", &nic->model)) < 0)
        return rc;

    rc = get_string(c, "network_uuid", &v);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        if (!is_uuid(json_string_value(v), json_string_length(v))) {
            mdata__quote(json_string_value(v), json_string_length(v), q,
                         sizeof(q));
            return mdata__path_error(c->err, MDATA_EJSON,
                                     sub(c, p, sizeof(p), "network_uuid"),
                                     "%s is not a UUID", q);
        }
        rc = get_string_off(c, "network_uuid", &nic->network_uuid);
        if (rc < 0)
            return rc;
    }

    x = 0;
    if ((rc = get_int(c, "vlan_id", 0, 4095, &x)) < 0)
        return rc;
    nic->vlan_id = (unsigned)x;
    x = 0;
    if ((rc = get_int(c, "mtu", 68, 65535, &x)) < 0)
        return rc;
    nic->mtu = (unsigned)x;
    x = -1;
    if ((rc = get_int(c, "vrrp_vrid", 0, 255, &x)) < 0)
        return rc;
    nic->vrrp_vrid = (int)x;

    b = 0;
    if ((rc = get_bool(c, "primary", &b)) < 0)
        return rc;
    nic->primary = b;
    for (i = 0; i < MDATA__ARRAY_SIZE(nic_flags); i++) {
        b = 0;
        if ((rc = get_bool(c, nic_flags[i].name, &b)) < 0)
            return rc;
        if (b)
            nic->flags |= nic_flags[i].bit;
    }

    /* Addresses: ips, or the legacy ip/netmask. */
    if (json_object_get(c->obj, "ips") != NULL)
        rc = get_ip_array(c, "ips", MDATA_NIC_IPS_MAX,
                          MDATA_IP_PREFIX_REQUIRED | MDATA_IP_KEYWORDS,
                          &nic->ips, &nic->nips);
    else
        rc = legacy_ips(c, nic);
    if (rc < 0)
        return rc;

    /* Gateways: gateways, or the legacy gateway. */
    if (json_object_get(c->obj, "gateways") != NULL) {
        rc = get_ip_array(c, "gateways", MDATA_NIC_GATEWAYS_MAX, 0, &nic->gws,
                          &nic->ngws);
        if (rc < 0)
            return rc;
    } else {
        rc = get_string(c, "gateway", &v);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            mdata_ip_t gw;

            rc = mdata__json_ip(v, 0, sub(c, p, sizeof(p), "gateway"), &gw,
                                c->err);
            if (rc < 0)
                return rc;
            nic->gws = put_ip(c->b, &gw);
            if (nic->gws == 0)
                return enomem(c);
            nic->ngws = 1;
        }
    }

    rc = get_ip_array(c, "allowed_ips", MDATA_NIC_ARRAY_MAX,
                      MDATA_IP_PREFIX_OPTIONAL, &nic->allowed, &nic->nallowed);
    if (rc < 0)
        return rc;

    rc = get_string(c, "vrrp_primary_ip", &v);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        mdata_ip_t ip;

        rc = mdata__json_ip(v, 0, sub(c, p, sizeof(p), "vrrp_primary_ip"),
                            &ip, c->err);
        if (rc < 0)
            return rc;
        nic->vrrp_ip = put_ip(c->b, &ip);
        if (nic->vrrp_ip == 0)
            return enomem(c);
    }

    arr = json_object_get(c->obj, "allowed_dhcp_cids");
    if (arr != NULL) {
        sub(c, p, sizeof(p), "allowed_dhcp_cids");
        rc = mdata__expect_array(arr, MDATA_NIC_ARRAY_MAX, p, c->err);
        if (rc < 0)
            return rc;
        n = json_array_size(arr);
        if (n > 0) {
            nic->cids = blob_reserve(c->b, n * sizeof(size_t), ALIGN);
            if (nic->cids == 0)
                return enomem(c);
        }
        for (i = 0; i < n; i++) {
            const json_t *e = json_array_get(arr, i);
            size_t off;

            char ep[MDATA__PATH3];

            snprintf(ep, sizeof(ep), "%s[%zu]", p, i);
            if (!json_is_string(e))
                return mdata__path_error(c->err, MDATA_EJSON, ep,
                                         "expected a string, got %s",
                                         mdata__json_kind(e));
            off = blob_str(c->b, json_string_value(e), json_string_length(e));
            if (off == 0)
                return enomem(c);
            memcpy(c->b->base + nic->cids + i * sizeof(size_t), &off,
                   sizeof(off));
        }
        nic->ncids = n;
    }

    arr = json_object_get(c->obj, "blocked_outgoing_ports");
    if (arr != NULL) {
        sub(c, p, sizeof(p), "blocked_outgoing_ports");
        rc = mdata__expect_array(arr, MDATA_NIC_ARRAY_MAX, p, c->err);
        if (rc < 0)
            return rc;
        n = json_array_size(arr);
        if (n > 0) {
            nic->ports = blob_reserve(c->b, n * sizeof(uint16_t), ALIGN);
            if (nic->ports == 0)
                return enomem(c);
        }
        for (i = 0; i < n; i++) {
            const json_t *e = json_array_get(arr, i);
            uint16_t port;

            char ep[MDATA__PATH3];

            snprintf(ep, sizeof(ep), "%s[%zu]", p, i);
            if (!json_is_integer(e))
                return mdata__path_error(c->err, MDATA_EJSON, ep,
                                         "expected an integer, got %s",
                                         mdata__json_kind(e));
            if (json_integer_value(e) < 0 || json_integer_value(e) > 65535)
                return mdata__path_error(c->err, MDATA_ERANGE, ep,
                                         "%lld is out of range 0..65535",
                                         (long long)json_integer_value(e));
            port = (uint16_t)json_integer_value(e);
            memcpy(c->b->base + nic->ports + i * sizeof(port), &port,
                   sizeof(port));
        }
        nic->nports = n;
    }

    return copy_fields(c, nic);
}

int mdata_nics_parse(const void *json, size_t len, mdata_nic_list_t **out,
                     mdata_error_t *err)
{
    static const mdata__json_bounds_t bounds = {MDATA_NICS_MAX, MDATA_NICS_VALUES_MAX};
    struct mdata_nic_list head;
    json_t *root;
    blob_t b = {NULL, 0, 0};
    size_t i, n, hdr;
    int rc = 0;

    if (out == NULL || (json == NULL && len > 0))
        return mdata__error(err, MDATA_EINVAL, 0, 0,
                            "mdata_nics_parse: NULL argument");
    *out = NULL;
    root = mdata__json_load(json, len, "nics", &bounds, err, &rc);
    if (root == NULL)
        return rc;
    rc = mdata__expect_array(root, MDATA_NICS_MAX, "nics", err);
    if (rc < 0)
        goto fail;
    n = json_array_size(root);
    hdr = blob_reserve(&b, sizeof(head), ALIGN); /* always offset 0 */
    head.nics = hdr == 0 && b.base != NULL
                    ? blob_reserve(&b, n * sizeof(struct mdata_nic), ALIGN)
                    : 0;
    if (b.base == NULL || (n > 0 && head.nics == 0)) {
        rc = mdata__error(err, MDATA_ENOMEM, 0, 0, "nics: out of memory");
        goto fail;
    }
    for (i = 0; i < n; i++) {
        struct mdata_nic nic;
        nic_ctx_t c;

        memset(&nic, 0, sizeof(nic));
        c.b = &b;
        c.obj = json_array_get(root, i);
        c.err = err;
        snprintf(c.path, sizeof(c.path), "nics[%zu]", i);
        nic.self = head.nics + i * sizeof(nic);
        rc = parse_nic(&c, &nic);
        if (rc < 0)
            goto fail;
        memcpy(b.base + nic.self, &nic, sizeof(nic));
    }
    json_decref(root);
    head.size = b.len;
    head.count = n;
    memcpy(b.base, &head, sizeof(head));
    *out = (mdata_nic_list_t *)(void *)b.base;
    return 0;

fail:
    free(b.base);
    json_decref(root);
    return rc;
}

void mdata_nic_list_free(mdata_nic_list_t *list)
{
    free(list);
}

int mdata_nic_list_dup(const mdata_nic_list_t *list, mdata_nic_list_t **out)
{
    if (out == NULL)
        return MDATA_EINVAL;
    *out = NULL;
    if (list == NULL)
        return MDATA_EINVAL;
    *out = malloc(list->size);
    if (*out == NULL)
        return MDATA_ENOMEM;
    memcpy(*out, list, list->size);
    return 0;
}

size_t mdata_nic_list_count(const mdata_nic_list_t *list)
{
    return list != NULL ? list->count : 0;
}

const mdata_nic_t *mdata_nic_list_at(const mdata_nic_list_t *list, size_t i)
{
    if (list == NULL || i >= list->count)
        return NULL;
    return (const mdata_nic_t *)(const void *)((const char *)list +
                                               list->nics) +
           i;
}

const mdata_nic_t *mdata_nic_list_primary(const mdata_nic_list_t *list)
{
    size_t i;

    for (i = 0; i < mdata_nic_list_count(list); i++)
        if (mdata_nic_list_at(list, i)->primary)
            return mdata_nic_list_at(list, i);
    return NULL;
}

const mdata_nic_t *mdata_nic_list_find_mac(const mdata_nic_list_t *list,
                                           const uint8_t mac[6])
{
    size_t i;

    if (mac == NULL)
        return NULL;
    for (i = 0; i < mdata_nic_list_count(list); i++)
        if (memcmp(mdata_nic_list_at(list, i)->mac, mac, 6) == 0)
            return mdata_nic_list_at(list, i);
    return NULL;
}

const mdata_nic_t *mdata_nic_list_find_interface(const mdata_nic_list_t *list,
                                                 const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < mdata_nic_list_count(list); i++) {
        const char *s = mdata_nic_interface(mdata_nic_list_at(list, i));

        if (s != NULL && strcmp(s, name) == 0)
            return mdata_nic_list_at(list, i);
    }
    return NULL;
}

const mdata_nic_t *mdata_nic_list_find_address(const mdata_nic_list_t *list,
                                               const mdata_ip_t *addr)
{
    size_t i, k;

    if (addr == NULL ||
        (addr->family != MDATA_AF_INET && addr->family != MDATA_AF_INET6))
        return NULL;
    for (i = 0; i < mdata_nic_list_count(list); i++) {
        const mdata_nic_t *nic = mdata_nic_list_at(list, i);

        for (k = 0; k < mdata_nic_ip_count(nic); k++) {
            const mdata_ip_t *ip = mdata_nic_ip_at(nic, k);

            if (ip->family == addr->family &&
                memcmp(ip->addr, addr->addr, sizeof(ip->addr)) == 0)
                return nic;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Getters                                                             */
/* ------------------------------------------------------------------ */

#define BASE(nic) ((const char *)(nic) - (nic)->self)
#define STR(nic, off) ((off) != 0 ? BASE(nic) + (off) : NULL)
#define IPS(nic, off) ((const mdata_ip_t *)(const void *)(BASE(nic) + (off)))

const char *mdata_nic_interface(const mdata_nic_t *nic)
{
    return STR(nic, nic->interface);
}

void mdata_nic_mac(const mdata_nic_t *nic, uint8_t out[6])
{
    memcpy(out, nic->mac, 6);
}

const char *mdata_nic_mac_text(const mdata_nic_t *nic)
{
    return nic->mac_text;
}

const char *mdata_nic_tag(const mdata_nic_t *nic)
{
    return STR(nic, nic->nic_tag);
}

unsigned int mdata_nic_vlan_id(const mdata_nic_t *nic)
{
    return nic->vlan_id;
}

int mdata_nic_is_primary(const mdata_nic_t *nic)
{
    return nic->primary;
}

unsigned int mdata_nic_mtu(const mdata_nic_t *nic)
{
    return nic->mtu;
}

const char *mdata_nic_network_uuid(const mdata_nic_t *nic)
{
    return STR(nic, nic->network_uuid);
}

const char *mdata_nic_model(const mdata_nic_t *nic)
{
    return STR(nic, nic->model);
}

size_t mdata_nic_ip_count(const mdata_nic_t *nic)
{
    return nic->nips;
}

const mdata_ip_t *mdata_nic_ip_at(const mdata_nic_t *nic, size_t i)
{
    return i < nic->nips ? IPS(nic, nic->ips) + i : NULL;
}

int mdata_nic_ips_are_legacy(const mdata_nic_t *nic)
{
    return nic->legacy;
}

size_t mdata_nic_gateway_count(const mdata_nic_t *nic)
{
    return nic->ngws;
}

const mdata_ip_t *mdata_nic_gateway_at(const mdata_nic_t *nic, size_t i)
{
    return i < nic->ngws ? IPS(nic, nic->gws) + i : NULL;
}

unsigned int mdata_nic_flags(const mdata_nic_t *nic)
{
    return nic->flags;
}

size_t mdata_nic_allowed_ip_count(const mdata_nic_t *nic)
{
    return nic->nallowed;
}

const mdata_ip_t *mdata_nic_allowed_ip_at(const mdata_nic_t *nic, size_t i)
{
    return i < nic->nallowed ? IPS(nic, nic->allowed) + i : NULL;
}

size_t mdata_nic_allowed_dhcp_cid_count(const mdata_nic_t *nic)
{
    return nic->ncids;
}

const char *mdata_nic_allowed_dhcp_cid_at(const mdata_nic_t *nic, size_t i)
{
    size_t off;

    if (i >= nic->ncids)
        return NULL;
    memcpy(&off, BASE(nic) + nic->cids + i * sizeof(off), sizeof(off));
    return BASE(nic) + off;
}

size_t mdata_nic_blocked_port_count(const mdata_nic_t *nic)
{
    return nic->nports;
}

unsigned int mdata_nic_blocked_port_at(const mdata_nic_t *nic, size_t i)
{
    uint16_t port;

    if (i >= nic->nports)
        return 0;
    memcpy(&port, BASE(nic) + nic->ports + i * sizeof(port), sizeof(port));
    return port;
}

int mdata_nic_vrrp_vrid(const mdata_nic_t *nic)
{
    return nic->vrrp_vrid;
}

const mdata_ip_t *mdata_nic_vrrp_primary_ip(const mdata_nic_t *nic)
{
    return nic->vrrp_ip != 0 ? IPS(nic, nic->vrrp_ip) : NULL;
}

static const struct mdata_nic_field *field_at(const mdata_nic_t *nic,
                                              size_t i)
{
    return (const struct mdata_nic_field *)(const void *)(BASE(nic) +
                                                          nic->fields) +
           i;
}

const char *mdata_nic_field_json(const mdata_nic_t *nic, const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < nic->nfields; i++)
        if (strcmp(BASE(nic) + field_at(nic, i)->name, name) == 0)
            return BASE(nic) + field_at(nic, i)->json;
    return NULL;
}

size_t mdata_nic_field_count(const mdata_nic_t *nic)
{
    return nic->nfields;
}

const char *mdata_nic_field_name_at(const mdata_nic_t *nic, size_t i)
{
    return i < nic->nfields ? BASE(nic) + field_at(nic, i)->name : NULL;
}
