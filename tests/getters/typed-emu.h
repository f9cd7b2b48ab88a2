/* VM.json files written by the typed getter tests (the emulator itself is
 * started with tests/common/emu-spawn.h). */
#ifndef TEST_TYPED_EMU_H
#define TEST_TYPED_EMU_H

#include "emu-spawn.h"

/* Write text to <dir>/<name> under a fresh temporary directory kept in
 * dir (a caller buffer of 64 bytes); returns the path (static buffer). */
const char *temu_write_vm(char dir[64], const char *name, const char *text);
/* Remove what temu_write_vm made. */
void temu_remove_vm(const char *dir, const char *name);

#endif
