/* script.c: run a script with a time limit, output to console and log
 * (see script.h). */
#include "script.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_CAP (16u << 20)     /* bytes kept in the log per run */
#define KILL_GRACE_MS 5000

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void put(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* The script's output goes to stdout, and to the log until it holds
 * LOG_CAP bytes (*logged so far). */
static void pass_on(int logfd, const char *buf, size_t n, size_t *logged)
{
    put(1, buf, n);
    if (*logged < LOG_CAP) {
        size_t k = n < LOG_CAP - *logged ? n : LOG_CAP - *logged;

        put(logfd, buf, k);
        *logged += k;
    }
}

/* Open the log (truncated) beside the script, no symlink followed. */
static int open_log(mi_ctx_t *c, const char *log_rel)
{
    char dir[512];
    const char *slash = strrchr(log_rel, '/');
    int dfd, fd;

    if (slash == NULL || (size_t)(slash - log_rel) >= sizeof(dir))
        return -EINVAL;
    memcpy(dir, log_rel, (size_t)(slash - log_rel));
    dir[slash - log_rel] = '\0';
    dfd = mi_dir_open(&c->root, dir, 0, 0);
    if (dfd < 0)
        return dfd;
    fd = openat(dfd, slash + 1, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
                                    O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        fd = -errno;
    close(dfd);
    return fd;
}

static void child(const char *path, const char *dir, int out)
{
    int devnull = open("/dev/null", O_RDONLY);

    setsid();
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out, 1);
    dup2(out, 2);
    signal(SIGPIPE, SIG_DFL);
    /* The script's own directory; "/" if that is gone. Without either
     * the script would run wherever mdata-init was: refuse instead. */
    if (chdir(dir) != 0 && chdir("/") != 0) {
        fprintf(stderr, "mdata-init: cannot enter %s or /: %s\n", dir,
                strerror(errno));
        _exit(126);
    }
    if (getenv("PATH") == NULL)
        setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                       "/sbin:/bin", 1);
    if (getenv("HOME") == NULL)
        setenv("HOME", "/root", 1);
    execl(path, path, (char *)NULL);
    if (errno == ENOEXEC) /* no "#!" (operator-script): a shell script */
        execl("/bin/sh", "sh", path, (char *)NULL);
    fprintf(stderr, "mdata-init: cannot run %s: %s\n", path,
            strerror(errno));
    _exit(126);
}

int mi_script_run(mi_ctx_t *c, const char *rel, const char *log_rel,
                  unsigned timeout_s, mi_script_result_t *res)
{
    char path[1024];
    char buf[8192];
    uint64_t deadline, kill_at = 0;
    size_t logged = 0;
    int pipefd[2], logfd, status = 0, done = 0, eof = 0;
    pid_t pid;

    memset(res, 0, sizeof(*res));
    mi_path(&c->root, rel, path, sizeof(path));
    logfd = open_log(c, log_rel);
    if (logfd < 0)
        return logfd;
    if (pipe(pipefd) != 0) {
        close(logfd);
        return -errno;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        int e = errno;

        close(pipefd[0]);
        close(pipefd[1]);
        close(logfd);
        return -e;
    }
    if (pid == 0) {
        close(pipefd[0]);
        child(path, c->root.dir, pipefd[1]);
    }
    close(pipefd[1]);
    (void)fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    deadline = now_ms() + (uint64_t)timeout_s * 1000;
    while (!done) {
        struct pollfd pfd = {pipefd[0], POLLIN, 0};
        uint64_t t = now_ms();
        pid_t w;

        if (!eof && poll(&pfd, 1, 100) > 0) {
            ssize_t n = read(pipefd[0], buf, sizeof(buf));

            if (n > 0) {
                pass_on(logfd, buf, (size_t)n, &logged);
            } else if (n == 0) {
                eof = 1;
            }
        } else if (eof) {
            struct timespec ts = {0, 50 * 1000 * 1000};

            nanosleep(&ts, NULL);
        }
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            /* Drain what is already there, without waiting for writers
             * the script left running in the background. */
            ssize_t n;

            while (!eof && (n = read(pipefd[0], buf, sizeof(buf))) > 0)
                pass_on(logfd, buf, (size_t)n, &logged);
            done = 1;
            break;
        }
        if (kill_at == 0 && t >= deadline) {
            res->timed_out = 1;
            kill(-pid, SIGTERM);
            kill_at = t + KILL_GRACE_MS;
        } else if (kill_at != 0 && t >= kill_at) {
            kill(-pid, SIGKILL);
            kill_at = UINT64_MAX;
        }
    }
    close(pipefd[0]);
    close(logfd);
    if (WIFEXITED(status)) {
        res->exited = 1;
        res->code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->code = WTERMSIG(status);
    }
    return 0;
}

const char *mi_script_outcome(const mi_script_result_t *res,
                              unsigned timeout_s, char *buf, size_t cap)
{
    if (res->timed_out)
        snprintf(buf, cap, "timeout after %u s", timeout_s);
    else if (res->exited)
        snprintf(buf, cap, "exit %d", res->code);
    else
        snprintf(buf, cap, "signal %d", res->code);
    return buf;
}

int mi_run_program(char *const argv[])
{
    pid_t pid;
    int status;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);

        if (devnull >= 0)
            dup2(devnull, 0);
        execvp(argv[0], argv);
        fprintf(stderr, "mdata-init: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) != pid)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
