/*
 * init.h: what the phases share. main.c reads the configuration and the
 * metadata once, then runs early.c and/or late.c on them.
 *
 *   meta.c (fetch or --from-file, base64 markers)
 *     -> early.c: instance, hostname, /etc/hosts, network (mdata-netcfg's
 *        model and renderers), SSH host keys removed (new instance),
 *        machine-id, authorized_keys
 *   early.c: hostkeys (ssh-keygen -A, no metadata), alongside the network
 *     -> late.c: user-data, operator-script, user-script (script.c runs
 *        them)
 * Every file goes through rootfs.c; the decisions are in rules.c.
 */
#ifndef MI_INIT_H
#define MI_INIT_H

#include "conf.h"
#include "meta.h"
#include "rootfs.h"
#include "rules.h"

/* Where mdata-init keeps its state and the scripts, under the root. */
#define MI_STATE_DIR "var/lib/mdata-init"

typedef struct mi_ctx {
    mi_root_t root;
    mi_conf_t conf;
    mi_meta_t meta;
    int errors;             /* steps that failed (exit status 1) */
} mi_ctx_t;

/* A line on stdout (the console under the units): "mdata-init: ...". */
void mi_say(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* An error on stderr; counts it. */
void mi_error(mi_ctx_t *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Print each line of a warning buffer as "mdata-init: warning: ...". */
void mi_warnings(const nc_buf_t *warn);

/*
 * The instance id of this boot (sdc:uuid, trimmed; only [0-9A-Za-z-],
 * at most 64 characters, else NULL with a warning).
 */
const char *mi_instance_id(mi_ctx_t *c, char *buf, size_t cap);

int mi_early(mi_ctx_t *c);
/* format_secondary_disk (disk.c), from the early phase. */
void mi_step_disk(mi_ctx_t *c);
int mi_late(mi_ctx_t *c);
/*
 * The hostkeys phase: SSH host keys of the types missing from /etc/ssh
 * (ssh-keygen -A), off with ssh_host_keys = no. Needs no metadata: the
 * early phase has already removed an image's keys on a new instance.
 */
int mi_hostkeys(mi_ctx_t *c);
/*
 * The growroot phase (growroot.c): on a disk larger than the root's
 * partition, the partition grown to the disk's end and its ext4 file
 * system with it, online; nothing (and quickly) otherwise. Off with
 * grow_root = no. Needs no metadata.
 */
int mi_growroot(mi_ctx_t *c);

#endif
