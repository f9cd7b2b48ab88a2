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

/* "exit 0", "exit 3", "timeout after 600 s", "signal 9" into buf. */
const char *mi_script_outcome(const mi_script_result_t *res,
                              unsigned timeout_s, char *buf, size_t cap);

#endif
