/*
 * transcript.h: --transcript FILE, every byte in and out with its
 * direction and time, one record per read or write:
 *
 *   2026-11-26T23:59:01.123456Z c1 G>H 13 "NEGOTIATE V2\n"
 *   2026-11-26T23:59:01.123501Z c1 H>G 6 "V2_OK\n"
 *   2026-11-26T23:59:02.000000Z c1 --- closed
 *
 * G>H is guest to host (what the emulator read), H>G host to guest (one
 * record per write). Bytes are C-escaped: \n \r \t \\ \" and \xNN for
 * anything else outside printable ASCII.
 */
#ifndef EMU_TRANSCRIPT_H
#define EMU_TRANSCRIPT_H

#include <stddef.h>

#include "util.h"

/* Returns 0, or -1 with errno set. */
int transcript_open(const char *path);
void transcript_close(void);
/* dir is "G>H" or "H>G". No-ops without --transcript. */
void transcript_data(unsigned conn, const char *dir, const void *p, size_t n);
void transcript_event(unsigned conn, const char *fmt, ...) EMU_PRINTF(2, 3);

#endif
