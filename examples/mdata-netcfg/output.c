/* output.c: stdout, or atomic writes into a directory. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t nc_read_upto(int fd, void *buf, size_t want)
{
    size_t got = 0;

    while (got < want) {
        ssize_t n = read(fd, (char *)buf + got, want - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

int nc_output_stream(FILE *fp, const nc_files_t *files)
{
    return nc_files_print(fp, files);
}

/* 1 when dirfd/name is a regular file holding exactly f's bytes and mode. */
static int same_file(int dirfd, const nc_file_t *f)
{
    struct stat st;
    char buf[4096];
    size_t off = 0;
    int fd, same = 0;

    fd = openat(dirfd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size != f->len || (st.st_mode & 07777) != f->mode)
        goto done;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto done;
        if (n == 0)
            break;
        if ((size_t)n > f->len - off ||
            memcmp(buf, f->data + off, (size_t)n) != 0)
            goto done;
        off += (size_t)n;
    }
    same = off == f->len;
done:
    close(fd);
    return same;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_one(const char *dir, int dirfd, const nc_file_t *f,
                     char *why, size_t cap)
{
    size_t plen = strlen(dir) + strlen(f->name) + 16;
    char *tmp = malloc(plen);
    int fd, rc = 0;

    if (tmp == NULL)
        return MDATA_ENOMEM;
    snprintf(tmp, plen, "%s/.%s.XXXXXX", dir, f->name);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, cap, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return MDATA_EIO;
    }
    if (fchmod(fd, f->mode) != 0 || write_all(fd, f->data, f->len) != 0 ||
        fsync(fd) != 0) {
        snprintf(why, cap, "%s: %s", tmp, strerror(errno));
        rc = MDATA_EIO;
    }
    if (close(fd) != 0 && rc == 0) {
        snprintf(why, cap, "%s: %s", tmp, strerror(errno));
        rc = MDATA_EIO;
    }
    if (rc == 0 &&
        renameat(AT_FDCWD, tmp, dirfd, f->name) != 0) {
        snprintf(why, cap, "%s/%s: %s", dir, f->name, strerror(errno));
        rc = MDATA_EIO;
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int nc_output_dir(const char *dir, const nc_files_t *files, int verbose,
                  int *changed, char *why, size_t cap)
{
    int dirfd, rc = 0;
    size_t i;

    *changed = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(why, cap, "%s: %s", dir, strerror(errno));
        return MDATA_EIO;
    }
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(why, cap, "%s: %s", dir, strerror(errno));
        return MDATA_EIO;
    }
    for (i = 0; i < files->n && rc == 0; i++) {
        const nc_file_t *f = &files->file[i];

        if (same_file(dirfd, f)) {
            if (verbose)
                fprintf(stderr, "mdata-netcfg: %s/%s unchanged\n", dir,
                        f->name);
            continue;
        }
        rc = write_one(dir, dirfd, f, why, cap);
        if (rc == 0) {
            (*changed)++;
            if (verbose)
                fprintf(stderr, "mdata-netcfg: wrote %s/%s\n", dir, f->name);
        }
    }
    if (*changed > 0 && fsync(dirfd) != 0 && rc == 0) {
        snprintf(why, cap, "%s: %s", dir, strerror(errno));
        rc = MDATA_EIO;
    }
    close(dirfd);
    return rc;
}

/* 1 when dirfd/name is a regular file starting with this tool's header. */
static int ours(int dirfd, const char *name)
{
    static const char header[] = "# " NC_HEADER "\n";
    char buf[sizeof(header)];
    struct stat st;
    size_t got = 0;
    int fd;

    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        got = nc_read_upto(fd, buf, sizeof(header) - 1);
    }
    close(fd);
    return got == sizeof(header) - 1 && memcmp(buf, header, got) == 0;
}

int nc_output_prune(const char *dir, const nc_files_t *files,
                    const char *prefix, const char *suffix, int verbose,
                    int *removed, char *why, size_t cap)
{
    size_t plen = strlen(prefix), slen = strlen(suffix), i;
    struct dirent *de;
    DIR *d;
    int rc = 0;

    *removed = 0;
    d = opendir(dir);
    if (d == NULL) {
        snprintf(why, cap, "%s: %s", dir, strerror(errno));
        return MDATA_EIO;
    }
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        int keep = 0;

        if (n <= plen + slen || strncmp(de->d_name, prefix, plen) != 0 ||
            strcmp(de->d_name + n - slen, suffix) != 0)
            continue;
        for (i = 0; i < files->n; i++)
            keep |= strcmp(files->file[i].name, de->d_name) == 0;
        if (keep || !ours(dirfd(d), de->d_name))
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0) {
            snprintf(why, cap, "%s/%s: %s", dir, de->d_name,
                     strerror(errno));
            rc = MDATA_EIO;
            break;
        }
        (*removed)++;
        if (verbose)
            fprintf(stderr, "mdata-netcfg: removed %s/%s\n", dir,
                    de->d_name);
    }
    if (*removed > 0 && rc == 0 && fsync(dirfd(d)) != 0) {
        snprintf(why, cap, "%s: %s", dir, strerror(errno));
        rc = MDATA_EIO;
    }
    closedir(d);
    return rc;
}
