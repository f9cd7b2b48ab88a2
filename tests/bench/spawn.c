/*
 * Run programs N times each as whole processes and report, per run, the
 * wall time (posix_spawn to wait4, in microseconds), the peak resident set
 * (wait4's ru_maxrss, KiB) and the exit status. Several commands, split by
 * "--", run in turn (A B C A B C ...), so a machine whose load drifts
 * treats them alike. A C launcher keeps the harness's own cost out of the
 * figures as far as possible.
 *
 *   bench-spawn N OUTFILE PROGRAM [ARG...] [-- PROGRAM [ARG...]]...
 *
 * The programs' stdout goes to OUTFILE (/dev/null for timing). One line
 * per run on our stdout: "command_index wall_us maxrss_kb status".
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int run_once(char **cmd, const char *outfile, int idx)
{
    posix_spawn_file_actions_t fa;
    struct rusage ru;
    double t0, t1;
    pid_t pid;
    int st;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outfile,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    t0 = now_us();
    if (posix_spawn(&pid, cmd[0], &fa, NULL, cmd, environ) != 0) {
        perror(cmd[0]);
        return -1;
    }
    if (wait4(pid, &st, 0, &ru) != pid) {
        perror("wait4");
        return -1;
    }
    t1 = now_us();
    posix_spawn_file_actions_destroy(&fa);
    printf("%d %.1f %ld %d\n", idx, t1 - t0, ru.ru_maxrss,
           WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}

int main(int argc, char **argv)
{
    char **cmds[32];
    int runs, i, j, n = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: %s N OUTFILE PROGRAM [ARG...] "
                        "[-- PROGRAM [ARG...]]...\n", argv[0]);
        return 3;
    }
    runs = atoi(argv[1]);
    cmds[n++] = argv + 3;
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            argv[i] = NULL; /* ends the previous command */
            if (i + 1 < argc && n < 32)
                cmds[n++] = argv + i + 1;
        }
    }
    for (i = 0; i < runs; i++)
        for (j = 0; j < n; j++)
            if (run_once(cmds[j], argv[2], j) != 0)
                return 2;
    return 0;
}
