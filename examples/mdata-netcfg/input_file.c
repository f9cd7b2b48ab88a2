/* input_file.c: --from-file, saved metadata for image build pipelines. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NC_FILE_MAX (16u << 20) /* larger saved values are refused */

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

/*
 * jansson spends some hundred bytes on every value, so a 16 MiB file of
 * "{}," would take gigabytes: count values first (every '[', '{' and ','
 * outside strings starts one) and refuse more than the five keys' parsers
 * accept together, plus room for other keys.
 */
#define NC_FILE_VALUES_MAX                                                   \
    (MDATA_NICS_VALUES_MAX + MDATA_ROUTES_VALUES_MAX +                       \
     MDATA_RESOLVERS_VALUES_MAX + 4096)

static size_t count_values(const char *p, size_t len)
{
    size_t i, n = 1;
    int in_string = 0;

    for (i = 0; i < len; i++) {
        if (in_string) {
            if (p[i] == '\\')
                i++;
            else if (p[i] == '"')
                in_string = 0;
        } else if (p[i] == '"') {
            in_string = 1;
        } else if (p[i] == '[' || p[i] == '{' || p[i] == ',') {
            n++;
        }
    }
    return n;
}

static int from_json(const char *path, nc_raw_t *raw, char *why, size_t cap)
{
    json_error_t jerr;
    json_t *root;
    char *data = NULL;
    size_t len = 0;
    int k, rc;

    rc = slurp(AT_FDCWD, path, &data, &len, why, cap);
    if (rc == MDATA_ENOTFOUND) {
        snprintf(why, cap, "%s: no such file or directory", path);
        return rc;
    }
    if (rc != 0)
        return rc;
    if (count_values(data, len) > NC_FILE_VALUES_MAX) {
        snprintf(why, cap, "%s: more than %d JSON values", path,
                 NC_FILE_VALUES_MAX);
        free(data);
        return MDATA_ERANGE;
    }
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    free(data);
    if (root == NULL || !json_is_object(root)) {
        snprintf(why, cap, "%s: %s", path,
                 root == NULL ? jerr.text : "not a JSON object");
        json_decref(root);
        return MDATA_EJSON;
    }
    for (k = 0; k < NC_KEY_COUNT && rc == 0; k++) {
        json_t *v = json_object_get(root, nc_key_names[k]);
        char *text;

        if (v == NULL || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            rc = nc_raw_set(raw, k, json_string_value(v),
                            json_string_length(v));
            continue;
        }
        text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                 JSON_ENCODE_ANY);
        if (text == NULL) {
            rc = MDATA_ENOMEM;
            break;
        }
        rc = nc_raw_set(raw, k, text, strlen(text));
        free(text);
    }
    json_decref(root);
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
