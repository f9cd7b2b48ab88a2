/* The emulator for the client tests (tests/common/emu-spawn.h) on this
 * suite's VM, plus a fake host for what the emulator cannot do. */
#ifndef TEST_CLIENT_EMU_H
#define TEST_CLIENT_EMU_H

#include <stddef.h>
#include <stdint.h>

#include "emu-spawn.h"

/* Start mdata-emu on tests/client/vm.json. */
#define emu_start(emu, pty, extra) emu_start_vm((emu), (pty), MDATA_TEST_VM, (extra))

/*
 * Forked fake hosts on a unix socket at emu->path, for what the emulator
 * cannot do (emu_stop stops them). half_reply hangs up in the middle of
 * its first V2 reply and answers whole on later connections; hangup
 * accepts and hangs up at once, forever, writing a byte to notify_fd for
 * each connection.
 */
int peer_start_half_reply(emu_t *emu);
int peer_start_hangup(emu_t *emu, int notify_fd);

/* Monotonic milliseconds. */
uint64_t now_ms(void);
/* Deterministic bytes 0..127 (valid UTF-8, NULs included). */
void fill_ascii(uint8_t *buf, size_t len, uint64_t seed);

#endif
