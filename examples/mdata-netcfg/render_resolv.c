/* render_resolv.c: resolv.conf(5): search domain and name servers. */
#include "render.h"

int nc_render_resolv(const nc_model_t *m, nc_files_t *out)
{
    char t[MDATA_IP_TEXT_MAX];
    nc_buf_t b;
    size_t i;

    nc_buf_init(&b);
    nc_buf_printf(&b, "# %s\n", NC_HEADER);
    if (m->domain[0] != '\0')
        nc_buf_printf(&b, "search %s\n", m->domain);
    for (i = 0; i < m->ndns; i++)
        nc_buf_printf(&b, "nameserver %s\n", nc_ip_text(&m->dns[i], 0, t));
    return nc_files_add(out, "resolv.conf", 0644, &b);
}
