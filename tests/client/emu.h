/* Spawn the host emulator for a test and stop it again. */
#ifndef TEST_CLIENT_EMU_H
#define TEST_CLIENT_EMU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct emu {
    pid_t pid;
    char dir[64];    /* private temporary directory */
    char path[256];  /* socket path or pty slave path */
    int pty;
} emu_t;

/*
 * Start mdata-emu on the test VM, as a unix socket server (pty = 0) or
 * with a pty, with extra arguments (NULL-terminated, may be NULL).
 * Returns 0 once the device is ready (bounded wait), -1 on failure.
 */
int emu_start(emu_t *emu, int pty, const char *const *extra);
/* Stop it (SIGTERM, bounded wait, then SIGKILL) and clean up. */
void emu_stop(emu_t *emu);
/* Has it exited on its own (e.g. a crash)? */
int emu_alive(emu_t *emu);

/* A forked fake host on a unix socket that hangs up in the middle of its
 * first V2 reply (emu_stop stops it). */
int peer_start_half_reply(emu_t *emu);

/* Monotonic milliseconds. */
uint64_t now_ms(void);
/* Deterministic bytes 0..127 (valid UTF-8, NULs included). */
void fill_ascii(uint8_t *buf, size_t len, uint64_t seed);

#endif
