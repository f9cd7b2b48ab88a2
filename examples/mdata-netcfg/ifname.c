/* ifname.c: MAC -> kernel interface name through a sysfs-like tree. */
#include "ifname.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read "<dir>/<name>/address" and parse it as a MAC. */
static int read_mac(int dirfd, const char *name, uint8_t mac[6])
{
    char path[NC_IFNAME_MAX + 16], text[64];
    unsigned int b[6];
    ssize_t n;
    int fd, i;

    if (snprintf(path, sizeof(path), "%.15s/address", name) >= (int)sizeof(path))
        return -1;
    fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5]) != 6)
        return -1;
    for (i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

/* 1 when "<dir>/<name>/device" exists (a real device, not a virtual
 * interface sharing its MAC). */
static int is_device(int dirfd, const char *name)
{
    char path[NC_IFNAME_MAX + 16];

    snprintf(path, sizeof(path), "%.15s/device", name);
    return faccessat(dirfd, path, F_OK, 0) == 0;
}

int nc_ifname_resolve(nc_model_t *m, const char *sysfs_dir)
{
    DIR *dir;
    struct dirent *de;
    int best_phys[MDATA_NICS_MAX] = {0};
    size_t i;
    int rc = 0;

    dir = opendir(sysfs_dir);
    if (dir != NULL) {
        while ((de = readdir(dir)) != NULL) {
            uint8_t mac[6];
            int phys;

            if (de->d_name[0] == '.' || !nc_ifname_valid(de->d_name))
                continue;
            if (read_mac(dirfd(dir), de->d_name, mac) != 0)
                continue;
            for (i = 0; i < m->niface; i++) {
                nc_iface_t *ifc = &m->iface[i];

                if (memcmp(ifc->macb, mac, 6) != 0)
                    continue;
                /* Several names for one MAC (bonds, VLANs): prefer a
                 * device (one with a "device" link), then the
                 * alphabetically first, for a stable result. */
                phys = is_device(dirfd(dir), de->d_name);
                if (ifc->ifname_resolved &&
                    (best_phys[i] > phys ||
                     (best_phys[i] == phys &&
                      strcmp(ifc->ifname, de->d_name) <= 0)))
                    continue;
                snprintf(ifc->ifname, sizeof(ifc->ifname), "%.15s", de->d_name);
                ifc->ifname_resolved = 1;
                best_phys[i] = phys;
            }
        }
        closedir(dir);
    }
    for (i = 0; i < m->niface && rc == 0; i++) {
        nc_iface_t *ifc = &m->iface[i];

        if (!ifc->ifname_resolved)
            rc = nc_model_warn(m, "no interface with MAC %s in %s; using the "
                               "SmartOS name %s", ifc->mac, sysfs_dir,
                               ifc->name);
    }
    return rc;
}
