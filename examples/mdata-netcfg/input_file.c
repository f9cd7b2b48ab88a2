/* input_file.c: --from-file, saved metadata for image build pipelines. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read a whole regular file. Returns 0, -ENOENT-like MDATA_ENOTFOUND when
 * it does not exist, or another code. */
static int slurp(int dirfd, const char *path, char **data, size_t *len,
                 char *why, size_t cap)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int fd;

    fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return MDATA_ENOTFOUND;
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return MDATA_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > NC_FILE_MAX) {
        snprintf(why, cap, "%s: not a regular file of at most %u bytes", path,
                 NC_FILE_MAX);
        close(fd);
        return MDATA_EINVAL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return MDATA_ENOMEM;
    }
    while (got <= (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, cap, "%s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return MDATA_EIO;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got > (size_t)st.st_size) {
        snprintf(why, cap, "%s: file grew while read", path);
        free(buf);
        return MDATA_EIO;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

static int from_dir(const char *path, nc_raw_t *raw, char *why, size_t cap)
{
    int dirfd, k, rc = 0;

    dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return MDATA_EIO;
    }
    for (k = 0; k < NC_KEY_COUNT && rc == 0; k++) {
        char *data = NULL;
        size_t len = 0;

        rc = slurp(dirfd, nc_key_names[k], &data, &len, why, cap);
        if (rc == MDATA_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc == 0)
            rc = nc_raw_set(raw, k, data, len);
        free(data);
    }
    close(dirfd);
    return rc;
}

static int from_json(const char *path, nc_raw_t *raw, char *why, size_t cap)
{
    char *data = NULL;
    size_t len = 0;
    int rc;

    rc = slurp(AT_FDCWD, path, &data, &len, why, cap);
    if (rc == MDATA_ENOTFOUND) {
        snprintf(why, cap, "%s: no such file or directory", path);
        return rc;
    }
    if (rc != 0)
        return rc;
    rc = nc_raw_from_json(path, data, len, "not a JSON object", raw, why, cap);
    free(data);
    return rc;
}

int nc_raw_from_file(const char *path, nc_raw_t *raw, char *why, size_t cap)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return MDATA_EIO;
    }
    if (S_ISDIR(st.st_mode))
        return from_dir(path, raw, why, cap);
    return from_json(path, raw, why, cap);
}
