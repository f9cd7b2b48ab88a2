/*
 * Address, prefix and MAC text. Written for what the host produces
 * (doc/protocol.md §6.1): IPv4 dotted quads, IPv6 in RFC 4291 text, "/len"
 * prefixes, the "dhcp"/"addrconf" keywords. Strict: no leading zeros in
 * IPv4 octets or prefixes (their meaning is ambiguous), no zone ids.
 */
#include <stdio.h>
#include <string.h>

#include "types/types.h"

/* Decimal 0..max, 1-3 digits, no leading zero; -1 if not. */
static int small_decimal(const char *s, size_t n, int max)
{
    int v = 0;
    size_t i;

    if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

static int parse_v4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0, k;

    for (k = 0; k < 4; k++) {
        size_t start = i;
        int v;

        while (i < n && s[i] != '.')
            i++;
        v = small_decimal(s + start, i - start, 255);
        if (v < 0)
            return -1;
        out[k] = (uint8_t)v;
        if (k < 3) {
            if (i >= n)
                return -1; /* too few parts */
            i++;           /* the dot */
        }
    }
    return i == n ? 0 : -1;
}

static int parse_v6(const char *s, size_t n, uint8_t out[16])
{
    uint16_t w[8];
    int nw = 0, gap = -1, k;
    size_t i = 0;

    if (n < 2)
        return -1;
    if (s[0] == ':') {
        if (s[1] != ':')
            return -1;
        gap = 0;
        i = 2;
    }
    while (i < n) {
        size_t start = i, end = i;
        unsigned v = 0;
        int dotted = 0;

        while (end < n && s[end] != ':') {
            if (s[end] == '.')
                dotted = 1;
            end++;
        }
        if (dotted) {
            uint8_t q[4];

            /* A dotted quad only as the last 32 bits. */
            if (end != n || nw > 6 || parse_v4(s + start, end - start, q) < 0)
                return -1;
            w[nw++] = (uint16_t)(q[0] << 8 | q[1]);
            w[nw++] = (uint16_t)(q[2] << 8 | q[3]);
            i = end;
            break;
        }
        if (end - start == 0 || end - start > 4 || nw == 8)
            return -1;
        for (; start < end; start++) {
            int h = mdata__hex_value((unsigned char)s[start]);

            if (h < 0)
                return -1;
            v = v << 4 | (unsigned)h;
        }
        w[nw++] = (uint16_t)v;
        if (end == n) {
            i = n;
            break;
        }
        i = end + 1; /* past ':' */
        if (i < n && s[i] == ':') {
            if (gap >= 0)
                return -1; /* a second "::" */
            gap = nw;
            i++;
        } else if (i == n) {
            return -1; /* a single trailing ':' */
        }
    }
    if (gap < 0 ? nw != 8 : nw > 7)
        return -1;
    memset(out, 0, 16);
    if (gap < 0) {
        gap = nw;
    }
    for (k = 0; k < gap; k++) {
        out[2 * k] = (uint8_t)(w[k] >> 8);
        out[2 * k + 1] = (uint8_t)w[k];
    }
    for (k = gap; k < nw; k++) {
        int at = 8 - (nw - k);

        out[2 * at] = (uint8_t)(w[k] >> 8);
        out[2 * at + 1] = (uint8_t)w[k];
    }
    return 0;
}

static int why_fail(char *why, size_t cap, const char *text, size_t len,
                    const char *what)
{
    char q[72];

    if (why != NULL && cap > 0) {
        mdata__quote(text, len, q, sizeof(q));
        snprintf(why, cap, "%s %s", q, what);
    }
    return MDATA_EINVAL;
}

int mdata__ip_parse(const char *text, size_t len, unsigned flags,
                    mdata_ip_t *out, char *why, size_t why_cap)
{
    mdata_ip_t ip;
    const char *slash;
    size_t alen;
    int maxp;

    if (text == NULL)
        return why_fail(why, why_cap, "", 0, "is not an address");
    if (len == 0)
        return why_fail(why, why_cap, text, len, "is not an address");
    if (len >= MDATA_IP_TEXT_MAX)
        return why_fail(why, why_cap, text, len, "is too long for an address");
    memset(&ip, 0, sizeof(ip));
    memcpy(ip.text, text, len);
    ip.text[len] = '\0';
    if (flags & MDATA_IP_KEYWORDS) {
        if (len == 4 && memcmp(text, "dhcp", 4) == 0) {
            ip.family = MDATA_AF_DHCP;
            *out = ip;
            return 0;
        }
        if (len == 8 && memcmp(text, "addrconf", 8) == 0) {
            ip.family = MDATA_AF_ADDRCONF;
            *out = ip;
            return 0;
        }
    }
    slash = memchr(text, '/', len);
    alen = slash != NULL ? (size_t)(slash - text) : len;
    if (memchr(text, ':', alen) != NULL) {
        ip.family = MDATA_AF_INET6;
        maxp = 128;
        if (parse_v6(text, alen, ip.addr) < 0)
            return why_fail(why, why_cap, text, len, "is not an address");
    } else {
        ip.family = MDATA_AF_INET;
        maxp = 32;
        if (parse_v4(text, alen, ip.addr) < 0)
            return why_fail(why, why_cap, text, len, "is not an address");
    }
    if (slash != NULL) {
        int p;

        if (!(flags & (MDATA_IP_PREFIX_OPTIONAL | MDATA_IP_PREFIX_REQUIRED)))
            return why_fail(why, why_cap, text, len,
                            "must be an address without a prefix length");
        p = small_decimal(slash + 1, len - alen - 1, 999);
        if (p < 0)
            return why_fail(why, why_cap, text, len,
                            "has a malformed prefix length");
        if (p > maxp) {
            char m[48];

            snprintf(m, sizeof(m), "has a prefix length above %d", maxp);
            return why_fail(why, why_cap, text, len, m);
        }
        ip.prefix = (unsigned)p;
    } else {
        if (flags & MDATA_IP_PREFIX_REQUIRED)
            return why_fail(why, why_cap, text, len, "has no prefix length");
        ip.prefix = (unsigned)maxp;
    }
    *out = ip;
    return 0;
}

int mdata_ip_parse(const char *text, size_t len, unsigned flags,
                   mdata_ip_t *out, mdata_error_t *err)
{
    char why[128];
    int rc;

    if (out == NULL || (text == NULL && len > 0))
        return mdata__error(err, MDATA_EINVAL, 0, 0,
                            "mdata_ip_parse: NULL argument");
    rc = mdata__ip_parse(text != NULL ? text : "", len, flags, out, why,
                         sizeof(why));
    if (rc < 0)
        return mdata__error(err, rc, 0, 0, "%s", why);
    return 0;
}

static size_t put(char *buf, size_t cap, size_t at, const char *s)
{
    size_t n = strlen(s), i;

    for (i = 0; i < n; i++, at++)
        if (at + 1 < cap)
            buf[at] = s[i];
    return at;
}

int mdata_ip_format(const mdata_ip_t *ip, int with_prefix, char *buf,
                    size_t cap)
{
    char tmp[MDATA_IP_TEXT_MAX];
    size_t at = 0;

    if (ip == NULL)
        return MDATA_EINVAL;
    switch (ip->family) {
    case MDATA_AF_DHCP:
        at = put(tmp, sizeof(tmp), 0, "dhcp");
        with_prefix = 0;
        break;
    case MDATA_AF_ADDRCONF:
        at = put(tmp, sizeof(tmp), 0, "addrconf");
        with_prefix = 0;
        break;
    case MDATA_AF_INET:
        snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", ip->addr[0], ip->addr[1],
                 ip->addr[2], ip->addr[3]);
        at = strlen(tmp);
        break;
    case MDATA_AF_INET6: {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0xff, 0xff};
        unsigned w[8];
        int k, best = -1, bestlen = 0, run = 0;

        if (memcmp(ip->addr, mapped, 12) == 0) {
            snprintf(tmp, sizeof(tmp), "::ffff:%u.%u.%u.%u", ip->addr[12],
                     ip->addr[13], ip->addr[14], ip->addr[15]);
            at = strlen(tmp);
            break;
        }
        for (k = 0; k < 8; k++) {
            w[k] = (unsigned)ip->addr[2 * k] << 8 | ip->addr[2 * k + 1];
            run = w[k] == 0 ? run + 1 : 0;
            if (run > bestlen) {
                bestlen = run;
                best = k - run + 1;
            }
        }
        if (bestlen < 2) {
            best = -1;
            bestlen = 0;
        }
        for (k = 0; k < 8; k++) {
            char g[8];

            if (k == best) {
                at = put(tmp, sizeof(tmp), at, "::");
                k += bestlen - 1;
                continue;
            }
            if (k > 0 && k != best + bestlen)
                at = put(tmp, sizeof(tmp), at, ":");
            snprintf(g, sizeof(g), "%x", w[k]);
            at = put(tmp, sizeof(tmp), at, g);
        }
        tmp[at] = '\0';
        break;
    }
    default:
        return MDATA_EINVAL;
    }
    if (with_prefix) {
        char p[8];

        snprintf(p, sizeof(p), "/%u", ip->prefix);
        at = put(tmp, sizeof(tmp), at, p);
        tmp[at] = '\0';
    }
    if (cap > 0 && buf != NULL) {
        size_t n = at < cap - 1 ? at : cap - 1;

        memcpy(buf, tmp, n);
        buf[n] = '\0';
    }
    return (int)at;
}

int mdata_ip_equal(const mdata_ip_t *a, const mdata_ip_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return a->family == b->family && a->prefix == b->prefix &&
           memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

int mdata__mac_parse(const char *text, size_t len, uint8_t mac[6])
{
    size_t i = 0;
    int k;

    for (k = 0; k < 6; k++) {
        int h1, h2 = -1;

        if (i >= len || (h1 = mdata__hex_value((unsigned char)text[i])) < 0)
            return MDATA_EINVAL;
        i++;
        if (i < len && (h2 = mdata__hex_value((unsigned char)text[i])) >= 0)
            i++;
        mac[k] = (uint8_t)(h2 < 0 ? h1 : h1 << 4 | h2);
        if (k < 5) {
            if (i >= len || text[i] != ':')
                return MDATA_EINVAL;
            i++;
        }
    }
    return i == len ? 0 : MDATA_EINVAL;
}

void mdata__quote(const char *text, size_t len, char *out, size_t cap)
{
    static const size_t limit = 48;
    size_t i, at = 0;

    if (cap == 0)
        return;
#define PUTC(c)                                                               \
    do {                                                                      \
        if (at + 1 < cap)                                                     \
            out[at++] = (c);                                                  \
    } while (0)
    PUTC('"');
    for (i = 0; i < len && i < limit; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            PUTC((char)c);
        } else {
            char esc[8];
            size_t k;

            if (c == '"' || c == '\\')
                snprintf(esc, sizeof(esc), "\\%c", c);
            else
                snprintf(esc, sizeof(esc), "\\x%02x", c);
            for (k = 0; esc[k] != '\0'; k++)
                PUTC(esc[k]);
        }
    }
    PUTC('"');
    if (i < len) {
        PUTC('.');
        PUTC('.');
        PUTC('.');
    }
#undef PUTC
    out[at] = '\0';
}
