/* disk.c: the optional secondary disk (format_secondary_disk = yes): an
 * empty disk gets a filesystem, an /etc/fstab entry and a mount, what the
 * old guest tools' format-secondary-disk did. A disk holding anything (a
 * partition table, a filesystem, any non-zero byte in its first MiB, or
 * whatever blkid(8) recognises) is never touched. */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "script.h"

#define FSTAB_BEGIN "# BEGIN mdata-init: secondary disk (edits inside are " \
                    "lost)"
#define FSTAB_END "# END mdata-init"
#define PROBE_BYTES (1u << 20)

/* 1 when the first MiB of the device reads as zeros, 0 when it holds
 * data, -errno when it cannot be read. */
static int looks_empty(const char *dev)
{
    char *buf = malloc(PROBE_BYTES);
    size_t got, i;
    int fd, rc = 1;

    if (buf == NULL)
        return -ENOMEM;
    fd = open(dev, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        free(buf);
        return -errno;
    }
    got = nc_read_upto(fd, buf, PROBE_BYTES);
    close(fd);
    for (i = 0; i < got; i++)
        if (buf[i] != 0) {
            rc = 0;
            break;
        }
    free(buf);
    return rc;
}

/* blkid -p: exit status 2 means nothing was found on the device. */
static int blkid_finds_something(const char *dev)
{
    char *argv[] = {"blkid", "-p", (char *)dev, NULL};
    int rc;

    fflush(stdout);
    rc = mi_run_program(argv);
    return rc == 2 ? 0 : rc == 127 ? -1 : 1; /* -1: no blkid */
}

static void fstab_entry(mi_ctx_t *c, const char *dev, const char *fstype)
{
    char line[1024], *old = NULL;
    size_t len = 0;
    nc_buf_t out;
    int rc;

    /* nofail: a missing disk never drops the boot into emergency mode. */
    if (c->conf.platform == MI_FREEBSD)
        snprintf(line, sizeof(line), "%s\t%s\tufs\trw,failok\t2\t2\n", dev,
                 c->conf.secondary_mount);
    else
        snprintf(line, sizeof(line), "%s\t%s\t%s\tdefaults,nofail\t0\t2\n",
                 dev, c->conf.secondary_mount, fstype);
    rc = mi_file_read(&c->root, "etc/fstab", 1u << 20, &old, &len);
    if (rc != 0 && rc != -ENOENT) {
        mi_error(c, "/etc/fstab: %s", strerror(-rc));
        return;
    }
    nc_buf_init(&out);
    if (mi_block_merge(old != NULL ? old : "", len, FSTAB_BEGIN, FSTAB_END,
                       line, &out) != 0) {
        mi_error(c, "/etc/fstab: %s", strerror(ENOMEM));
    } else {
        rc = mi_file_write(&c->root, "etc/fstab", out.data, out.len, 0644);
        if (rc < 0)
            mi_error(c, "/etc/fstab: %s", strerror(-rc));
    }
    nc_buf_free(&out);
    free(old);
}

void mi_step_disk(mi_ctx_t *c)
{
    const char *dev = c->conf.secondary_disk;
    const char *fstype = c->conf.platform == MI_FREEBSD ? "ufs" : "ext4";
    struct stat st;
    int empty, rc;

    if (stat(dev, &st) != 0) {
        mi_say("secondary disk %s: not present; nothing to do", dev);
        return;
    }
    /* A block device, or an image file for image pipelines and tests. */
    if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
        mi_error(c, "secondary disk %s: not a block device", dev);
        return;
    }
    empty = looks_empty(dev);
    if (empty < 0) {
        mi_error(c, "secondary disk %s: %s", dev, strerror(-empty));
        return;
    }
    if (empty && blkid_finds_something(dev) == 1)
        empty = 0;
    if (!empty) {
        if (c->root.verbose)
            mi_say("secondary disk %s holds data: left alone", dev);
        return;
    }
    if (c->root.dry_run) {
        mi_say("would format %s (%s) and mount it on %s", dev, fstype,
               c->conf.secondary_mount);
    } else {
        char *mkfs[] = {"mkfs.ext4", "-q", "-F", "-L", "mdata-data",
                        (char *)dev, NULL};
        char *newfs[] = {"newfs", "-U", (char *)dev, NULL};

        rc = mi_run_program(c->conf.platform == MI_FREEBSD ? newfs : mkfs);
        if (rc != 0) {
            mi_error(c, "secondary disk %s: %s failed", dev,
                     c->conf.platform == MI_FREEBSD ? "newfs" : "mkfs.ext4");
            return;
        }
        mi_say("secondary disk %s formatted (%s)", dev, fstype);
    }
    rc = mi_dir_ensure(&c->root, c->conf.secondary_mount + 1, 0755);
    if (rc != 0) {
        mi_error(c, "%s: %s", c->conf.secondary_mount, strerror(-rc));
        return;
    }
    fstab_entry(c, dev, fstype);
    if (strcmp(c->root.dir, "/") == 0 && !c->root.dry_run) {
        char *mount[] = {"mount", c->conf.secondary_mount, NULL};

        if (mi_run_program(mount) != 0)
            mi_error(c, "mount %s failed", c->conf.secondary_mount);
    }
}
