#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "typed-emu.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int temu_start(temu_t *e, int pty, const char *vm)
{
    const char *argv[8];
    int n = 0, out[2], i;

    memset(e, 0, sizeof(*e));
    e->pty = pty;
    snprintf(e->dir, sizeof(e->dir), "/tmp/mdata-typed-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    argv[n++] = MDATA_EMU_PATH;
    argv[n++] = "-q";
    if (pty) {
        argv[n++] = "--pty";
    } else {
        snprintf(e->path, sizeof(e->path), "%s/metadata.sock", e->dir);
        argv[n++] = "--socket";
        argv[n++] = e->path;
    }
    argv[n++] = vm;
    argv[n] = NULL;
    if (pipe2(out, O_CLOEXEC) != 0)
        return -1;
    e->pid = fork();
    if (e->pid < 0)
        return -1;
    if (e->pid == 0) {
        dup2(out[1], 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    if (pty) {
        /* the slave's path is the first line on stdout */
        size_t got = 0;
        long long end = mono_ms() + 10000;

        while (got < sizeof(e->path) - 1 && mono_ms() < end) {
            struct pollfd p = {out[0], POLLIN, 0};

            if (poll(&p, 1, 200) <= 0)
                continue;
            if (read(out[0], e->path + got, 1) != 1 || e->path[got] == '\n')
                break;
            got++;
        }
        e->path[got] = '\0';
        close(out[0]);
        if (got == 0) {
            temu_stop(e);
            return -1;
        }
        return 0;
    }
    close(out[0]);
    for (i = 0; i < 1000; i++) {
        struct stat st;
        int status;

        if (stat(e->path, &st) == 0 && S_ISSOCK(st.st_mode))
            return 0;
        if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
            e->pid = 0;
            break;
        }
        sleep_ms(10);
    }
    temu_stop(e);
    return -1;
}

int temu_stop(temu_t *e)
{
    int i, st = 0, rc = -1;

    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        for (i = 0; i < 500; i++) {
            if (waitpid(e->pid, &st, WNOHANG) == e->pid) {
                rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                break;
            }
            sleep_ms(10);
        }
        if (i == 500) {
            kill(e->pid, SIGKILL);
            waitpid(e->pid, &st, 0);
        }
        e->pid = 0;
    }
    if (e->dir[0] != '\0') {
        if (!e->pty)
            unlink(e->path);
        rmdir(e->dir);
        e->dir[0] = '\0';
    }
    return rc;
}

const char *temu_write_vm(char dir[64], const char *name, const char *text)
{
    static char path[160];
    FILE *f;

    snprintf(dir, 64, "/tmp/mdata-typed-vm-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        return NULL;
    fputs(text, f);
    if (fclose(f) != 0)
        return NULL;
    return path;
}

void temu_remove_vm(const char *dir, const char *name)
{
    char path[160];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    rmdir(dir);
}
