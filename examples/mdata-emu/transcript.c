/* transcript.c: the --transcript file. Format in transcript.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "transcript.h"

static FILE *tf;

int transcript_open(const char *path)
{
    tf = fopen(path, "a");
    return tf != NULL ? 0 : -1;
}

void transcript_close(void)
{
    if (tf != NULL)
        fclose(tf);
    tf = NULL;
}

static void stamp(unsigned conn)
{
    struct timespec ts;
    struct tm tm;
    char when[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(tf, "%s.%06ldZ c%u ", when, ts.tv_nsec / 1000, conn);
}

void transcript_data(unsigned conn, const char *dir, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    if (tf == NULL)
        return;
    stamp(conn);
    fprintf(tf, "%s %zu \"", dir, n);
    for (i = 0; i < n; i++) {
        switch (b[i]) {
        case '\n': fputs("\\n", tf); break;
        case '\r': fputs("\\r", tf); break;
        case '\t': fputs("\\t", tf); break;
        case '\\': fputs("\\\\", tf); break;
        case '"': fputs("\\\"", tf); break;
        default:
            if (b[i] >= 0x20 && b[i] < 0x7f)
                fputc(b[i], tf);
            else
                fprintf(tf, "\\x%02x", b[i]);
        }
    }
    fputs("\"\n", tf);
    fflush(tf); /* readable while the emulator runs */
}

void transcript_event(unsigned conn, const char *fmt, ...)
{
    va_list ap;

    if (tf == NULL)
        return;
    stamp(conn);
    fputs("--- ", tf);
    va_start(ap, fmt);
    vfprintf(tf, fmt, ap);
    va_end(ap);
    fputc('\n', tf);
    fflush(tf);
}
