/* conf.c: /etc/mdata-init.conf (see conf.h). */
#include "conf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render.h"
#include "rules.h"

#define MI_SCRIPT_TIMEOUT_DEFAULT 600
#define MI_MAX_VALUE_DEFAULT (4u << 20)

void mi_conf_defaults(mi_conf_t *c)
{
    memset(c, 0, sizeof(*c));
#if defined(__FreeBSD__)
    c->platform = MI_FREEBSD;
#else
    c->platform = MI_LINUX;
#endif
    c->hostname = c->hosts = c->ssh_host_keys = c->machine_id = 1;
    c->authorized_keys = c->user_data = c->grow_root = 1;
    c->operator_script = c->user_script = MI_EVERY_BOOT;
    c->script_timeout = MI_SCRIPT_TIMEOUT_DEFAULT;
    c->max_value = MI_MAX_VALUE_DEFAULT;
    strcpy(c->secondary_disk,
           c->platform == MI_FREEBSD ? "/dev/vtbd1" : "/dev/vdb");
    strcpy(c->secondary_mount, "/data");
}

/* An absolute path of plain components (no ".", "..", or empty ones). */
static int plain_abs_path(const char *v)
{
    const char *p = v;

    if (v[0] != '/' || v[1] == '\0')
        return 0;
    while (*p == '/') {
        const char *e = strchr(p + 1, '/');
        size_t n = e != NULL ? (size_t)(e - p - 1) : strlen(p + 1);

        if (n == 0 || (n == 1 && p[1] == '.') ||
            (n == 2 && p[1] == '.' && p[2] == '.'))
            return 0;
        p += n + 1;
    }
    return strpbrk(v, " \t") == NULL;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const no[] = {"false", "0", "off", "no"};
    size_t i;

    if (mi_is_true(v, strlen(v))) {
        *out = 1;
        return 0;
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    return -1;
}

static int parse_uint(const char *v, unsigned long lo, unsigned long hi,
                      unsigned long *out)
{
    char *end;
    unsigned long n;

    if (*v < '0' || *v > '9')
        return -1;
    n = strtoul(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}

static int set(mi_conf_t *c, const char *name, const char *v)
{
    static const struct {
        const char *name;
        size_t off;
    } bools[] = {
        {"hostname", offsetof(mi_conf_t, hostname)},
        {"hosts", offsetof(mi_conf_t, hosts)},
        {"ssh_host_keys", offsetof(mi_conf_t, ssh_host_keys)},
        {"machine_id", offsetof(mi_conf_t, machine_id)},
        {"authorized_keys", offsetof(mi_conf_t, authorized_keys)},
        {"user_data", offsetof(mi_conf_t, user_data)},
        {"grow_root", offsetof(mi_conf_t, grow_root)},
        {"format_secondary_disk", offsetof(mi_conf_t, format_secondary_disk)},
    };
    unsigned long n;
    size_t i;
    int b;

    for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
        if (strcmp(name, bools[i].name) == 0)
            return parse_bool(v, (int *)((char *)c + bools[i].off));
    if (strcmp(name, "platform") == 0) {
        if (strcmp(v, "linux") == 0)
            c->platform = MI_LINUX;
        else if (strcmp(v, "freebsd") == 0)
            c->platform = MI_FREEBSD;
        else
            return -1;
        return 0;
    }
    if (strcmp(name, "network") == 0) {
        const nc_format_t *f = nc_format_find(v);

        if (strcmp(v, "off") == 0 || parse_bool(v, &b) == 0) {
            if (strcmp(v, "off") == 0 || b == 0)
                strcpy(c->network, "off");
            else
                c->network[0] = '\0'; /* "yes": the platform's default */
            return 0;
        }
        /* The formats that configure interfaces, not the others. */
        if (f == NULL || strcmp(v, "json") == 0 || strcmp(v, "ip") == 0 ||
            strcmp(v, "resolv") == 0 || strcmp(v, "hostname") == 0 ||
            strcmp(v, "powershell") == 0)
            return -1;
        strcpy(c->network, f->name);
        return 0;
    }
    if (strcmp(name, "operator_script") == 0) {
        if (parse_bool(v, &b) != 0)
            return -1;
        c->operator_script = b ? MI_EVERY_BOOT : MI_OFF;
        return 0;
    }
    if (strcmp(name, "user_script") == 0) {
        if (strcmp(v, "every-boot") == 0)
            c->user_script = MI_EVERY_BOOT;
        else if (strcmp(v, "once") == 0)
            c->user_script = MI_ONCE;
        else if (parse_bool(v, &b) == 0)
            c->user_script = b ? MI_EVERY_BOOT : MI_OFF;
        else
            return -1;
        return 0;
    }
    if (strcmp(name, "script_timeout") == 0) {
        if (parse_uint(v, 1, 86400, &n) != 0)
            return -1;
        c->script_timeout = (unsigned)n;
        return 0;
    }
    if (strcmp(name, "secondary_disk") == 0 ||
        strcmp(name, "secondary_mount") == 0) {
        char *dst = name[10] == 'd' ? c->secondary_disk : c->secondary_mount;

        if (!plain_abs_path(v) || strlen(v) >= sizeof(c->secondary_disk))
            return -1;
        strcpy(dst, v);
        return 0;
    }
    if (strcmp(name, "max_value_size") == 0) {
        if (parse_uint(v, 1024, 256ul << 20, &n) != 0)
            return -1;
        c->max_value = n;
        return 0;
    }
    return -2;
}

const char *mi_conf_network(const mi_conf_t *c)
{
    if (c->network[0] != '\0')
        return c->network;
    return c->platform == MI_FREEBSD ? "freebsd" : "networkd";
}

void mi_conf_parse(mi_conf_t *c, const char *text, size_t len,
                   nc_buf_t *warn)
{
    size_t pos = 0, lineno = 0;

    while (pos < len) {
        const char *line = text + pos, *nl, *eq, *name, *val;
        size_t n, nn, vn;
        char nbuf[64], vbuf[128];
        int rc;

        nl = memchr(line, '\n', len - pos);
        n = nl != NULL ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        if (memchr(line, '#', n) != NULL)
            n = (size_t)((const char *)memchr(line, '#', n) - line);
        mi_trim(&line, &n);
        if (n == 0)
            continue;
        eq = memchr(line, '=', n);
        if (eq == NULL) {
            nc_buf_printf(warn, "mdata-init.conf line %zu: not "
                                "\"name = value\"; ignored\n", lineno);
            continue;
        }
        name = line;
        nn = (size_t)(eq - line);
        val = eq + 1;
        vn = n - nn - 1;
        mi_trim(&name, &nn);
        mi_trim(&val, &vn);
        if (nn == 0 || nn >= sizeof(nbuf) || vn >= sizeof(vbuf)) {
            nc_buf_printf(warn, "mdata-init.conf line %zu: ignored\n",
                          lineno);
            continue;
        }
        memcpy(nbuf, name, nn);
        nbuf[nn] = '\0';
        memcpy(vbuf, val, vn);
        vbuf[vn] = '\0';
        rc = set(c, nbuf, vbuf);
        if (rc == -2)
            nc_buf_printf(warn, "mdata-init.conf line %zu: unknown "
                                "setting '%s'; ignored\n", lineno, nbuf);
        else if (rc != 0)
            nc_buf_printf(warn, "mdata-init.conf line %zu: bad value for "
                                "%s; the default stays\n", lineno, nbuf);
    }
}
