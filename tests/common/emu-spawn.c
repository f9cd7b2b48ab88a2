/* Start and stop the host emulator for C tests; see emu-spawn.h. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu-spawn.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

int emu_start_vm(emu_t *emu, int pty, const char *vm,
                 const char *const *extra)
{
    return emu_start_at(emu, pty, vm, NULL, extra);
}

int emu_start_at(emu_t *emu, int pty, const char *vm, const char *at,
                 const char *const *extra)
{
    const char *argv[64];
    int n = 0, out[2], i;
    char logpath[128];

    memset(emu, 0, sizeof(*emu));
    emu->pty = pty;
    snprintf(emu->dir, sizeof(emu->dir), "/tmp/mdata-test-XXXXXX");
    if (mkdtemp(emu->dir) == NULL)
        return -1;
    argv[n++] = MDATA_EMU_PATH;
    argv[n++] = "-q";
    if (pty) {
        argv[n++] = "--pty";
        if (at != NULL) {
            argv[n++] = "--link";
            argv[n++] = at;
        }
    } else {
        if (at != NULL)
            snprintf(emu->path, sizeof(emu->path), "%s", at);
        else
            snprintf(emu->path, sizeof(emu->path), "%s/metadata.sock",
                     emu->dir);
        argv[n++] = "--socket";
        argv[n++] = emu->path;
    }
    for (i = 0; extra != NULL && extra[i] != NULL && n < 60; i++)
        argv[n++] = extra[i];
    argv[n++] = vm;
    argv[n] = NULL;
    if (pipe2(out, O_CLOEXEC) != 0)
        return -1;
    snprintf(logpath, sizeof(logpath), "%s/emu.log", emu->dir);
    emu->pid = fork();
    if (emu->pid < 0)
        return -1;
    if (emu->pid == 0) {
        int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(out[1], 1);
        if (log >= 0)
            dup2(log, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    if (pty) {
        /* the slave's path is the first line on stdout */
        size_t got = 0;
        uint64_t end = mono_ms() + 10000;

        while (got < sizeof(emu->path) - 1 && mono_ms() < end) {
            struct pollfd p = {out[0], POLLIN, 0};
            ssize_t r;

            if (poll(&p, 1, 200) <= 0)
                continue;
            r = read(out[0], emu->path + got, 1);
            if (r <= 0)
                break;
            if (emu->path[got] == '\n')
                break;
            got++;
        }
        emu->path[got] = '\0';
        close(out[0]);
        return got > 0 ? 0 : (emu_stop(emu), -1);
    }
    close(out[0]);
    for (i = 0; i < 1000; i++) {
        struct stat st;

        if (stat(emu->path, &st) == 0 && S_ISSOCK(st.st_mode))
            return 0;
        if (!emu_alive(emu))
            break;
        pause_ms(10);
    }
    emu_stop(emu);
    return -1;
}

int emu_alive(emu_t *emu)
{
    int st;

    if (emu->pid <= 0)
        return 0;
    if (waitpid(emu->pid, &st, WNOHANG) == emu->pid) {
        emu->pid = 0;
        return 0;
    }
    return 1;
}

void emu_kill(emu_t *emu)
{
    char p[128];
    int st;

    if (emu->pid > 0) {
        kill(emu->pid, SIGKILL);
        waitpid(emu->pid, &st, 0);
        emu->pid = 0;
    }
    if (emu->dir[0] != '\0') {
        snprintf(p, sizeof(p), "%s/emu.log", emu->dir);
        unlink(p);
        rmdir(emu->dir);
        emu->dir[0] = '\0';
    }
}

int emu_stop(emu_t *emu)
{
    char p[128];
    int i, st, rc = -1;

    if (emu->pid > 0) {
        kill(emu->pid, SIGTERM);
        for (i = 0; i < 500; i++) {
            if (waitpid(emu->pid, &st, WNOHANG) == emu->pid) {
                rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                break;
            }
            pause_ms(10);
        }
        if (i == 500) {
            kill(emu->pid, SIGKILL);
            waitpid(emu->pid, &st, 0);
        }
        emu->pid = 0;
    }
    if (emu->dir[0] != '\0') {
        if (!emu->pty)
            unlink(emu->path);
        snprintf(p, sizeof(p), "%s/emu.log", emu->dir);
        unlink(p);
        rmdir(emu->dir);
        emu->dir[0] = '\0';
    }
    return rc;
}
