/*
 * conf.h: /etc/mdata-init.conf, read under the root. Lines "name = value";
 * '#' starts a comment. Every step is on unless turned off; an unknown
 * name or a bad value is a warning and the default stays.
 */
#ifndef MI_CONF_H
#define MI_CONF_H

#include <stddef.h>

#include "buf.h"

#define MI_CONF_PATH "etc/mdata-init.conf"

enum mi_platform { MI_LINUX = 0, MI_FREEBSD = 1 };
enum mi_freq { MI_OFF = 0, MI_EVERY_BOOT = 1, MI_ONCE = 2 };

typedef struct mi_conf {
    int platform;           /* platform = linux | freebsd */
    int hostname;           /* sethostname, /etc/hostname (rc.conf.d) */
    int hosts;              /* the managed /etc/hosts line */
    char network[16];       /* network = a mdata-netcfg format, or off;
                               "": the platform's (mi_conf_network) */
    int ssh_host_keys;      /* remove (new instance), make missing */
    int machine_id;         /* regenerate on a new instance */
    int authorized_keys;    /* root's managed block */
    int user_data;          /* /var/db/mdata-user-data */
    int operator_script;    /* MI_OFF or MI_EVERY_BOOT */
    int user_script;        /* MI_OFF, MI_EVERY_BOOT or MI_ONCE */
    unsigned script_timeout;  /* seconds per script */
    size_t max_value;       /* largest value fetched (scripts included) */
    int grow_root;          /* root partition and ext4 to the disk's end */
    int format_secondary_disk;  /* off by default */
    char secondary_disk[128];   /* the device (or an image file) */
    char secondary_mount[128];  /* an absolute path, no "." or ".." */
} mi_conf_t;

/* Built-in defaults for this build's OS. */
void mi_conf_defaults(mi_conf_t *c);

/* The network format in effect: networkd on Linux, freebsd on FreeBSD,
 * unless set; "off" for none. */
const char *mi_conf_network(const mi_conf_t *c);

/* Parse text into c (on top of what it holds); warnings into warn, one per
 * line. Never fails. */
void mi_conf_parse(mi_conf_t *c, const char *text, size_t len,
                   nc_buf_t *warn);

#endif
