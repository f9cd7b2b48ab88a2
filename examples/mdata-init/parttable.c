/* parttable.c: a partition table grown in place (MBR and GPT) and the
 * size of an ext2/3/4 file system from its superblock, on file
 * descriptors (parttable.h). No kernel calls: the growroot phase
 * (growroot.c) does those; tests/init runs this on disk image files. */
#include "parttable.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdata.h"

/* Bounds on what a GPT header may ask us to read. */
#define GPT_MAX_ENTRIES 4096u
#define GPT_MAX_ENTRY_SIZE 4096u
#define MBR_LIMIT (UINT64_C(1) << 32) /* sectors an MBR can address */
#define EXT_MAGIC 0xEF53u

static int fail(char *why, size_t cap, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail(char *why, size_t cap, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return err;
}

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* All of len bytes at off, or -EIO (short) / -errno. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got,
                          (off_t)(off + got));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        got += (size_t)n;
    }
    return 0;
}

static int write_at(int fd, const void *buf, size_t len, uint64_t off)
{
    size_t put = 0;

    while (put < len) {
        ssize_t n = pwrite(fd, (const char *)buf + put, len - put,
                           (off_t)(off + put));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        put += (size_t)n;
    }
    return 0;
}

static int is_zero(const unsigned char *p, size_t n)
{
    while (n--)
        if (*p++ != 0)
            return 0;
    return 1;
}

static uint32_t crc32_of(const void *p, size_t n)
{
    return mdata_crc32(0, p, n);
}

/* --- MBR ---------------------------------------------------------------- */

#define MBR_ENTRIES 446
#define MBR_TYPE_GPT 0xEE

static int is_extended(unsigned type)
{
    return type == 0x05 || type == 0x0f || type == 0x85;
}

/* The CHS address of lba on the 255-head, 63-sector geometry every tool
 * uses; the all-ones marker beyond cylinder 1023. */
static void chs_of(uint64_t lba, unsigned char out[3])
{
    uint64_t cyl = lba / (255 * 63);
    unsigned head = (unsigned)(lba / 63 % 255), sec = (unsigned)(lba % 63) + 1;

    if (cyl > 1023) {
        out[0] = 0xfe;
        out[1] = 0xff;
        out[2] = 0xff;
        return;
    }
    out[0] = (unsigned char)head;
    out[1] = (unsigned char)(sec | (cyl >> 2 & 0xc0));
    out[2] = (unsigned char)cyl;
}

static int mbr_grow(int fd, unsigned ssz, uint64_t disk, unsigned number,
                    uint64_t start, int dry_run, unsigned char *mbr,
                    mi_part_grow_t *g, char *why, size_t cap)
{
    unsigned char *e = mbr + MBR_ENTRIES + 16 * (number - 1);
    uint64_t limit = disk < MBR_LIMIT ? disk : MBR_LIMIT;
    uint64_t p_start, p_size, want;
    unsigned i;
    int rc;

    if (number > 4)
        return fail(why, cap, -ENOTSUP, "partition %u is a logical "
                    "partition (MBR): not grown", number);
    p_start = le32(e + 8);
    p_size = le32(e + 12);
    if (e[4] == 0 || p_size == 0)
        return fail(why, cap, -ENOENT, "the MBR has no partition %u",
                    number);
    if (is_extended(e[4]))
        return fail(why, cap, -ENOTSUP, "partition %u is an extended "
                    "partition: not grown", number);
    if (p_start != start)
        return fail(why, cap, -EINVAL, "the MBR puts partition %u at sector "
                    "%" PRIu64 ", the kernel at %" PRIu64 ": not touched",
                    number, p_start, start);
    if (p_start + p_size > disk)
        return fail(why, cap, -EINVAL, "the MBR's partition %u ends at "
                    "sector %" PRIu64 ", past the disk's %" PRIu64,
                    number, p_start + p_size, disk);
    for (i = 0; i < 4; i++) {
        const unsigned char *o = mbr + MBR_ENTRIES + 16 * i;

        if (i != number - 1 && o[4] != 0 && le32(o + 12) != 0 &&
            le32(o + 8) > p_start) {
            g->followed_by = i + 1;
            return fail(why, cap, 0, "partition %u follows partition %u: "
                        "not grown", i + 1, number);
        }
    }
    g->gpt = 0;
    g->start = p_start;
    g->old_sectors = p_size;
    g->new_sectors = p_size;
    want = limit - p_start;
    if (want > UINT32_MAX)
        want = UINT32_MAX;
    g->mbr_capped = disk > MBR_LIMIT;
    if (want <= p_size || (want - p_size) * ssz < MI_GROW_MIN_BYTES)
        return fail(why, cap, 0, "partition %u already fills the disk%s",
                    number, g->mbr_capped ? " as far as an MBR can "
                    "address (2 TiB)" : "");
    g->new_sectors = want;
    if (dry_run)
        return 1;
    put32(e + 12, (uint32_t)want);
    chs_of(p_start + want - 1, e + 5);
    rc = write_at(fd, mbr, ssz, 0);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (rc != 0)
        return fail(why, cap, rc, "writing the MBR: %s", strerror(-rc));
    return 1;
}

/* --- GPT ---------------------------------------------------------------- */

/* Header fields (UEFI spec, table 5-5). */
#define H_SIZE 12
#define H_CRC 16
#define H_MY_LBA 24
#define H_ALT_LBA 32
#define H_FIRST_USABLE 40
#define H_LAST_USABLE 48
#define H_ENTRIES_LBA 72
#define H_ENTRIES 80
#define H_ENTRY_SIZE 84
#define H_ENTRIES_CRC 88
#define H_MIN_SIZE 92
/* Entry fields. */
#define E_FIRST 32
#define E_LAST 40

typedef struct gpt {
    unsigned char *hdr;     /* the primary header's sector */
    unsigned char *entries; /* the primary entry array, whole sectors */
    uint32_t hdr_size, count, entry_size;
    uint64_t entries_lba, entries_sectors, alt_lba, first_usable,
        last_usable;
} gpt_t;

static void header_crc(unsigned char *hdr, uint32_t size)
{
    put32(hdr + H_CRC, 0);
    put32(hdr + H_CRC, crc32_of(hdr, size));
}

/* Read and check the primary GPT: -errno with why, else 0. */
static int gpt_read(int fd, unsigned ssz, uint64_t disk, gpt_t *t,
                    char *why, size_t cap)
{
    unsigned char *h;
    uint64_t bytes;
    uint32_t crc;
    int rc;

    memset(t, 0, sizeof(*t));
    if (disk < 3)
        return fail(why, cap, -EINVAL, "a disk of %" PRIu64 " sectors "
                    "holds no GPT", disk);
    h = t->hdr = malloc(ssz);
    if (h == NULL)
        return fail(why, cap, -ENOMEM, "%s", strerror(ENOMEM));
    rc = read_at(fd, h, ssz, ssz);
    if (rc != 0)
        return fail(why, cap, rc, "reading the GPT header: %s",
                    strerror(-rc));
    if (memcmp(h, "EFI PART", 8) != 0)
        return fail(why, cap, -EINVAL, "a protective MBR but no GPT header "
                    "in sector 1");
    t->hdr_size = le32(h + H_SIZE);
    if (t->hdr_size < H_MIN_SIZE || t->hdr_size > ssz)
        return fail(why, cap, -EINVAL, "GPT header size %" PRIu32 " is not "
                    "between %d and %u", t->hdr_size, H_MIN_SIZE, ssz);
    crc = le32(h + H_CRC);
    put32(h + H_CRC, 0);
    if (crc32_of(h, t->hdr_size) != crc)
        return fail(why, cap, -EINVAL, "the GPT header's checksum is wrong");
    put32(h + H_CRC, crc);
    t->alt_lba = le64(h + H_ALT_LBA);
    t->first_usable = le64(h + H_FIRST_USABLE);
    t->last_usable = le64(h + H_LAST_USABLE);
    t->entries_lba = le64(h + H_ENTRIES_LBA);
    t->count = le32(h + H_ENTRIES);
    t->entry_size = le32(h + H_ENTRY_SIZE);
    if (le64(h + H_MY_LBA) != 1)
        return fail(why, cap, -EINVAL, "the GPT header in sector 1 says it "
                    "is at sector %" PRIu64, le64(h + H_MY_LBA));
    if (t->count == 0 || t->count > GPT_MAX_ENTRIES ||
        t->entry_size < 128 || t->entry_size > GPT_MAX_ENTRY_SIZE ||
        t->entry_size % 8 != 0)
        return fail(why, cap, -EINVAL, "GPT entry array of %" PRIu32
                    " entries of %" PRIu32 " bytes: not a size this reads",
                    t->count, t->entry_size);
    bytes = (uint64_t)t->count * t->entry_size;
    t->entries_sectors = (bytes + ssz - 1) / ssz;
    if (t->alt_lba >= disk)
        return fail(why, cap, -EINVAL, "the GPT's backup header is at "
                    "sector %" PRIu64 ", past the disk's end (%" PRIu64
                    " sectors)", t->alt_lba, disk);
    if (t->entries_lba < 2 ||
        t->entries_lba + t->entries_sectors > t->first_usable ||
        t->first_usable > t->last_usable ||
        t->last_usable + t->entries_sectors >= t->alt_lba)
        return fail(why, cap, -EINVAL, "the GPT's areas overlap or leave "
                    "no room for its backup (entries at %" PRIu64
                    ", usable %" PRIu64 "-%" PRIu64 ", backup at %" PRIu64
                    ")", t->entries_lba, t->first_usable, t->last_usable,
                    t->alt_lba);
    t->entries = calloc(t->entries_sectors, ssz);
    if (t->entries == NULL)
        return fail(why, cap, -ENOMEM, "%s", strerror(ENOMEM));
    rc = read_at(fd, t->entries, t->entries_sectors * ssz,
                 t->entries_lba * ssz);
    if (rc != 0)
        return fail(why, cap, rc, "reading the GPT entries: %s",
                    strerror(-rc));
    if (crc32_of(t->entries, (size_t)bytes) != le32(h + H_ENTRIES_CRC))
        return fail(why, cap, -EINVAL, "the GPT entries' checksum is wrong");
    return 0;
}

/* The protective MBR's one partition covers the disk again (a hybrid MBR,
 * with more partitions, is left as it is). */
static int pmbr_follow(int fd, unsigned ssz, uint64_t disk,
                       unsigned char *mbr)
{
    unsigned char *e = mbr + MBR_ENTRIES;
    uint64_t size = disk - 1 > UINT32_MAX ? UINT32_MAX : disk - 1;

    if (e[4] != MBR_TYPE_GPT || le32(e + 8) != 1 ||
        !is_zero(e + 16, 48) || le32(e + 12) == size)
        return 0;
    put32(e + 12, (uint32_t)size);
    chs_of(size, e + 5);
    return write_at(fd, mbr, ssz, 0);
}

static int gpt_grow(int fd, unsigned ssz, uint64_t disk, unsigned number,
                    uint64_t start, int dry_run, unsigned char *mbr,
                    mi_part_grow_t *g, char *why, size_t cap)
{
    uint64_t last = disk - 1, p_first, p_last, new_last_usable, old_alt;
    unsigned char *e, *backup = NULL, *old = NULL;
    gpt_t t;
    uint32_t i;
    int rc;

    rc = gpt_read(fd, ssz, disk, &t, why, cap);
    if (rc != 0)
        goto out;
    if (number > t.count) {
        rc = fail(why, cap, -ENOENT, "the GPT has no partition %u (%" PRIu32
                  " entries)", number, t.count);
        goto out;
    }
    e = t.entries + (size_t)(number - 1) * t.entry_size;
    p_first = le64(e + E_FIRST);
    p_last = le64(e + E_LAST);
    if (is_zero(e, 16)) {
        rc = fail(why, cap, -ENOENT, "the GPT has no partition %u", number);
        goto out;
    }
    if (p_first != start) {
        rc = fail(why, cap, -EINVAL, "the GPT puts partition %u at sector %"
                  PRIu64 ", the kernel at %" PRIu64 ": not touched", number,
                  p_first, start);
        goto out;
    }
    if (p_last < p_first || p_first < t.first_usable ||
        p_last > t.last_usable) {
        rc = fail(why, cap, -EINVAL, "the GPT's partition %u (sectors %"
                  PRIu64 "-%" PRIu64 ") is outside its usable sectors",
                  number, p_first, p_last);
        goto out;
    }
    for (i = 0; i < t.count; i++) {
        const unsigned char *o = t.entries + (size_t)i * t.entry_size;

        if (i != number - 1 && !is_zero(o, 16) &&
            le64(o + E_FIRST) > p_first) {
            g->followed_by = i + 1;
            rc = fail(why, cap, 0, "partition %" PRIu32 " follows partition "
                      "%u: not grown", i + 1, number);
            goto out;
        }
    }
    g->gpt = 1;
    g->start = p_first;
    g->old_sectors = g->new_sectors = p_last - p_first + 1;
    g->mbr_capped = 0;
    /* The backup: its entries, then its header in the disk's last sector. */
    new_last_usable = last - t.entries_sectors - 1;
    if (new_last_usable <= p_last ||
        (new_last_usable - p_last) * ssz < MI_GROW_MIN_BYTES) {
        rc = fail(why, cap, 0, "partition %u already fills the disk",
                  number);
        goto out;
    }
    g->new_sectors = new_last_usable - p_first + 1;
    rc = 1;
    if (dry_run)
        goto out;

    put64(e + E_LAST, new_last_usable);
    old_alt = t.alt_lba;
    put64(t.hdr + H_ALT_LBA, last);
    put64(t.hdr + H_LAST_USABLE, new_last_usable);
    put32(t.hdr + H_ENTRIES_CRC,
          crc32_of(t.entries, (size_t)t.count * t.entry_size));
    header_crc(t.hdr, t.hdr_size);
    backup = malloc(ssz);
    old = malloc(ssz);
    if (backup == NULL || old == NULL) {
        rc = fail(why, cap, -ENOMEM, "%s", strerror(ENOMEM));
        goto out;
    }
    memcpy(backup, t.hdr, ssz);
    put64(backup + H_MY_LBA, last);
    put64(backup + H_ALT_LBA, 1);
    put64(backup + H_ENTRIES_LBA, last - t.entries_sectors);
    header_crc(backup, t.hdr_size);
    /* The new backup first (sectors no partition used), then the primary:
     * a crash in between leaves one whole, valid table. */
    rc = write_at(fd, t.entries, t.entries_sectors * ssz,
                  (last - t.entries_sectors) * ssz);
    if (rc == 0)
        rc = write_at(fd, backup, ssz, last * ssz);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (rc == 0)
        rc = write_at(fd, t.entries, t.entries_sectors * ssz,
                      t.entries_lba * ssz);
    if (rc == 0)
        rc = write_at(fd, t.hdr, ssz, ssz);
    if (rc == 0)
        rc = pmbr_follow(fd, ssz, disk, mbr);
    /* The old backup header now lies inside the grown partition: erased,
     * so nothing takes it for a table (it was outside every partition, and
     * the file system has not grown over it yet). */
    if (rc == 0 && old_alt != last && read_at(fd, old, ssz, old_alt * ssz)
        == 0 && memcmp(old, "EFI PART", 8) == 0) {
        memset(old, 0, ssz);
        rc = write_at(fd, old, ssz, old_alt * ssz);
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (rc != 0)
        rc = fail(why, cap, rc, "writing the GPT: %s", strerror(-rc));
    else
        rc = 1;
out:
    free(old);
    free(backup);
    free(t.entries);
    free(t.hdr);
    return rc;
}

int mi_part_grow(int fd, unsigned sector_size, uint64_t disk_sectors,
                 unsigned number, uint64_t start, int dry_run,
                 mi_part_grow_t *g, char *why, size_t cap)
{
    unsigned char *mbr;
    unsigned i;
    int rc, gpt = 0;

    memset(g, 0, sizeof(*g));
    why[0] = '\0';
    if (sector_size < 512 || sector_size > 4096 ||
        (sector_size & (sector_size - 1)) != 0)
        return fail(why, cap, -EINVAL, "sector size %u", sector_size);
    if (number == 0)
        return fail(why, cap, -ENOENT, "no partition 0");
    if (disk_sectors == 0 || disk_sectors > UINT64_MAX / sector_size)
        return fail(why, cap, -EINVAL, "a disk of %" PRIu64 " sectors",
                    disk_sectors);
    mbr = malloc(sector_size);
    if (mbr == NULL)
        return fail(why, cap, -ENOMEM, "%s", strerror(ENOMEM));
    rc = read_at(fd, mbr, sector_size, 0);
    if (rc != 0) {
        rc = fail(why, cap, rc, "reading sector 0: %s", strerror(-rc));
        goto out;
    }
    if (mbr[510] != 0x55 || mbr[511] != 0xaa) {
        rc = fail(why, cap, -ENOENT, "no partition table (no MBR "
                  "signature in sector 0)");
        goto out;
    }
    for (i = 0; i < 4; i++)
        if (mbr[MBR_ENTRIES + 16 * i + 4] == MBR_TYPE_GPT)
            gpt = 1;
    if (gpt)
        rc = gpt_grow(fd, sector_size, disk_sectors, number, start, dry_run,
                      mbr, g, why, cap);
    else
        rc = mbr_grow(fd, sector_size, disk_sectors, number, start, dry_run,
                      mbr, g, why, cap);
out:
    free(mbr);
    return rc;
}

/* --- ext2/3/4 superblock ------------------------------------------------ */

#define SB_OFFSET 1024
#define SB_BLOCKS_LO 4
#define SB_LOG_BLOCK 24
#define SB_MAGIC 56
#define SB_INCOMPAT 96
#define SB_BLOCKS_HI 336
#define INCOMPAT_64BIT 0x80u

int mi_ext4_size(int fd, uint64_t offset, uint64_t *blocks,
                 unsigned *block_size, char *why, size_t cap)
{
    unsigned char sb[1024];
    uint32_t log;
    int rc;

    why[0] = '\0';
    rc = read_at(fd, sb, sizeof(sb), offset + SB_OFFSET);
    if (rc != 0)
        return fail(why, cap, rc, "reading the superblock: %s",
                    strerror(-rc));
    if (le16(sb + SB_MAGIC) != EXT_MAGIC)
        return fail(why, cap, -EINVAL, "no ext2/3/4 superblock");
    log = le32(sb + SB_LOG_BLOCK);
    if (log > 6) /* 1 KiB to 64 KiB */
        return fail(why, cap, -EINVAL, "superblock: block size 2^%" PRIu32
                    " KiB", log);
    *block_size = 1024u << log;
    *blocks = le32(sb + SB_BLOCKS_LO);
    if (le32(sb + SB_INCOMPAT) & INCOMPAT_64BIT)
        *blocks |= (uint64_t)le32(sb + SB_BLOCKS_HI) << 32;
    if (*blocks == 0)
        return fail(why, cap, -EINVAL, "superblock: no blocks");
    return 0;
}
