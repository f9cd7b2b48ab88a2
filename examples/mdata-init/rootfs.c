/* rootfs.c: file access relative to the root, no symlink followed (see
 * rootfs.h). */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MI_REL_MAX 512

int mi_root_open(mi_root_t *r, const char *dir, int dry_run, int verbose)
{
    memset(r, 0, sizeof(*r));
    r->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->fd < 0)
        return -errno;
    r->dir = dir;
    r->dry_run = dry_run;
    r->verbose = verbose;
    r->is_root = geteuid() == 0;
    return 0;
}

void mi_root_close(mi_root_t *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

const char *mi_path(const mi_root_t *r, const char *rel, char *buf,
                    size_t cap)
{
    const char *d = r->dir;
    size_t n = strlen(d);

    while (n > 1 && d[n - 1] == '/')
        n--;
    if (n == 1 && d[0] == '/')
        n = 0;
    snprintf(buf, cap, "%.*s/%s", (int)n, d, rel);
    return buf;
}

/* Split rel into its directory part (copied into dir) and its last
 * component. Refuses empty, "." and ".." components. */
static int split(const char *rel, char *dir, size_t cap, const char **base)
{
    const char *slash = strrchr(rel, '/');
    const char *p = rel;
    size_t n = strlen(rel);

    if (n == 0 || n >= cap || rel[0] == '/')
        return -EINVAL;
    while (*p != '\0') {
        const char *e = strchr(p, '/');
        size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

        if (l == 0 || (l == 1 && p[0] == '.') ||
            (l == 2 && p[0] == '.' && p[1] == '.'))
            return -EINVAL;
        p += l + (e != NULL);
    }
    if (slash == NULL) {
        dir[0] = '\0';
        *base = rel;
    } else {
        memcpy(dir, rel, (size_t)(slash - rel));
        dir[slash - rel] = '\0';
        *base = slash + 1;
    }
    return 0;
}

int mi_dir_open(mi_root_t *r, const char *rel, int create, mode_t mode)
{
    char path[MI_REL_MAX];
    char *p, *next;
    int fd, nfd;

    if (strlen(rel) >= sizeof(path))
        return -ENAMETOOLONG;
    memcpy(path, rel, strlen(rel) + 1);
    fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    for (p = path; p != NULL && *p != '\0'; p = next) {
        next = strchr(p, '/');
        if (next != NULL)
            *next++ = '\0';
        if (*p == '\0' || strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
            close(fd);
            return -EINVAL;
        }
        nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            int made = mkdirat(fd, p, mode) == 0;

            if (!made && errno != EEXIST) {
                int e = errno;

                close(fd);
                return -e;
            }
            nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                    O_CLOEXEC);
            /* A directory we made is root's, as the files in it; one that
             * cannot be is an error, and is not left behind (still empty)
             * for a later run to use as it is. */
            if (nfd >= 0 && r->is_root && fchown(nfd, 0, 0) != 0) {
                int e = errno;

                close(nfd);
                if (made)
                    (void)unlinkat(fd, p, AT_REMOVEDIR);
                close(fd);
                return -e;
            }
        }
        if (nfd < 0) {
            int e = errno;
            struct stat st;

            /* A symlink where a directory belongs reads as ENOTDIR with
             * O_DIRECTORY: say it as what it is. */
            if (e == ENOTDIR &&
                fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                e = ELOOP;
            close(fd);
            return -e;
        }
        close(fd);
        fd = nfd;
    }
    return fd;
}

/* Open the directory rel lies in (its missing components created 0755 when
 * create is set and this is no dry run) and point *base at rel's last
 * component. Returns an fd or -errno (-EINVAL when split refuses rel). */
static int open_parent(mi_root_t *r, const char *rel, int create,
                       const char **base)
{
    char dir[MI_REL_MAX];
    int rc = split(rel, dir, sizeof(dir), base);

    if (rc != 0)
        return rc;
    return mi_dir_open(r, dir, create && !r->dry_run, 0755);
}

/* Open an existing regular file of dfd read-only, no symlink followed. */
static int open_regular(int dfd, const char *base, struct stat *st)
{
    int fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                                   O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return -errno;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -EINVAL;
    }
    return fd;
}

static int read_all(int fd, size_t size, char *buf)
{
    size_t got = 0;

    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO; /* shrank while read */
        got += (size_t)n;
    }
    return 0;
}

int mi_file_read(mi_root_t *r, const char *rel, size_t cap, char **data,
                 size_t *len)
{
    const char *base;
    struct stat st;
    char *buf;
    int dfd, fd, rc;

    *data = NULL;
    *len = 0;
    dfd = open_parent(r, rel, 0, &base);
    if (dfd < 0)
        return dfd;
    fd = open_regular(dfd, base, &st);
    close(dfd);
    if (fd < 0)
        return fd;
    if ((uint64_t)st.st_size > cap) {
        close(fd);
        return -EFBIG;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return -ENOMEM;
    }
    rc = read_all(fd, (size_t)st.st_size, buf);
    close(fd);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[st.st_size] = '\0';
    *data = buf;
    *len = (size_t)st.st_size;
    return 0;
}

/* "would write /etc/x" in a dry run, "wrote /etc/x" with -v. */
static void say(const mi_root_t *r, const char *verb, const char *done,
                const char *rel)
{
    char path[1024];

    if (r->dry_run || r->verbose)
        printf("mdata-init: %s%s %s\n", r->dry_run ? "would " : "",
               r->dry_run ? verb : done, mi_path(r, rel, path, sizeof(path)));
}

/* 1 when the open file fd already holds data with mode and owner. */
static int same_file(const mi_root_t *r, int fd, const struct stat *st,
                     const void *data, size_t len, mode_t mode)
{
    char *buf;
    int same;

    if ((size_t)st->st_size != len || (st->st_mode & 07777) != mode)
        return 0;
    if (r->is_root && (st->st_uid != 0 || st->st_gid != 0))
        return 0;
    buf = malloc(len + 1);
    if (buf == NULL)
        return 0;
    same = read_all(fd, len, buf) == 0 && memcmp(buf, data, len) == 0;
    free(buf);
    return same;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int mi_file_write(mi_root_t *r, const char *rel, const void *data,
                  size_t len, mode_t mode)
{
    char tmp[MI_REL_MAX];
    const char *base;
    struct stat st;
    int dfd, fd, rc, tries;

    dfd = open_parent(r, rel, 1, &base);
    if (dfd == -ENOENT && r->dry_run) {
        say(r, "write", "wrote", rel);
        return MI_WRITTEN;
    }
    if (dfd < 0)
        return dfd;
    fd = open_regular(dfd, base, &st);
    if (fd >= 0) {
        int same = same_file(r, fd, &st, data, len, mode);

        close(fd);
        if (same) {
            close(dfd);
            if (r->verbose)
                say(r, "leave unchanged", "left unchanged", rel);
            return MI_UNCHANGED;
        }
    } else if (fd != -ENOENT) {
        close(dfd);
        return fd == -EINVAL ? -EEXIST : fd; /* ELOOP: a symlink */
    }
    if (r->dry_run) {
        close(dfd);
        say(r, "write", "wrote", rel);
        return MI_WRITTEN;
    }
    /* The temporary name is only ever created with O_EXCL. */
    for (tries = 0;; tries++) {
        snprintf(tmp, sizeof(tmp), ".%.200s.mdata-init-%ld-%d", base,
                 (long)getpid(), tries);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                  O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST || tries > 100)
            break;
    }
    if (fd < 0) {
        rc = -errno;
        close(dfd);
        return rc;
    }
    rc = write_all(fd, data, len);
    if (rc == 0 && fchmod(fd, mode) != 0)
        rc = -errno;
    if (rc == 0 && r->is_root && fchown(fd, 0, 0) != 0)
        rc = -errno;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(dfd, tmp, dfd, base) != 0)
        rc = -errno;
    if (rc != 0)
        (void)unlinkat(dfd, tmp, 0);
    else
        (void)fsync(dfd);
    close(dfd);
    if (rc != 0)
        return rc;
    say(r, "write", "wrote", rel);
    return MI_WRITTEN;
}

int mi_file_remove(mi_root_t *r, const char *rel)
{
    const char *base;
    struct stat st;
    int dfd, rc;

    dfd = open_parent(r, rel, 0, &base);
    if (dfd == -ENOENT)
        return 0;
    if (dfd < 0)
        return dfd;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        rc = errno == ENOENT ? 0 : -errno;
    } else if (S_ISDIR(st.st_mode)) {
        rc = -EISDIR;
    } else if (r->dry_run) {
        rc = 1;
    } else {
        rc = unlinkat(dfd, base, 0) == 0 ? 1 : -errno;
    }
    close(dfd);
    if (rc == 1)
        say(r, "remove", "removed", rel);
    return rc;
}

int mi_file_rename(mi_root_t *r, const char *rel_from, const char *rel_to)
{
    char d1[MI_REL_MAX], d2[MI_REL_MAX];
    const char *b1, *b2;
    struct stat st;
    int f1, f2, rc;

    if ((rc = split(rel_from, d1, sizeof(d1), &b1)) != 0 ||
        (rc = split(rel_to, d2, sizeof(d2), &b2)) != 0)
        return rc;
    f1 = mi_dir_open(r, d1, 0, 0);
    if (f1 == -ENOENT)
        return 0;
    if (f1 < 0)
        return f1;
    if (fstatat(f1, b1, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        rc = errno == ENOENT ? 0 : -errno;
        close(f1);
        return rc;
    }
    f2 = mi_dir_open(r, d2, 0, 0);
    if (f2 < 0) {
        close(f1);
        return f2;
    }
    if (r->dry_run)
        rc = 1;
    else
        rc = renameat(f1, b1, f2, b2) == 0 ? 1 : -errno;
    close(f1);
    close(f2);
    if (rc == 1)
        say(r, "rename", "renamed", rel_from);
    return rc;
}

int mi_symlink(mi_root_t *r, const char *rel, const char *target)
{
    char link[MI_REL_MAX];
    const char *base;
    struct stat st;
    ssize_t n;
    int dfd, rc;

    dfd = open_parent(r, rel, 1, &base);
    if (dfd == -ENOENT && r->dry_run) {
        say(r, "link", "linked", rel);
        return MI_WRITTEN;
    }
    if (dfd < 0)
        return dfd;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            close(dfd);
            return -EEXIST;
        }
        n = readlinkat(dfd, base, link, sizeof(link) - 1);
        if (n >= 0 && (size_t)n == strlen(target) &&
            memcmp(link, target, (size_t)n) == 0) {
            close(dfd);
            return MI_UNCHANGED;
        }
        if (!r->dry_run && unlinkat(dfd, base, 0) != 0) {
            rc = -errno;
            close(dfd);
            return rc;
        }
    }
    rc = MI_WRITTEN;
    if (!r->dry_run && symlinkat(target, dfd, base) != 0)
        rc = -errno;
    close(dfd);
    if (rc == MI_WRITTEN)
        say(r, "link", "linked", rel);
    return rc;
}

int mi_dir_ensure(mi_root_t *r, const char *rel, mode_t mode)
{
    struct stat st;
    int fd, rc = 0;

    fd = mi_dir_open(r, rel, !r->dry_run, mode);
    if (fd == -ENOENT && r->dry_run) {
        int i, n = r->dry_created_count;

        for (i = 0; i < n; i++)
            if (strcmp(r->dry_created[i], rel) == 0)
                return 0;
        say(r, "create", "created", rel);
        if (n < 8 && strlen(rel) < sizeof(r->dry_created[0])) {
            strcpy(r->dry_created[n], rel);
            r->dry_created_count = n + 1;
        }
        return 0;
    }
    if (fd < 0)
        return fd;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if ((st.st_mode & 07777) != mode ||
               (r->is_root && (st.st_uid != 0 || st.st_gid != 0))) {
        if (!r->dry_run && fchmod(fd, mode) != 0)
            rc = -errno;
        if (rc == 0 && !r->dry_run && r->is_root && fchown(fd, 0, 0) != 0)
            rc = -errno;
        if (rc == 0)
            say(r, "set mode and owner of", "set mode and owner of", rel);
    }
    close(fd);
    return rc;
}

int mi_symlink_remove(mi_root_t *r, const char *rel, const char *target)
{
    char link[MI_REL_MAX];
    const char *base;
    ssize_t n;
    int dfd, rc = 0;

    dfd = open_parent(r, rel, 0, &base);
    if (dfd == -ENOENT)
        return 0;
    if (dfd < 0)
        return dfd;
    n = readlinkat(dfd, base, link, sizeof(link) - 1);
    if (n >= 0 && (size_t)n == strlen(target) &&
        memcmp(link, target, (size_t)n) == 0) {
        rc = r->dry_run || unlinkat(dfd, base, 0) == 0 ? 1 : -errno;
        if (rc == 1)
            say(r, "remove", "removed", rel);
    }
    close(dfd);
    return rc;
}
