/* Helpers shared by the client test files. */
#ifndef TEST_CLIENT_UTIL_H
#define TEST_CLIENT_UTIL_H

#include <stdint.h>
#include <string.h>

#include <uv.h>

#include "emu.h"
#include "mdata.h"
#include "testutil.h"

/* Options on path with a total timeout (0: default) and short retries. */
mdata_options_t *test_options(const char *path, uint64_t timeout_ms);
/* A blocking handle on the emulator's device. */
mdata_sync_t *test_sync(const emu_t *emu, uint64_t timeout_ms);
/* Close every handle on loop and assert uv_loop_close succeeds. */
void test_loop_close(uv_loop_t *loop);

#endif
