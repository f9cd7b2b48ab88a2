/* test-growroot: mdata-init's growroot layer (growroot.c) on disk image
 * files: tables made by sfdisk(8), grown, then read back by sfdisk and by
 * the layer itself; damaged and odd tables refused with nothing written;
 * ext2/3/4 superblocks made by mkfs.ext4. The kernel's part (BLKPG,
 * EXT4_IOC_RESIZE_FS) runs in real boots (tests/image). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parttable.h"
#include "mdata.h"
#include "testutil.h"

#define MIB (1024 * 1024)
#define SECTORS(mib) ((uint64_t)(mib) * MIB / 512)

static char dir[64], img[128];

static void sh(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    CU_ASSERT_FATAL(system(cmd) == 0);
}

static int setup(void)
{
    /* tests/run-all.sh installs both (fdisk, e2fsprogs). */
    if (system("command -v sfdisk >/dev/null && "
               "command -v mkfs.ext4 >/dev/null") != 0) {
        fprintf(stderr, "init-growroot needs sfdisk (Debian: fdisk) and "
                        "mkfs.ext4 (e2fsprogs) in PATH\n");
        return 1;
    }
    strcpy(dir, "/tmp/mi-growroot-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(img, sizeof(img), "%s/disk.img", dir);
    return 0;
}

static int teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}

/* A sparse disk image of mib MiB partitioned by sfdisk's script. */
static void make_disk(unsigned mib, const char *script)
{
    unlink(img);
    sh("truncate -s %uM %s && printf '%s' | sfdisk -q %s", mib, img, script,
       img);
}

static void resize_disk(unsigned mib)
{
    sh("truncate -s %uM %s", mib, img);
}

/* What sfdisk -d says of the image, its warnings included. */
static char *dump(void)
{
    char cmd[256];
    char *text = calloc(1, 16384);
    size_t n;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "sfdisk -d %s 2>&1", img);
    p = popen(cmd, "r");
    CU_ASSERT_FATAL(p != NULL && text != NULL);
    n = fread(text, 1, 16383, p);
    text[n] = '\0';
    CU_ASSERT(pclose(p) == 0);
    return text;
}

/* The regions a grow can write, from the image: its first 64 KiB (MBR,
 * primary GPT), the last 64 KiB before 64 MiB (the old backup GPT of the
 * disks made here) and its last 64 KiB (the new backup). Reading whole
 * images each time would be slow under the sanitizers. */
static char *slurp(size_t *len)
{
    const size_t chunk = 65536;
    char *data = calloc(3, chunk);
    struct stat st;
    int fd = open(img, O_RDONLY);

    CU_ASSERT_FATAL(fd >= 0 && data != NULL && fstat(fd, &st) == 0);
    CU_ASSERT(pread(fd, data, chunk, 0) >= 0);
    if (st.st_size >= 64 * MIB)
        CU_ASSERT(pread(fd, data + chunk, chunk, 64 * MIB - chunk) ==
                  (ssize_t)chunk);
    if ((size_t)st.st_size >= chunk)
        CU_ASSERT(pread(fd, data + 2 * chunk, chunk,
                        st.st_size - (off_t)chunk) == (ssize_t)chunk);
    close(fd);
    *len = 3 * chunk;
    return data;
}

static int grow(uint64_t disk_sectors, unsigned number, uint64_t start,
                int dry_run, mi_part_grow_t *g, char *why, size_t cap)
{
    int fd = open(img, O_RDWR), rc;

    CU_ASSERT_FATAL(fd >= 0);
    rc = mi_part_grow(fd, 512, disk_sectors, number, start, dry_run, g, why,
                      cap);
    close(fd);
    return rc;
}

/* A grow that must fail or do nothing changes no byte of the image. */
static int grow_unchanged(uint64_t disk_sectors, unsigned number,
                          uint64_t start, char *why, size_t cap)
{
    mi_part_grow_t g;
    size_t l1, l2;
    char *before = slurp(&l1), *after;
    int rc = grow(disk_sectors, number, start, 0, &g, why, cap);

    after = slurp(&l2);
    CU_ASSERT(l1 == l2 && memcmp(before, after, l1) == 0);
    CU_ASSERT(why[0] != '\0');
    free(before);
    free(after);
    return rc;
}

static unsigned g_followed_by(uint64_t disk_sectors, unsigned number,
                              uint64_t start)
{
    mi_part_grow_t g;
    char why[256];

    CU_ASSERT_EQUAL(grow(disk_sectors, number, start, 1, &g, why,
                         sizeof(why)), 0);
    return g.followed_by;
}

static void test_mbr_grows(void)
{
    unsigned char code[440], back[440];
    mi_part_grow_t g;
    char why[256], *d;
    int fd, i;

    make_disk(64, "label: dos\\nstart=2048, type=83, bootable\\n");
    /* Boot code in the MBR (GRUB's boot.img in the image) stays. */
    for (i = 0; i < 440; i++)
        code[i] = (unsigned char)(i * 7 + 1);
    fd = open(img, O_RDWR);
    CU_ASSERT_FATAL(fd >= 0 && pwrite(fd, code, 440, 0) == 440);
    close(fd);
    resize_disk(128);
    CU_ASSERT_EQUAL(grow(SECTORS(128), 1, 2048, 0, &g, why, sizeof(why)), 1);
    CU_ASSERT_EQUAL(g.gpt, 0);
    CU_ASSERT_EQUAL(g.start, 2048);
    CU_ASSERT_EQUAL(g.old_sectors, SECTORS(64) - 2048);
    CU_ASSERT_EQUAL(g.new_sectors, SECTORS(128) - 2048);
    CU_ASSERT_EQUAL(g.mbr_capped, 0);
    d = dump();
    CU_ASSERT(strstr(d, "start=        2048, size=      260096, type=83, "
                        "bootable") != NULL);
    free(d);
    sh("sfdisk -q --verify %s >/dev/null 2>&1", img);
    fd = open(img, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0 && pread(fd, back, 440, 0) == 440);
    close(fd);
    CU_ASSERT(memcmp(code, back, 440) == 0);
    /* Again: it fills the disk, nothing to do. */
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 1, 2048, why, sizeof(why)),
                    0);
    CU_ASSERT(strstr(why, "already fills the disk") != NULL);
}

static void test_mbr_small_room_and_dry_run(void)
{
    mi_part_grow_t g;
    char why[256];
    size_t l1, l2;
    char *before, *after;

    make_disk(64, "label: dos\\nstart=2048, type=83\\n");
    /* Less than a MiB more: not worth a table write. */
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(64) + 2047, 1, 2048, why,
                                   sizeof(why)), 0);
    before = slurp(&l1);
    resize_disk(96);
    CU_ASSERT_EQUAL(grow(SECTORS(96), 1, 2048, 1, &g, why, sizeof(why)), 1);
    CU_ASSERT_EQUAL(g.new_sectors, SECTORS(96) - 2048);
    after = slurp(&l2);
    CU_ASSERT(memcmp(before, after, l1) == 0); /* dry run: nothing written */
    free(before);
    free(after);
}

static void test_mbr_refusals(void)
{
    char why[256];

    make_disk(64, "label: dos\\nstart=2048, size=32768, type=83\\n"
                  "start=34816, type=82\\n");
    resize_disk(128);
    /* Another partition after it: left as it is, not an error. */
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 1, 2048, why, sizeof(why)),
                    0);
    CU_ASSERT(strstr(why, "partition 2 follows partition 1") != NULL);
    CU_ASSERT_EQUAL(g_followed_by(SECTORS(128), 1, 2048), 2);
    /* The kernel's start differs from the table's. */
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 2, 2048, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "the kernel at 2048") != NULL);
    /* A table for a larger disk than this one. */
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(32), 2, 34816, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "past the disk's") != NULL);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 3, 2048, why, sizeof(why)),
                    -ENOENT);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 0, 2048, why, sizeof(why)),
                    -ENOENT);

    /* Logical partitions inside an extended one. */
    make_disk(64, "label: dos\\nstart=2048, size=8192, type=83\\n"
                  "start=10240, type=5\\nstart=12288, type=83\\n");
    resize_disk(128);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 5, 12288, why, sizeof(why)),
                    -ENOTSUP);
    CU_ASSERT(strstr(why, "logical") != NULL);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 2, 10240, why, sizeof(why)),
                    -ENOTSUP);
    CU_ASSERT(strstr(why, "extended") != NULL);
}

static void test_mbr_two_tib_limit(void)
{
    mi_part_grow_t g;
    char why[256];
    unsigned char e[16];
    int fd;

    /* A 3 TiB disk: the table itself is in sector 0, the only one read. */
    make_disk(64, "label: dos\\nstart=2048, type=83\\n");
    CU_ASSERT_EQUAL(grow(UINT64_C(3) << 31, 1, 2048, 0, &g, why,
                         sizeof(why)), 1);
    CU_ASSERT_EQUAL(g.mbr_capped, 1);
    CU_ASSERT_EQUAL(g.new_sectors, (UINT64_C(1) << 32) - 2048);
    fd = open(img, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0 && pread(fd, e, 16, 446) == 16);
    close(fd);
    CU_ASSERT(e[12] == 0x00 && e[13] == 0xf8 && e[14] == 0xff &&
              e[15] == 0xff);
    /* Beyond cylinder 1023: the CHS end is the all-ones marker. */
    CU_ASSERT(e[5] == 0xfe && e[6] == 0xff && e[7] == 0xff);
    CU_ASSERT_EQUAL(grow_unchanged(UINT64_C(3) << 31, 1, 2048, why,
                                   sizeof(why)), 0);
    CU_ASSERT(strstr(why, "2 TiB") != NULL);
}

static void test_no_table(void)
{
    mi_part_grow_t g;
    char why[256];
    int fd;

    unlink(img);
    sh("truncate -s 4M %s", img);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(4), 1, 2048, why, sizeof(why)),
                    -ENOENT);
    CU_ASSERT(strstr(why, "no partition table") != NULL);
    /* A file shorter than a sector. */
    unlink(img);
    sh("head -c 100 /dev/zero > %s", img);
    CU_ASSERT_EQUAL(grow(SECTORS(4), 1, 2048, 0, &g, why, sizeof(why)),
                    -EIO);
    CU_ASSERT(strstr(why, "sector 0") != NULL);
    /* Impossible arguments. */
    fd = open(img, O_RDONLY);
    CU_ASSERT_EQUAL(mi_part_grow(fd, 1000, 100, 1, 1, 0, &g, why,
                                 sizeof(why)), -EINVAL);
    CU_ASSERT_EQUAL(mi_part_grow(fd, 512, 0, 1, 1, 0, &g, why, sizeof(why)),
                    -EINVAL);
    close(fd);
}

/* GPT: an ESP, then the root, as the UEFI image has them. */
#define GPT_SCRIPT "label: gpt\\nstart=2048, size=8192, type=U\\ntype=L\\n"

static void test_gpt_grows(void)
{
    unsigned char sector[512];
    mi_part_grow_t g;
    char why[256], *d;
    uint64_t disk = SECTORS(128);
    int fd;

    make_disk(64, GPT_SCRIPT);
    resize_disk(128);
    d = dump();
    CU_ASSERT(strstr(d, "not on the end of the device") != NULL);
    free(d);
    CU_ASSERT_EQUAL(grow(disk, 2, 10240, 0, &g, why, sizeof(why)), 1);
    CU_ASSERT_EQUAL(g.gpt, 1);
    CU_ASSERT_EQUAL(g.start, 10240);
    CU_ASSERT_EQUAL(g.old_sectors, 118784);
    /* To the last usable sector: 33 sectors kept for the backup table. */
    CU_ASSERT_EQUAL(g.new_sectors, disk - 33 - 10240);
    d = dump();
    CU_ASSERT(strstr(d, "last-lba: 262110") != NULL);
    CU_ASSERT(strstr(d, "start=       10240, size=      251871, "
                        "type=0FC63DAF") != NULL);
    /* sfdisk finds the backup at the end, the protective MBR right, and
     * no checksum wrong. */
    CU_ASSERT(strstr(d, "not on the end") == NULL);
    CU_ASSERT(strstr(d, "mismatch") == NULL);
    CU_ASSERT(strstr(d, "corrupt") == NULL);
    free(d);
    sh("sfdisk -q --verify %s >/dev/null 2>&1", img);
    /* The old backup header (the 64 MiB disk's last sector) is erased; the
     * new one is in the last sector. */
    fd = open(img, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(pread(fd, sector, 512, (SECTORS(64) - 1) * 512) == 512);
    CU_ASSERT(memcmp(sector, "EFI PART", 8) != 0);
    CU_ASSERT(pread(fd, sector, 512, (disk - 1) * 512) == 512);
    CU_ASSERT(memcmp(sector, "EFI PART", 8) == 0);
    close(fd);
    CU_ASSERT_EQUAL(grow_unchanged(disk, 2, 10240, why, sizeof(why)), 0);
    CU_ASSERT(strstr(why, "already fills the disk") != NULL);
    /* The ESP cannot grow: the root follows it. */
    CU_ASSERT_EQUAL(grow_unchanged(disk, 1, 2048, why, sizeof(why)), 0);
    CU_ASSERT(strstr(why, "partition 2 follows partition 1") != NULL);
}

static void test_gpt_dry_run_and_fresh(void)
{
    mi_part_grow_t g;
    char why[256], *before, *after;
    size_t l1, l2;

    /* As sfdisk made it: the root ends within a MiB of the backup. */
    make_disk(64, GPT_SCRIPT);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(64), 2, 10240, why, sizeof(why)),
                    0);
    resize_disk(100);
    before = slurp(&l1);
    CU_ASSERT_EQUAL(grow(SECTORS(100), 2, 10240, 1, &g, why, sizeof(why)), 1);
    CU_ASSERT_EQUAL(g.new_sectors, SECTORS(100) - 33 - 10240);
    after = slurp(&l2);
    CU_ASSERT(l1 == l2 && memcmp(before, after, l1) == 0);
    free(before);
    free(after);
}

/* Patch bytes of the primary GPT header, its checksum made right again
 * when fix_crc (so a later check is the one that must refuse it). */
static void patch_header(size_t off, const void *bytes, size_t n, int fix_crc)
{
    unsigned char h[512];
    uint32_t crc, size;
    int fd = open(img, O_RDWR);

    CU_ASSERT_FATAL(fd >= 0 && pread(fd, h, 512, 512) == 512);
    memcpy(h + off, bytes, n);
    if (fix_crc) {
        memcpy(&size, h + 12, 4);
        memset(h + 16, 0, 4);
        crc = mdata_crc32(0, h, size < 512 ? size : 92);
        memcpy(h + 16, &crc, 4); /* little-endian host (x86, arm64) */
    }
    CU_ASSERT_FATAL(pwrite(fd, h, 512, 512) == 512);
    close(fd);
}

static void test_gpt_damaged(void)
{
    uint32_t v;
    uint64_t v64;
    char why[256];
    int fd;

    make_disk(64, GPT_SCRIPT);
    resize_disk(128);
    /* A byte of the entries changed: their checksum is wrong. */
    fd = open(img, O_RDWR);
    CU_ASSERT_FATAL(fd >= 0 && pwrite(fd, "X", 1, 1024 + 128 + 56) == 1);
    close(fd);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 2, 10240, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "entries' checksum") != NULL);

    make_disk(64, GPT_SCRIPT);
    resize_disk(128);
    patch_header(40, "\x01", 1, 0); /* first usable changed, crc kept */
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 2, 10240, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "header's checksum") != NULL);

    /* Sizes out of bounds, with a right checksum. */
    make_disk(64, GPT_SCRIPT);
    resize_disk(128);
    v = 100000;
    patch_header(80, &v, 4, 1);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 2, 10240, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "100000 entries") != NULL);
    make_disk(64, GPT_SCRIPT);
    v = 600;
    patch_header(12, &v, 4, 0);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(64), 2, 10240, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "header size 600") != NULL);
    /* Entries said to lie over the usable area. */
    make_disk(64, GPT_SCRIPT);
    v64 = 4000;
    patch_header(72, &v64, 8, 1);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(64), 2, 10240, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "overlap") != NULL);
    /* The header says it is elsewhere. */
    make_disk(64, GPT_SCRIPT);
    v64 = 7;
    patch_header(24, &v64, 8, 1);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(64), 2, 10240, why, sizeof(why)),
                    -EINVAL);
    /* A protective MBR with no GPT header behind it. */
    make_disk(64, GPT_SCRIPT);
    patch_header(0, "NOT PART", 8, 0);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(64), 2, 10240, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "no GPT header") != NULL);
}

static void test_gpt_refusals(void)
{
    char why[256];

    make_disk(64, "label: gpt\\nstart=2048, size=8192, type=U\\n"
                  "start=10240, size=40960, type=L\\nstart=51200, type=S\\n");
    resize_disk(128);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 2, 10240, why, sizeof(why)),
                    0);
    CU_ASSERT(strstr(why, "partition 3 follows partition 2") != NULL);
    CU_ASSERT_EQUAL(g_followed_by(SECTORS(128), 2, 10240), 3);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 2, 2048, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "the kernel at 2048") != NULL);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 9, 10240, why, sizeof(why)),
                    -ENOENT);
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(128), 200, 10240, why,
                                   sizeof(why)), -ENOENT);
    /* A disk smaller than the table says. */
    CU_ASSERT_EQUAL(grow_unchanged(SECTORS(32), 3, 51200, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "past the disk's end") != NULL);
}

static void test_ext4_size(void)
{
    uint64_t blocks;
    unsigned bsize;
    char why[256];
    int fd;

    unlink(img);
    sh("truncate -s 24M %s && mkfs.ext4 -q -F -E offset=%d %s 16M", img, MIB,
       img);
    fd = open(img, O_RDWR);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(mi_ext4_size(fd, MIB, &blocks, &bsize, why, sizeof(why)),
                    0);
    CU_ASSERT_EQUAL(blocks * bsize, 16 * MIB);
    /* Nothing there at offset 0. */
    CU_ASSERT_EQUAL(mi_ext4_size(fd, 0, &blocks, &bsize, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "no ext2/3/4 superblock") != NULL);
    /* Past the end of the file. */
    CU_ASSERT_EQUAL(mi_ext4_size(fd, 24 * MIB, &blocks, &bsize, why,
                                 sizeof(why)), -EIO);
    /* An impossible block size. */
    CU_ASSERT_FATAL(pwrite(fd, "\x20", 1, MIB + 1024 + 24) == 1);
    CU_ASSERT_EQUAL(mi_ext4_size(fd, MIB, &blocks, &bsize, why, sizeof(why)),
                    -EINVAL);
    CU_ASSERT(strstr(why, "block size") != NULL);
    close(fd);
    /* 1 KiB blocks and the 64bit feature. */
    sh("mkfs.ext4 -q -F -b 1024 -O 64bit %s 8M", img);
    fd = open(img, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(mi_ext4_size(fd, 0, &blocks, &bsize, why, sizeof(why)),
                    0);
    CU_ASSERT_EQUAL(bsize, 1024);
    CU_ASSERT_EQUAL(blocks, 8192);
    close(fd);
}

static CU_TestInfo growroot_tests[] = {
    {"MBR: grown, boot code kept, then nothing", test_mbr_grows},
    {"MBR: less than a MiB of room; dry run", test_mbr_small_room_and_dry_run},
    {"MBR: not last, start mismatch, small disk, logical",
     test_mbr_refusals},
    {"MBR: 2 TiB limit, CHS marker", test_mbr_two_tib_limit},
    {"no table, short file, bad arguments", test_no_table},
    {"GPT: grown, backup moved, sfdisk agrees", test_gpt_grows},
    {"GPT: fresh image and dry run", test_gpt_dry_run_and_fresh},
    {"GPT: checksums and bounds", test_gpt_damaged},
    {"GPT: not last, mismatch, missing, small disk", test_gpt_refusals},
    {"ext2/3/4 superblock", test_ext4_size},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo mdata_test_suites[] = {
    {"init-growroot", setup, teardown, NULL, NULL, growroot_tests},
    CU_SUITE_INFO_NULL,
};
