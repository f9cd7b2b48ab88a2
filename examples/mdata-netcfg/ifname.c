/* ifname.c: MAC -> kernel interface name through a sysfs-like tree. */
#include "ifname.h"

#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/if_packet.h>
#define NC_LINK_FAMILY AF_PACKET
#elif defined(AF_LINK)
#include <net/if_dl.h>
#define NC_LINK_FAMILY AF_LINK
#endif

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

/* Take name for every interface with this MAC that has none yet. */
static void match(nc_model_t *m, const char *name, const uint8_t mac[6])
{
    size_t i;

    if (!nc_ifname_valid(name) || nc_ifname_reserved(name))
        return;
    for (i = 0; i < m->niface; i++) {
        nc_iface_t *ifc = &m->iface[i];

        if (ifc->ifname_resolved || memcmp(ifc->macb, mac, 6) != 0)
            continue;
        snprintf(ifc->ifname, sizeof(ifc->ifname), "%.15s", name);
        ifc->ifname_resolved = 1;
    }
}

/*
 * Without sysfs (FreeBSD, or a Linux without /sys mounted): the link-layer
 * addresses getifaddrs(3) reports, in its order (the kernel's).
 */
static void from_ifaddrs(nc_model_t *m)
{
#ifdef NC_LINK_FAMILY
    struct ifaddrs *all = NULL, *a;

    if (getifaddrs(&all) != 0)
        return;
    for (a = all; a != NULL; a = a->ifa_next) {
        if (a->ifa_addr == NULL || a->ifa_addr->sa_family != NC_LINK_FAMILY)
            continue;
#if defined(__linux__)
        {
            const struct sockaddr_ll *ll = (const void *)a->ifa_addr;

            if (ll->sll_halen == 6)
                match(m, a->ifa_name, ll->sll_addr);
        }
#else
        {
            const struct sockaddr_dl *dl = (const void *)a->ifa_addr;

            if (dl->sdl_alen == 6)
                match(m, a->ifa_name, (const uint8_t *)LLADDR(dl));
        }
#endif
    }
    freeifaddrs(all);
#else
    (void)m;
#endif
}

int nc_ifname_resolve(nc_model_t *m, const char *sysfs_dir)
{
    DIR *dir;
    struct dirent *de;
    int best_phys[MDATA_NICS_MAX] = {0};
    const char *where = sysfs_dir;
    size_t i;
    int rc = 0;

    dir = opendir(sysfs_dir);
    if (dir != NULL) {
        while ((de = readdir(dir)) != NULL) {
            uint8_t mac[6];
            int phys;

            /* A nic claiming lo's MAC (00:00:00:00:00:00) must not get
             * the loopback. */
            if (de->d_name[0] == '.' || !nc_ifname_valid(de->d_name) ||
                nc_ifname_reserved(de->d_name))
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
    } else if (strcmp(sysfs_dir, NC_SYSFS_NET) == 0) {
        from_ifaddrs(m);
        where = "the system's interfaces";
    } else {
        return MDATA_EIO;
    }
    for (i = 0; i < m->niface && rc == 0; i++) {
        nc_iface_t *ifc = &m->iface[i];
        size_t k;

        if (!ifc->ifname_resolved) {
            /* Its SmartOS name may be another interface's kernel name:
             * never guess. */
            ifc->absent = 1;
            memcpy(ifc->ifname, ifc->name, sizeof(ifc->ifname));
            rc = nc_model_warn(m, "no interface with MAC %s in %s: nic %s "
                               "is left out of the ip, ifupdown and freebsd "
                               "output", ifc->mac, where, ifc->name);
            continue;
        }
        for (k = 0; k < i; k++) {
            if (!m->iface[k].absent &&
                nc_ifname_same(m->iface[k].ifname, ifc->ifname)) {
                ifc->absent = 1;
                rc = nc_model_warn(m, "interfaces %s and %s have the same "
                                   "name for rc.conf: nic %s is left out of "
                                   "the ip, ifupdown and freebsd output",
                                   m->iface[k].ifname, ifc->ifname,
                                   ifc->name);
                break;
            }
        }
    }
    return rc;
}
