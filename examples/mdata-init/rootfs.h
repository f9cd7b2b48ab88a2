/*
 * rootfs.h: every file mdata-init touches, reached relative to the root
 * directory (/ or --root DIR) with openat(2) one path component at a time,
 * O_NOFOLLOW at each, so no symlink, whoever planted it, leads a write out
 * of the paths mdata-init owns. Writes are atomic (a temporary file in the
 * same directory, fsync, rename) and skipped when content and mode are
 * already right, so an unchanged file keeps its mtime.
 *
 * Paths are relative ("etc/hostname"); messages show them as "/etc/hostname".
 * With dry_run set nothing is changed: each change is printed instead.
 */
#ifndef MI_ROOTFS_H
#define MI_ROOTFS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct mi_root {
    int fd;          /* the root directory */
    const char *dir; /* its path, for messages and for running programs */
    int dry_run;
    int verbose;
    int is_root;     /* euid 0: chown new files to root */
    /* dry run: directories already reported as "would create", so the late
     * phase of `all` does not report them again (more are reported again) */
    char dry_created[8][128];
    int dry_created_count;
} mi_root_t;

/* Open dir as the root. Returns 0 or -errno. */
int mi_root_open(mi_root_t *r, const char *dir, int dry_run, int verbose);
void mi_root_close(mi_root_t *r);

/*
 * Open the directory at rel (creating missing components with mode when
 * create is set, owned by root). Returns an fd or -errno: -ELOOP or
 * -ENOTDIR when a component is a symlink or not a directory; the chown's
 * error (-EPERM) when a component made for root cannot be given to root
 * (it is removed again).
 */
int mi_dir_open(mi_root_t *r, const char *rel, int create, mode_t mode);

/* The directory at rel exists (created when missing) with mode, owned by
 * root when running as root. Returns 0 or -errno. */
int mi_dir_ensure(mi_root_t *r, const char *rel, mode_t mode);

/*
 * Read the regular file at rel, at most cap bytes (a larger file is
 * -EFBIG). *data is malloc'd with a NUL after the bytes. Returns 0,
 * -ENOENT when it does not exist, or -errno (-ELOOP for a symlink).
 */
int mi_file_read(mi_root_t *r, const char *rel, size_t cap, char **data,
                 size_t *len);

/* Result of mi_file_write. */
enum { MI_UNCHANGED = 0, MI_WRITTEN = 1 };

/*
 * Make the file at rel hold exactly data with mode (owned by root when
 * running as root), its directory created when missing. A symlink at rel
 * is refused (-ELOOP), as is anything but a regular file. Returns
 * MI_UNCHANGED, MI_WRITTEN (or "would write" in a dry run) or -errno.
 */
int mi_file_write(mi_root_t *r, const char *rel, const void *data,
                  size_t len, mode_t mode);

/* Remove the file at rel (not a directory); absent is fine. Returns 1 when
 * removed (or would be), 0 when absent, or -errno. */
int mi_file_remove(mi_root_t *r, const char *rel);

/* Rename rel_from to rel_to in the same directory tree. Returns 1 when
 * renamed, 0 when rel_from is absent, or -errno. */
int mi_file_rename(mi_root_t *r, const char *rel_from, const char *rel_to);

/* Make rel a symlink to target (replacing a symlink, never a file).
 * Returns MI_UNCHANGED, MI_WRITTEN or -errno (-EEXIST: a file is there). */
int mi_symlink(mi_root_t *r, const char *rel, const char *target);

/* Remove rel when it is a symlink to target (nothing else is touched).
 * Returns 1 when removed, 0 when not there or not that link, or -errno. */
int mi_symlink_remove(mi_root_t *r, const char *rel, const char *target);

/* "/" + rel, or DIR/rel under --root, for messages and exec. */
const char *mi_path(const mi_root_t *r, const char *rel, char *buf,
                    size_t cap);

#endif
