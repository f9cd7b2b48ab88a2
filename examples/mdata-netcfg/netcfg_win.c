/*
 * netcfg_win.c: what mdata-netcfg.exe uses on Windows instead of
 * ifname.c, output.c and input_file.c (which are POSIX: sysfs, openat,
 * mkostemp). Windows formats (powershell, json) match adapters by MAC
 * themselves, so no interface names are resolved; -o writes each file
 * through a temporary file and MoveFileEx; --from-file takes the one JSON
 * object form (key names hold ':', which Windows file names cannot).
 */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>

#include "ifname.h"
#include "input.h"
#include "output.h"

int nc_ifname_resolve(nc_model_t *m, const char *sysfs_dir)
{
    size_t i;
    int rc = 0;

    (void)sysfs_dir;
    for (i = 0; i < m->niface && rc == 0; i++)
        rc = nc_model_warn(m, "interface names are not resolved on "
                              "Windows; using the SmartOS name %s",
                           m->iface[i].name);
    return rc;
}

int nc_output_stream(FILE *fp, const nc_files_t *files)
{
    /* The same bytes as on Unix: no CR before each LF. */
    _setmode(_fileno(fp), _O_BINARY);
    return nc_files_print(fp, files);
}

/* 1 when path holds exactly f's bytes. */
static int same_file(const char *path, const nc_file_t *f)
{
    FILE *fp = fopen(path, "rb");
    char buf[4096];
    size_t off = 0, n;
    int same = 1;

    if (fp == NULL)
        return 0;
    while (same && (n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        if (n > f->len - off || memcmp(buf, f->data + off, n) != 0)
            same = 0;
        off += n;
    }
    fclose(fp);
    return same && off == f->len;
}

int nc_output_dir(const char *dir, const nc_files_t *files, int verbose,
                  int *changed, char *why, size_t cap)
{
    size_t i;

    *changed = 0;
    if (!CreateDirectoryA(dir, NULL) &&
        GetLastError() != ERROR_ALREADY_EXISTS) {
        snprintf(why, cap, "%s: cannot create (error %lu)", dir,
                 GetLastError());
        return MDATA_EIO;
    }
    for (i = 0; i < files->n; i++) {
        const nc_file_t *f = &files->file[i];
        char path[MAX_PATH], tmp[MAX_PATH + 8];
        FILE *fp;
        int ok;

        snprintf(path, sizeof(path), "%s\\%s", dir, f->name);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (same_file(path, f)) {
            if (verbose)
                fprintf(stderr, "mdata-netcfg: %s unchanged\n", path);
            continue;
        }
        fp = fopen(tmp, "wb");
        ok = fp != NULL && fwrite(f->data, 1, f->len, fp) == f->len;
        if (fp != NULL && fclose(fp) != 0)
            ok = 0;
        if (!ok || !MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING |
                                               MOVEFILE_WRITE_THROUGH)) {
            snprintf(why, cap, "%s: cannot write", path);
            DeleteFileA(tmp);
            return MDATA_EIO;
        }
        (*changed)++;
        if (verbose)
            fprintf(stderr, "mdata-netcfg: wrote %s\n", path);
    }
    return 0;
}

int nc_output_prune(const char *dir, const nc_files_t *files,
                    const char *prefix, const char *suffix, int verbose,
                    int *removed, char *why, size_t cap)
{
    (void)files;
    (void)prefix;
    (void)suffix;
    (void)verbose;
    *removed = 0;
    snprintf(why, cap, "%s: --prune is not supported on Windows", dir);
    return MDATA_ENOTSUP;
}

int nc_raw_from_file(const char *path, nc_raw_t *raw, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long size;
    size_t len;
    int rc;

    if (f == NULL) {
        int e = errno;

        snprintf(why, cap, "%s: %s", path, strerror(e));
        return e == ENOENT ? MDATA_ENOTFOUND : MDATA_EIO;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        snprintf(why, cap, "%s: cannot tell its size", path);
        fclose(f);
        return MDATA_EIO;
    }
    if ((unsigned long)size > NC_FILE_MAX) {
        snprintf(why, cap, "%s: not a file of at most %u bytes", path,
                 NC_FILE_MAX);
        fclose(f);
        return MDATA_EINVAL;
    }
    data = malloc((size_t)size + 1);
    if (data == NULL) {
        fclose(f);
        return MDATA_ENOMEM;
    }
    len = fread(data, 1, (size_t)size, f);
    rc = ferror(f) || len != (size_t)size ? MDATA_EIO : 0;
    fclose(f);
    if (rc != 0)
        snprintf(why, cap, "%s: read error", path);
    else
        rc = nc_raw_from_json(path, data, len,
                              "not a JSON object (on Windows --from-file "
                              "takes the one-file form)",
                              raw, why, cap);
    free(data);
    return rc;
}
