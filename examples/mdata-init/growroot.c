/* growroot.c: the growroot phase (mdata-init growroot): on a disk larger
 * than the root's partition, the partition grown to the disk's end
 * (parttable.c), the kernel told (BLKPG), and the mounted ext4 file system
 * grown with it (EXT4_IOC_RESIZE_FS, what resize2fs asks of the kernel for
 * a mounted file system). */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "parttable.h"

#define EXT_MAGIC 0xEF53u /* statfs f_type of ext2/3/4 */
/* A GPT's backup table (33 sectors of 512 bytes, 5 of 4096) and sfdisk's
 * alignment of an image's last partition are not room to grow into. */
#define GPT_TAIL_SLACK (64u << 10)

#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, uint64_t)
#endif

/* What sysfs says about a block device (sizes in 512-byte units). */
typedef struct sysblock {
    char devname[64];   /* "vda1", from uevent */
    unsigned partition; /* 0: a whole disk */
    uint64_t start, size;
} sysblock_t;

/* A small sysfs file's text, NUL-terminated; -errno when absent or empty. */
static int sys_text(int dirfd, const char *name, char *buf, size_t cap)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return -EINVAL;
    buf[n] = '\0';
    return 0;
}

/* A small sysfs file as a number; -errno when absent or not a number. */
static int sys_number(int dirfd, const char *name, uint64_t *out)
{
    char buf[32], *end;
    int rc = sys_text(dirfd, name, buf, sizeof(buf));

    if (rc != 0)
        return rc;
    errno = 0;
    *out = strtoull(buf, &end, 10);
    if (errno != 0 || end == buf || (*end != '\n' && *end != '\0'))
        return -EINVAL;
    return 0;
}

/* The "MAJ:MIN" of a dev file. */
static int sys_dev(int dirfd, dev_t *out)
{
    char buf[32];
    unsigned maj, min;
    int extra = 0, rc = sys_text(dirfd, "dev", buf, sizeof(buf));

    if (rc != 0)
        return rc;
    if (sscanf(buf, "%u:%u%n", &maj, &min, &extra) != 2 || extra == 0)
        return -EINVAL;
    *out = makedev(maj, min);
    return 0;
}

/* The DEVNAME= of a uevent file: a name under /dev, plain characters. */
static int sys_devname(int dirfd, char *out, size_t cap)
{
    char buf[1024], *p, *nl;
    int fd = openat(dirfd, "uevent", O_RDONLY | O_CLOEXEC);
    ssize_t n;
    size_t i, len;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EINVAL;
    buf[n] = '\0';
    for (p = buf; p != NULL && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(p, "DEVNAME=", 8) != 0)
            continue;
        p += 8;
        len = strlen(p);
        if (len == 0 || len >= cap || strstr(p, "..") != NULL)
            return -EINVAL;
        for (i = 0; i < len; i++)
            if (!(p[i] >= 'a' && p[i] <= 'z') &&
                !(p[i] >= 'A' && p[i] <= 'Z') &&
                !(p[i] >= '0' && p[i] <= '9') && !strchr("-_./:", p[i]))
                return -EINVAL;
        memcpy(out, p, len + 1);
        return 0;
    }
    return -ENOENT;
}

static int sys_read(int dirfd, sysblock_t *b)
{
    uint64_t n;
    int rc;

    memset(b, 0, sizeof(*b));
    rc = sys_devname(dirfd, b->devname, sizeof(b->devname));
    if (rc == 0)
        rc = sys_number(dirfd, "size", &b->size);
    if (rc != 0)
        return rc;
    if (sys_number(dirfd, "partition", &n) == 0) {
        if (n == 0 || n > 4096)
            return -EINVAL;
        b->partition = (unsigned)n;
        rc = sys_number(dirfd, "start", &b->start);
    }
    return rc;
}

/* Open /dev/NAME and check it is the device dev (not something else made
 * at that name). */
static int open_dev(const char *name, dev_t dev, int flags)
{
    char path[128];
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "/dev/%s", name);
    fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0 || !S_ISBLK(st.st_mode) || st.st_rdev != dev) {
        close(fd);
        return -ENODEV;
    }
    return fd;
}

static double gib(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024 * 1024);
}

/* The partition: table, then the kernel (BLKPG). Returns 0 or 1 (grown),
 * -1 failed (said). */
static int grow_partition(mi_ctx_t *c, const sysblock_t *part,
                          const sysblock_t *disk, dev_t disk_dev)
{
    struct blkpg_partition bp;
    struct blkpg_ioctl_arg arg;
    mi_part_grow_t g;
    char why[256];
    uint64_t bytes;
    int fd, ssz = 512, rc;

    fd = open_dev(disk->devname, disk_dev,
                  c->root.dry_run ? O_RDONLY : O_RDWR);
    if (fd < 0) {
        mi_error(c, "growroot: /dev/%s: %s", disk->devname, strerror(-fd));
        return -1;
    }
    if (ioctl(fd, BLKSSZGET, &ssz) != 0 || ioctl(fd, BLKGETSIZE64, &bytes)
        != 0 || ssz < 512 || (part->start * 512) % (unsigned)ssz != 0) {
        mi_error(c, "growroot: /dev/%s: no sector size or disk size",
                 disk->devname);
        close(fd);
        return -1;
    }
    rc = mi_part_grow(fd, (unsigned)ssz, bytes / (unsigned)ssz,
                      part->partition, part->start * 512 / (unsigned)ssz,
                      c->root.dry_run, &g, why, sizeof(why));
    if (rc <= 0) {
        if (rc < 0)
            mi_error(c, "growroot: /dev/%s: %s", disk->devname, why);
        else if (g.followed_by || c->root.verbose)
            mi_say("root partition /dev/%s: %s", part->devname, why);
        close(fd);
        return rc < 0 ? -1 : 0;
    }
    if (c->root.dry_run) {
        mi_say("would grow root partition /dev/%s (%s) from %.2f GiB to "
               "%.2f GiB, and its file system with it", part->devname,
               g.gpt ? "GPT" : "MBR",
               gib(g.old_sectors * (unsigned)ssz),
               gib(g.new_sectors * (unsigned)ssz));
        close(fd);
        return 1;
    }
    /* The table is written; the kernel resizes its view of the mounted
     * partition in place (re-reading the whole table would be refused). */
    memset(&bp, 0, sizeof(bp));
    bp.start = (long long)(g.start * (unsigned)ssz);
    bp.length = (long long)(g.new_sectors * (unsigned)ssz);
    bp.pno = (int)part->partition;
    memset(&arg, 0, sizeof(arg));
    arg.op = BLKPG_RESIZE_PARTITION;
    arg.datalen = sizeof(bp);
    arg.data = &bp;
    if (ioctl(fd, BLKPG, &arg) != 0) {
        mi_error(c, "growroot: partition table of /dev/%s rewritten, but the "
                 "kernel keeps the old size of /dev/%s (BLKPG: %s): it grows "
                 "at the next boot", disk->devname, part->devname,
                 strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    mi_say("root partition /dev/%s (%s) grown from %.2f GiB to %.2f GiB%s",
           part->devname, g.gpt ? "GPT" : "MBR",
           gib(g.old_sectors * (unsigned)ssz),
           gib(g.new_sectors * (unsigned)ssz),
           g.mbr_capped ? " (an MBR's limit: 2 TiB)" : "");
    return 1;
}

/* The mounted file system to its device's size. */
static void grow_fs(mi_ctx_t *c, const sysblock_t *dev, dev_t rdev)
{
    uint64_t blocks, want;
    unsigned bsize;
    char why[256];
    int fd = open_dev(dev->devname, rdev, O_RDONLY), rc;

    if (fd < 0) {
        mi_error(c, "growroot: /dev/%s: %s", dev->devname, strerror(-fd));
        return;
    }
    rc = mi_ext4_size(fd, 0, &blocks, &bsize, why, sizeof(why));
    close(fd);
    if (rc != 0) {
        mi_error(c, "growroot: /dev/%s: %s", dev->devname, why);
        return;
    }
    want = dev->size * 512 / bsize;
    if (want <= blocks || (want - blocks) * bsize < MI_GROW_MIN_BYTES) {
        if (c->root.verbose)
            mi_say("root file system on /dev/%s fills it already",
                   dev->devname);
        return;
    }
    if (c->root.dry_run) {
        mi_say("would grow the root file system from %.2f GiB to %.2f GiB",
               gib(blocks * bsize), gib(want * bsize));
        return;
    }
    /* Online, in the kernel: what resize2fs asks of it for a mounted
     * file system. */
    if (ioctl(c->root.fd, EXT4_IOC_RESIZE_FS, &want) != 0) {
        mi_error(c, "growroot: growing the root file system (ext4) on "
                 "/dev/%s to %" PRIu64 " blocks failed: %s (the kernel's "
                 "log says why)", dev->devname, want, strerror(errno));
        return;
    }
    mi_say("root file system (ext4) grown from %.2f GiB to %.2f GiB",
           gib(blocks * bsize), gib(want * bsize));
}

int mi_growroot(mi_ctx_t *c)
{
    sysblock_t part, disk;
    struct statfs sfs;
    struct stat st;
    char path[64];
    dev_t disk_dev = 0;
    int dirfd, diskfd = -1, rc = 0, errors = c->errors;

    if (!c->conf.grow_root || c->conf.platform != MI_LINUX)
        return 0;
    if (strcmp(c->root.dir, "/") != 0) {
        mi_say("growroot: only the running system's root grows, not --root "
               "%s: nothing done", c->root.dir);
        return 0;
    }
    if (fstat(c->root.fd, &st) != 0 || fstatfs(c->root.fd, &sfs) != 0) {
        mi_error(c, "growroot: /: %s", strerror(errno));
        return 1;
    }
    snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(st.st_dev),
             minor(st.st_dev));
    dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        /* overlayfs, a network or virtual root: no disk of its own. */
        if (c->root.verbose)
            mi_say("growroot: the root file system is on no block device");
        return 0;
    }
    rc = sys_read(dirfd, &part);
    if (rc == 0 && part.partition) {
        /* The disk holding the partition is its parent in sysfs. */
        diskfd = openat(dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = diskfd < 0 ? -errno : sys_read(diskfd, &disk);
        if (rc == 0)
            rc = sys_dev(diskfd, &disk_dev);
    }
    if (rc != 0) {
        mi_error(c, "growroot: %s: %s", path, strerror(-rc));
        goto out;
    }
    if (part.partition) {
        /* Fast and quiet on every boot but the one after the disk grew:
         * sysfs alone says there is no room. */
        if (disk.size > part.start + part.size &&
            (disk.size - part.start - part.size) * 512 >=
                MI_GROW_MIN_BYTES + GPT_TAIL_SLACK) {
            if (sfs.f_type != EXT_MAGIC) {
                mi_say("root file system is not ext2/3/4: its partition "
                       "/dev/%s is not grown", part.devname);
                goto out;
            }
            if (grow_partition(c, &part, &disk, disk_dev) < 0)
                goto out;
            if (sys_number(dirfd, "size", &part.size) != 0) {
                mi_error(c, "growroot: %s/size: unreadable", path);
                goto out;
            }
        }
    }
    if (sfs.f_type == EXT_MAGIC)
        grow_fs(c, &part, st.st_dev);
out:
    if (diskfd >= 0)
        close(diskfd);
    close(dirfd);
    return c->errors > errors ? 1 : 0;
}

#else

int mi_growroot(mi_ctx_t *c)
{
    if (c->conf.grow_root && c->conf.platform == MI_LINUX)
        mi_say("growroot: not built for this system: nothing done");
    return 0;
}

#endif
