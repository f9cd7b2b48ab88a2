/*
 * What mdata-get, mdata-put, mdata-list and mdata-delete share: option
 * parsing, the wait for the metadata service, output and exit codes.
 * Exit codes are the reference tools': 0 success, 1 not found, 2 error,
 * 3 usage.
 */
#ifndef MDATA_TOOL_H
#define MDATA_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "mdata.h"

enum {
    TOOL_EXIT_OK = 0,
    TOOL_EXIT_NOTFOUND = 1,
    TOOL_EXIT_ERROR = 2,
    TOOL_EXIT_USAGE = 3
};

typedef struct tool {
    const char *name;     /* program name for messages, e.g. "mdata-get" */
    const char *argv0;    /* as typed, for the usage line */
    const char *operands; /* usage operands, e.g. "<keyname>" */
    const char *summary;  /* one line for --help */
    const char *device;   /* -d/--device, else NULL */
    uint64_t timeout_ms;  /* -t/--timeout or MDATA_TIMEOUT; 0: no bound */
    int verbose;          /* -v/--verbose */
    uint64_t started_ms;
    int waiting;          /* told stderr we wait; not yet that it is back */
    char device_seen[512]; /* the device in use, for messages */
} tool_t;

/*
 * Parse options (-h -V -d -t -v --) and leave t ready. Exits for --help,
 * --version (0) and bad options (3). Returns the index of the first
 * operand in argv.
 */
int tool_parse(tool_t *t, int argc, char **argv);

/* Print "NAME: Usage: ARGV0 OPERANDS" (the reference's words) and exit 3.
 * why, when not NULL, is printed first as "NAME: why". */
void tool_usage_exit(const tool_t *t, const char *why)
    __attribute__((noreturn));

/*
 * Refuse a key the host cannot address (empty, surrounding white space,
 * CR/LF) with a usage error, before touching the device.
 */
void tool_check_key(const tool_t *t, const char *key);

/* One request on a connected handle. Returns 0 or a negative code. */
typedef int (*tool_op_fn)(mdata_sync_t *sync, void *ctx, mdata_error_t *err);

/*
 * Run op until it has an answer: wait for the metadata service to come up,
 * and for a lost connection or a silent host to come back, within the -t
 * deadline if any, telling stderr once when the wait starts and once when
 * the service is back.
 * Returns the op's status: 0, MDATA_ENOTFOUND, MDATA_EREMOTE (err->text is
 * the host's message), MDATA_ENOTSUP; prints and exits 2 itself on other
 * errors, naming op_name ("GET").
 */
int tool_run(tool_t *t, const char *op_name, tool_op_fn op, void *ctx,
             mdata_error_t *err);

/* Write len bytes to stdout, plus a LF when add_newline; exits 2 on a
 * write error. */
void tool_write_stdout(const tool_t *t, const uint8_t *data, size_t len,
                       int add_newline);

/* "NAME: message" on stderr is not the reference's style: its messages
 * carry no prefix, so neither do these. */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
