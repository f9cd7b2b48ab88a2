/*
 * script.h: run one stored script with a time limit. Its stdin is
 * /dev/null; its stdout and stderr go to mdata-init's stdout (the console
 * under the units) and to a log file beside the script. It runs in its own
 * session: at the time limit the whole process group gets SIGTERM, and
 * SIGKILL 5 s later. Once the script itself has exited mdata-init stops
 * reading, so daemons it started in the background do not hold it up.
 */
#ifndef MI_SCRIPT_H
#define MI_SCRIPT_H

#include "init.h"

typedef struct mi_script_result {
    int exited;         /* 1: exited, status in code */
    int code;           /* exit status, or the signal */
    int timed_out;      /* killed at the time limit */
} mi_script_result_t;

/*
 * Run the script at rel (under the root), its output logged to log_rel.
 * Returns 0 when it ran (whatever its outcome, in res) or -errno when it
 * could not be started.
 */
int mi_script_run(mi_ctx_t *c, const char *rel, const char *log_rel,
                  unsigned timeout_s, mi_script_result_t *res);

/*
 * Run a program (argv[0] looked up in PATH) with stdin /dev/null and
 * mdata-init's stdout and stderr, and wait. Returns its exit status, or
 * -1 when it could not run or was killed.
 */
int mi_run_program(char *const argv[]);

/* "exit 0", "exit 3", "timeout after 600 s", "signal 9" into buf. */
const char *mi_script_outcome(const mi_script_result_t *res,
                              unsigned timeout_s, char *buf, size_t cap);

#endif
