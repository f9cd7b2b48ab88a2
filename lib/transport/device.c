/*
 * Device selection: explicit path, else MDATA_DEVICE, else the zone socket
 * paths, then the OS's serial device. A socket is used as a socket, a
 * character device as a tty; anything else is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A serial device lives under /dev (a link to one, e.g. a pty's
 * /dev/pts/N, counts too); a unix socket never does. */
static int looks_serial(const char *path)
{
    char target[256];
    ssize_t n;

    if (strncmp(path, "/dev/", 5) == 0)
        return 1;
    n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/dev/", 5) == 0;
}

int mdata__device_kind(const char *path, int *kind, int hint,
                       mdata_error_t *err)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        int e = errno;

        if (e == ENOENT && hint == 0 && !looks_serial(path))
            hint = MDATA__TP_SOCKET;
        if (e == ENOENT && hint == MDATA__TP_SOCKET) {
            /* A socket the host agent has not created yet (starting,
             * restarting): connecting says so, and it is waited for. */
            *kind = MDATA__TP_SOCKET;
            return 0;
        }
        if (hint == 0)
            return mdata__error(err, MDATA_ENODEV, e, 0, "%s: %s", path,
                                strerror(e));
        return mdata__error(err, MDATA_EOPEN, e, 0, "cannot open %s: %s",
                            path, strerror(e));
    }
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
        rc = mdata__device_kind(explicit_path, &kind, 0, err);
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
