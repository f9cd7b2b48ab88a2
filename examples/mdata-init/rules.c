/* rules.c: mdata-init's decisions, free of I/O (see rules.h). */
#include "rules.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mdata.h"
#include "model.h"

void mi_trim(const char **start, size_t *len)
{
    const char *s = *start;
    size_t n = *len;

    while (n > 0 && isspace((unsigned char)s[0])) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

int mi_is_true(const char *text, size_t len)
{
    static const char *const yes[] = {"true", "1", "on", "yes"};
    size_t i;

    if (text == NULL)
        return 0;
    mi_trim(&text, &len);
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strlen(yes[i]) == len && strncasecmp(text, yes[i], len) == 0)
            return 1;
    return 0;
}

/* A trimmed candidate copied into buf when it is a usable host name. */
static int candidate(const char *value, char *buf, size_t cap)
{
    size_t len;

    if (value == NULL)
        return -1;
    len = strlen(value);
    mi_trim(&value, &len);
    if (len == 0 || len >= cap)
        return len == 0 ? -1 : 0;
    memcpy(buf, value, len);
    buf[len] = '\0';
    return nc_hostname_valid(buf) ? 1 : 0;
}

int mi_choose_hostname(const char *hostname, const char *sdc_hostname,
                       const char *uuid, const char *domain,
                       char short_out[MI_SHORTNAME_MAX],
                       char fqdn_out[MI_FQDN_MAX], nc_buf_t *warn)
{
    const char *const cands[3] = {hostname, sdc_hostname, uuid};
    static const char *const names[3] = {"hostname", "sdc:hostname",
                                         "sdc:uuid"};
    char name[MI_FQDN_MAX], dom[MI_FQDN_MAX];
    int i, ok;

    short_out[0] = '\0';
    fqdn_out[0] = '\0';
    for (i = 0; i < 3; i++) {
        const char *dot;

        ok = candidate(cands[i], name, sizeof(name));
        if (ok < 0)
            continue; /* absent or empty: the next one, quietly */
        if (ok == 0) {
            nc_buf_printf(warn, "%s is not a valid host name; ignored\n",
                          names[i]);
            continue;
        }
        dot = strchr(name, '.');
        if (dot != NULL) {
            memcpy(short_out, name, (size_t)(dot - name));
            short_out[dot - name] = '\0';
            memcpy(fqdn_out, name, strlen(name) + 1);
        } else {
            memcpy(short_out, name, strlen(name) + 1);
            if (candidate(domain, dom, sizeof(dom)) == 1 &&
                strlen(name) + 1 + strlen(dom) < MI_FQDN_MAX) {
                memcpy(fqdn_out, name, strlen(name));
                fqdn_out[strlen(name)] = '.';
                memcpy(fqdn_out + strlen(name) + 1, dom, strlen(dom) + 1);
            } else if (domain != NULL && candidate(domain, dom,
                                                   sizeof(dom)) == 0) {
                nc_buf_printf(warn, "sdc:dns_domain is not a valid domain "
                                    "name; ignored\n");
            }
        }
        return i;
    }
    return -1;
}

/* The next line of text at *pos: its start and length without the LF. */
static int next_line(const char *text, size_t len, size_t *pos,
                     const char **line, size_t *line_len)
{
    const char *nl;

    if (*pos >= len)
        return 0;
    *line = text + *pos;
    nl = memchr(*line, '\n', len - *pos);
    *line_len = nl != NULL ? (size_t)(nl - *line) : len - *pos;
    *pos += *line_len + (nl != NULL);
    return 1;
}

static int line_is(const char *line, size_t len, const char *marker)
{
    return strlen(marker) == len && memcmp(line, marker, len) == 0;
}

int mi_block_merge(const char *old, size_t old_len, const char *begin,
                   const char *end, const char *content, nc_buf_t *out)
{
    size_t pos = 0, len;
    const char *line;
    int placed = 0, inside = 0, ends_nl = 1;

    /* The lines after a begin marker up to an end marker are the block;
     * a begin marker without an end marker is a stray line (removed, the
     * lines after it stay the user's). */
    while (next_line(old, old_len, &pos, &line, &len)) {
        if (!inside && line_is(line, len, begin)) {
            size_t p = pos, l2;
            const char *ln2;
            int closed = 0;

            while (next_line(old, old_len, &p, &ln2, &l2))
                if (line_is(ln2, l2, end)) {
                    closed = 1;
                    break;
                }
            if (!closed)
                continue;
            inside = 1;
            if (!placed && content != NULL) {
                nc_buf_puts(out, begin);
                nc_buf_puts(out, "\n");
                nc_buf_puts(out, content);
                nc_buf_puts(out, end);
                nc_buf_puts(out, "\n");
            }
            placed = 1;
            continue;
        }
        if (inside) {
            if (line_is(line, len, end))
                inside = 0;
            continue;
        }
        nc_buf_add(out, line, len);
        ends_nl = pos <= old_len && old[pos - 1] == '\n';
        if (ends_nl)
            nc_buf_puts(out, "\n");
    }
    if (!placed && content != NULL) {
        if (!ends_nl)
            nc_buf_puts(out, "\n");
        nc_buf_puts(out, begin);
        nc_buf_puts(out, "\n");
        nc_buf_puts(out, content);
        nc_buf_puts(out, end);
        nc_buf_puts(out, "\n");
    }
    return nc_buf_failed(out) ? -1 : 0;
}

/* Read a big-endian uint32 length-prefixed string at blob[*off]. */
static int blob_string(const uint8_t *blob, size_t n, size_t *off,
                       const uint8_t **s, size_t *slen)
{
    uint32_t l;

    if (n - *off < 4)
        return -1;
    l = (uint32_t)blob[*off] << 24 | (uint32_t)blob[*off + 1] << 16 |
        (uint32_t)blob[*off + 2] << 8 | blob[*off + 3];
    if (l > n - *off - 4)
        return -1;
    *s = blob + *off + 4;
    *slen = l;
    *off += 4 + l;
    return 0;
}

static int is_key_type(const char *t, size_t n)
{
    size_t i;

    if (!((n > 4 && memcmp(t, "ssh-", 4) == 0) ||
          (n > 6 && memcmp(t, "ecdsa-", 6) == 0) ||
          (n > 3 && memcmp(t, "sk-", 3) == 0)))
        return 0;
    for (i = 0; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || strchr("-@.", t[i]) != NULL))
            return 0;
    return 1;
}

/* 1 when the token at tok (len n) is followed by a blob of its type. */
static int key_at(const char *tok, size_t n, const char *rest,
                  size_t rest_len)
{
    const char *b = rest;
    size_t bl = 0, dl = 0, off = 0, tl;
    const uint8_t *t;
    uint8_t *dec;
    int ok = 0;

    if (!is_key_type(tok, n))
        return 0;
    while (rest_len > 0 && (*b == ' ' || *b == '\t')) {
        b++;
        rest_len--;
    }
    while (bl < rest_len && b[bl] != ' ' && b[bl] != '\t')
        bl++;
    if (bl < 16 || bl > 65536)
        return 0;
    dec = malloc(mdata_base64_decoded_maxlen(bl));
    if (dec == NULL)
        return 0;
    if (mdata_base64_decode(b, bl, dec, &dl, MDATA_BASE64_STRICT, NULL) ==
            0 &&
        blob_string(dec, dl, &off, &t, &tl) == 0 && tl == n &&
        memcmp(t, tok, n) == 0)
        ok = 1;
    free(dec);
    return ok;
}

static int key_line_ok(const char *line, size_t len)
{
    size_t i = 0;

    for (i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            return 0;
        else if ((unsigned char)line[i] == 0x7f)
            return 0;
    /* Try each token as the key type: options come first and may hold
     * quoted blanks, so the type is wherever a valid blob follows. */
    for (i = 0; i < len;) {
        size_t s, e;

        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        s = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        e = i;
        if (e > s && key_at(line + s, e - s, line + e, len - e))
            return 1;
    }
    return 0;
}

int mi_filter_keys(const char *value, size_t len, nc_buf_t *out,
                   nc_buf_t *warn)
{
    size_t pos = 0, n, lineno = 0;
    const char *line;
    int kept = 0;

    while (next_line(value, len, &pos, &line, &n)) {
        lineno++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        mi_trim(&line, &n);
        if (n == 0 || line[0] == '#')
            continue;
        if (!key_line_ok(line, n)) {
            nc_buf_printf(warn, "root_authorized_keys line %zu is not an "
                                "SSH public key; skipped\n", lineno);
            continue;
        }
        nc_buf_add(out, line, n);
        nc_buf_puts(out, "\n");
        kept++;
    }
    return nc_buf_failed(out) || nc_buf_failed(warn) ? -1 : kept;
}

int mi_script_text(const char *value, size_t len, nc_buf_t *out)
{
    if (!(len >= 2 && value[0] == '#' && value[1] == '!'))
        nc_buf_puts(out, "#!/bin/sh\n");
    nc_buf_add(out, value, len);
    return nc_buf_failed(out) ? -1 : 0;
}

int mi_b64_wanted(const mi_b64_rules_t *rules, const char *key,
                  const char *b64_marker, size_t marker_len)
{
    static const char *const exempt[] = {
        "iptables_disable", "motd_sys_info", "root_authorized_keys",
        "sdc:datacenter_name", "user-script",
    };
    size_t i, klen = strlen(key);
    const char *p, *end;

    for (i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++)
        if (strcmp(key, exempt[i]) == 0)
            return 0;
    if (rules->all)
        return 1;
    if (b64_marker != NULL)
        return mi_is_true(b64_marker, marker_len);
    if (rules->keys == NULL)
        return 0;
    p = rules->keys;
    end = rules->keys + rules->keys_len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item = p;
        size_t n = (comma != NULL ? comma : end) - p;

        mi_trim(&item, &n);
        if (n == klen && memcmp(item, key, n) == 0)
            return 1;
        p = comma != NULL ? comma + 1 : end;
    }
    return 0;
}

int mi_b64_decode(const char *value, size_t len, nc_buf_t *out, int *oom)
{
    char *text;
    uint8_t *dec;
    size_t i, n = 0, dl = 0;
    int rc = -1;

    *oom = 0;
    text = malloc(len + 1);
    dec = malloc(mdata_base64_decoded_maxlen(len) + 1);
    if (text == NULL || dec == NULL) {
        *oom = 1;
        goto done;
    }
    for (i = 0; i < len; i++)
        if (!isspace((unsigned char)value[i]))
            text[n++] = value[i];
    if (n == 0 || mdata_base64_decode(text, n, dec, &dl, MDATA_BASE64_STRICT,
                                      NULL) != 0)
        goto done;
    nc_buf_add(out, (const char *)dec, dl);
    if (nc_buf_failed(out))
        *oom = 1;
    else
        rc = 0;
done:
    free(text);
    free(dec);
    return rc;
}
