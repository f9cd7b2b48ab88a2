/* render.c: the format table and helpers shared by the renderers. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const nc_format_t nc_formats[] = {
    {"networkd", nc_render_networkd, 0,
     "systemd-networkd .network files, one per nic, matched by MAC",
     "10-mdata-", ".network"},
    {"netplan", nc_render_netplan, 0, "netplan version 2 YAML", NULL, NULL},
    {"ifupdown", nc_render_ifupdown, 1, "Debian /etc/network/interfaces",
     NULL, NULL},
    {"nm", nc_render_nm, 0, "NetworkManager keyfiles, one per nic", "mdata-",
     ".nmconnection"},
    {"ip", nc_render_ip, 1, "POSIX shell script of ip(8) commands", NULL,
     NULL},
    {"freebsd", nc_render_freebsd, 1, "FreeBSD rc.conf lines", NULL, NULL},
    {"resolv", nc_render_resolv, 0, "resolv.conf", NULL, NULL},
    {"json", nc_render_json, 0, "the normalised model as JSON (ASCII)", NULL,
     NULL},
    {"hostname", nc_render_hostname, 0, "/etc/hostname (nothing without one)",
     NULL, NULL},
    {"powershell", nc_render_powershell, 0,
     "Windows PowerShell script (NetTCPIP cmdlets, adapters by MAC)", NULL,
     NULL},
    {NULL, NULL, 0, NULL, NULL, NULL},
};

const nc_format_t *nc_format_find(const char *name)
{
    const nc_format_t *f;

    for (f = nc_formats; f->name != NULL; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

void nc_files_init(nc_files_t *f)
{
    memset(f, 0, sizeof(*f));
}

void nc_files_free(nc_files_t *f)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        free(f->file[i].data);
    nc_files_init(f);
}

int nc_files_add(nc_files_t *f, const char *name, unsigned int mode,
                 nc_buf_t *b)
{
    nc_file_t *file;

    if (f->n >= NC_FILES_MAX) {
        nc_buf_free(b);
        return MDATA_ERANGE;
    }
    file = &f->file[f->n];
    snprintf(file->name, sizeof(file->name), "%s", name);
    file->mode = mode;
    file->data = nc_buf_take(b, &file->len);
    if (file->data == NULL)
        return MDATA_ENOMEM;
    f->n++;
    return 0;
}

int nc_files_print(FILE *fp, const nc_files_t *files)
{
    size_t i;

    for (i = 0; i < files->n; i++) {
        const nc_file_t *f = &files->file[i];

        if (files->n > 1)
            fprintf(fp, "%s### %s\n", i ? "\n" : "", f->name);
        if (fwrite(f->data, 1, f->len, fp) != f->len)
            return MDATA_EIO;
    }
    return fflush(fp) == 0 ? 0 : MDATA_EIO;
}

int nc_render_per_nic(const nc_model_t *m, const char *format,
                      nc_render_nic_fn one, unsigned int mode,
                      nc_files_t *out)
{
    const nc_format_t *f = nc_format_find(format);
    size_t i;
    int rc = 0;

    for (i = 0; i < m->niface && rc == 0; i++) {
        char name[NC_FILE_NAME_MAX];
        nc_buf_t b;

        nc_buf_init(&b);
        one(m, &m->iface[i], &b);
        snprintf(name, sizeof(name), "%s%s%s", f->own_prefix,
                 m->iface[i].name, f->own_suffix);
        rc = nc_files_add(out, name, mode, &b);
    }
    return rc;
}

void nc_sh_quote(nc_buf_t *b, const char *text)
{
    const char *p;

    nc_buf_puts(b, "'");
    for (p = text; *p != '\0'; p++) {
        if (*p == '\'')
            nc_buf_puts(b, "'\\''");
        else
            nc_buf_add(b, p, 1);
    }
    nc_buf_puts(b, "'");
}

const char *nc_fqdn(const nc_model_t *m, char *buf, size_t cap)
{
    if (m->hostname[0] != '\0' && strchr(m->hostname, '.') == NULL &&
        m->domain[0] != '\0')
        snprintf(buf, cap, "%s.%s", m->hostname, m->domain);
    else
        snprintf(buf, cap, "%s", m->hostname);
    return buf;
}
