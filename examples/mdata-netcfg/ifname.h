/* ifname.h: MAC -> kernel interface name, for the formats that name
 * interfaces (ip, ifupdown, freebsd). */
#ifndef NC_IFNAME_H
#define NC_IFNAME_H

#include "model.h"

/* Default sysfs directory of network interfaces (Linux). */
#define NC_SYSFS_NET "/sys/class/net"

/*
 * Set ifname of every interface from sysfs_dir/<name>/address (a directory
 * per interface holding its MAC, as /sys/class/net has; tests point this
 * at a fake tree). Reserved names (nc_ifname_reserved) are never taken. A
 * nic whose MAC is not found, or whose interface has the same name as an
 * earlier nic's (nc_ifname_same), is marked absent with a warning: the
 * formats that name interfaces leave it out. When sysfs_dir is
 * NC_SYSFS_NET and cannot be opened (FreeBSD has no sysfs), getifaddrs(3)'s
 * link-layer addresses are used instead; another sysfs_dir that cannot be
 * opened gives MDATA_EIO. Returns 0, MDATA_EIO or MDATA_ENOMEM.
 */
int nc_ifname_resolve(nc_model_t *m, const char *sysfs_dir);

#endif
