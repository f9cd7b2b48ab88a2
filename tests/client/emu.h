/* The emulator for the client tests (tests/common/emu-spawn.h) on this
 * suite's VM, plus a fake host for what the emulator cannot do. */
#ifndef TEST_CLIENT_EMU_H
#define TEST_CLIENT_EMU_H

#include <stddef.h>
#include <stdint.h>

#include "emu-spawn.h"

/* Start mdata-emu on tests/client/vm.json. */
#define emu_start(emu, pty, extra) emu_start_vm((emu), (pty), MDATA_TEST_VM, (extra))

/* A forked fake host on a unix socket that hangs up in the middle of its
 * first V2 reply, and answers whole on later connections (emu_stop stops
 * it). */
int peer_start_half_reply(emu_t *emu);

/* Monotonic milliseconds. */
uint64_t now_ms(void);
/* Deterministic bytes 0..127 (valid UTF-8, NULs included). */
void fill_ascii(uint8_t *buf, size_t len, uint64_t seed);

#endif
