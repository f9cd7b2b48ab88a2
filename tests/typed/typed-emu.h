/* Spawn mdata-emu on a given VM.json for the typed getter tests. */
#ifndef TEST_TYPED_EMU_H
#define TEST_TYPED_EMU_H

#include <sys/types.h>

typedef struct temu {
    pid_t pid;
    int pty;
    char dir[64];    /* private temporary directory */
    char path[256];  /* socket path or pty slave path */
} temu_t;

/*
 * Start the emulator on vm as a unix socket server (pty = 0) or on a pty
 * it creates. Returns 0 once the device is ready (bounded wait), else -1.
 */
int temu_start(temu_t *e, int pty, const char *vm);
/* SIGTERM, bounded wait, SIGKILL if needed; removes the directory.
 * Returns the exit status (0 expected), or -1 when it had to be killed. */
int temu_stop(temu_t *e);

/* Write text to <dir>/<name> under a fresh temporary directory kept in
 * dir (a caller buffer of 64 bytes); returns the path (static buffer). */
const char *temu_write_vm(char dir[64], const char *name, const char *text);
/* Remove what temu_write_vm made. */
void temu_remove_vm(const char *dir, const char *name);

#endif
