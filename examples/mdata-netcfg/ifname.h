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
 * at a fake tree). An interface whose MAC is not found keeps its SmartOS
 * name, with a warning. When sysfs_dir is NC_SYSFS_NET and cannot be
 * opened (FreeBSD has no sysfs), getifaddrs(3)'s link-layer addresses are
 * used instead. Returns 0 or MDATA_ENOMEM.
 */
int nc_ifname_resolve(nc_model_t *m, const char *sysfs_dir);

#endif
