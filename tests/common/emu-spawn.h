/* Start and stop the host emulator (mdata-emu) for a C test program. */
#ifndef MDATA_TEST_EMU_SPAWN_H
#define MDATA_TEST_EMU_SPAWN_H

#include <sys/types.h>

typedef struct emu {
    pid_t pid;
    char dir[64];   /* private temporary directory */
    char path[256]; /* socket path or pty slave path */
    int pty;
} emu_t;

/*
 * Start mdata-emu serving vm, as a unix socket server (pty = 0) or on a
 * pty it creates, with extra arguments (NULL-terminated, may be NULL).
 * Its stderr goes to <dir>/emu.log. Returns 0 once the device is ready
 * (bounded wait), -1 on failure.
 */
int emu_start_vm(emu_t *emu, int pty, const char *vm,
                 const char *const *extra);
/* The same, at a given socket path, or (pty) with --link at. */
int emu_start_at(emu_t *emu, int pty, const char *vm, const char *at,
                 const char *const *extra);
/* Kill it (SIGKILL), as a crashing host agent: a socket file stays behind,
 * with nobody listening. */
void emu_kill(emu_t *emu);
/* Stop it (SIGTERM, bounded wait, then SIGKILL) and clean up. Returns its
 * exit status (0 for a clean stop), or -1 if it had to be killed or was
 * not running. */
int emu_stop(emu_t *emu);
/* Is it still running (not exited on its own, e.g. crashed)? */
int emu_alive(emu_t *emu);

#endif
