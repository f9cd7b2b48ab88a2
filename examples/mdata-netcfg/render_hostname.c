/* render_hostname.c: /etc/hostname (hostname(5)): the host name on one
 * line. No file at all when the metadata has no host name. */
#include "render.h"

int nc_render_hostname(const nc_model_t *m, nc_files_t *out)
{
    nc_buf_t b;

    if (m->hostname[0] == '\0')
        return 0;
    nc_buf_init(&b);
    nc_buf_printf(&b, "%s\n", m->hostname);
    return nc_files_add(out, "hostname", 0644, &b);
}
