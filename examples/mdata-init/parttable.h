/*
 * parttable.h: the disk side of the growroot phase (growroot.c), which
 * grows the root partition and its ext4 file system to the end of a disk
 * larger than the image: what cloud-init's growpart and resize2fs do,
 * without Python and without running a program.
 *
 * It works on any file descriptor, a block device or a disk image file
 * (tests/init): MBR (primary partitions) and GPT.
 * Every field read is checked against the disk and the table's own sizes
 * and checksums before anything is written; a table that does not match
 * what the kernel says about the partition is left alone.
 */
#ifndef MI_PARTTABLE_H
#define MI_PARTTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Room of less than this after a partition is not worth growing into
 * (a GPT disk always keeps 33 sectors for its backup table). */
#define MI_GROW_MIN_BYTES (1u << 20)

typedef struct mi_part_grow {
    int gpt;               /* 1 GPT, 0 MBR */
    uint64_t start;        /* first sector of the partition */
    uint64_t old_sectors;  /* its size before */
    uint64_t new_sectors;  /* its size after (old_sectors: not grown) */
    int mbr_capped;        /* MBR: stopped at 2^32 sectors (2 TiB) */
    unsigned followed_by;  /* not grown: this partition comes after it */
} mi_part_grow_t;

/*
 * Grow partition `number` (1-based, as Linux numbers them) of the disk on
 * fd to the disk's end: disk_sectors sectors of sector_size bytes (512 to
 * 4096). The table must place the partition at sector `start` (the
 * kernel's view, in sector_size units) and have no partition after it.
 * GPT: the backup table moves to the new end, the protective MBR follows,
 * every checksum is made again, and the old backup header is erased. With
 * dry_run nothing is written.
 *
 * Returns 1 grown (or would be), 0 nothing to do (the partition ends less
 * than MI_GROW_MIN_BYTES before the disk's end, or another partition
 * follows it: why says which), or -errno with why: -EINVAL a table that
 * is damaged or does not fit the disk, -ENOENT no such partition or no
 * table, -ENOTSUP a logical (extended) partition, -EIO a short read or
 * write.
 */
int mi_part_grow(int fd, unsigned sector_size, uint64_t disk_sectors,
                 unsigned number, uint64_t start, int dry_run,
                 mi_part_grow_t *g, char *why, size_t cap);

/*
 * The size of the ext2/3/4 file system whose first byte is at offset on
 * fd, from its superblock: *blocks blocks of *block_size bytes. Returns 0,
 * -EINVAL (no ext superblock there, or one with impossible values) or
 * -errno, with why.
 */
int mi_ext4_size(int fd, uint64_t offset, uint64_t *blocks,
                 unsigned *block_size, char *why, size_t cap);

#endif
