/*
 * Device selection: explicit path, else MDATA_DEVICE, else the zone socket
 * paths, then the OS's serial device. A socket is used as a socket, a
 * character device as a tty; anything else is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "transport/transport.h"

static const char *const zone_sockets[] = {
    "/.zonecontrol/metadata.sock",
    "/native/.zonecontrol/metadata.sock",
    "/var/run/smartdc/metadata.sock",
};

#if defined(__FreeBSD__)
#define SERIAL_DEVICE "/dev/cuau1"
#elif defined(__NetBSD__)
#define SERIAL_DEVICE "/dev/tty01"
#elif defined(__OpenBSD__)
#define SERIAL_DEVICE "/dev/cua01"
#else
#define SERIAL_DEVICE "/dev/ttyS1"
#endif

int mdata__device_kind(const char *path, int *kind, mdata_error_t *err)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return mdata__error(err, MDATA_ENODEV, errno, 0, "%s: %s", path,
                            strerror(errno));
    if (S_ISSOCK(st.st_mode)) {
        *kind = MDATA__TP_SOCKET;
        return 0;
    }
    if (S_ISCHR(st.st_mode)) {
        *kind = MDATA__TP_TTY;
        return 0;
    }
    return mdata__error(err, MDATA_ENODEV, 0, 0,
                        "%s is neither a unix socket nor a character device",
                        path);
}

static int take(const char *path, int kind, char **path_out, int *kind_out,
                mdata_error_t *err)
{
    *path_out = strdup(path);
    if (*path_out == NULL)
        return mdata__error(err, MDATA_ENOMEM, 0, 0, "out of memory");
    *kind_out = kind;
    return 0;
}

int mdata__device_pick(const char *explicit_path, char **path_out,
                       int *kind_out, mdata_error_t *err)
{
    const char *env = getenv("MDATA_DEVICE");
    struct stat st;
    size_t i;
    int kind, rc;

    if (explicit_path == NULL && env != NULL && env[0] != '\0')
        explicit_path = env;
    if (explicit_path != NULL) {
        rc = mdata__device_kind(explicit_path, &kind, err);
        return rc < 0 ? rc : take(explicit_path, kind, path_out, kind_out,
                                  err);
    }
    for (i = 0; i < MDATA__ARRAY_SIZE(zone_sockets); i++)
        if (stat(zone_sockets[i], &st) == 0 && S_ISSOCK(st.st_mode))
            return take(zone_sockets[i], MDATA__TP_SOCKET, path_out,
                        kind_out, err);
    if (stat(SERIAL_DEVICE, &st) == 0 && S_ISCHR(st.st_mode))
        return take(SERIAL_DEVICE, MDATA__TP_TTY, path_out, kind_out, err);
    return mdata__error(err, MDATA_ENODEV, 0, 0,
                        "no metadata device: none of the zone sockets nor "
                        "%s exists (set MDATA_DEVICE)",
                        SERIAL_DEVICE);
}
