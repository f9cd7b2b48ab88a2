/* Shared behaviour of the four tools; see tool.h. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

#include "tool.h"

/* While the service is not answering, the handshake is tried in steps of
 * at most this long, each on a fresh handle (what is at the device path
 * may change while the host restarts); the user is told once that we
 * wait, and once that the service is back. */
#define WAIT_SLICE_MS 5000
/* A try that heard the host, only not the whole handshake (a host slow to
 * answer anything needs two round trips), doubles the next one's time,
 * up to this. */
#define SLOW_SLICE_MAX_MS 60000
/* Pause between tries that failed at once (connection refused). */
#define RETRY_PAUSE_MS 1000
/* A request on a line that answered the handshake, when the user set no
 * bound: the library's largest. It never waits that long on a lost reply:
 * each attempt ends after a few seconds of silence and attempts are few;
 * only a reply that keeps streaming (a large value on a slow UART) may
 * take long. */
#define CONNECTED_TIMEOUT_MS 86400000

#ifdef _WIN32
static uint64_t now_ms(void)
{
    return GetTickCount64();
}

static void sleep_ms(uint64_t ms)
{
    Sleep((DWORD)ms);
}
#else
static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
#endif

void tool_err(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void tool_usage_exit(const tool_t *t, const char *why)
{
    if (why != NULL)
        fprintf(stderr, "%s: %s\n", t->name, why);
    fprintf(stderr, "%s: Usage: %s %s\n", t->name, t->argv0, t->operands);
    exit(TOOL_EXIT_USAGE);
}

/* Seconds as "30" or "2.5"; 0 < s <= one day. */
static int parse_seconds(const char *text, uint64_t *ms)
{
    char *end;
    double s;

    errno = 0;
    s = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(s > 0) || s > 86400)
        return -1;
    *ms = (uint64_t)(s * 1000 + 0.5);
    if (*ms == 0)
        *ms = 1;
    return 0;
}

static void print_help(const tool_t *t)
{
    printf("Usage: %s [OPTIONS] %s\n"
           "%s\n\n"
           "Options:\n"
           "  -d, --device PATH    metadata device or socket (default: "
           "$MDATA_DEVICE,\n"
           "                       else the zone socket or the serial "
           "port)\n"
           "  -t, --timeout SECS   give up after SECS seconds in all "
           "(default:\n"
           "                       $MDATA_TIMEOUT, else wait for the "
           "service)\n"
           "  -v, --verbose        report the device, protocol and "
           "counters on stderr\n"
           "  -h, --help           show this help\n"
           "  -V, --version        show the version\n"
           "  --                   end of options (for keys starting with "
           "'-')\n\n"
           "Exit status: 0 success, 1 not found, 2 error, 3 usage error.\n",
           t->name, t->operands, t->summary);
}

int tool_parse(tool_t *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *env;
    int c;

    t->started_ms = now_ms();
#ifdef _WIN32
    /* Values are bytes: no CR added before LF, no ^Z end of input. */
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
#endif
    t->argv0 = argc > 0 ? argv[0] : t->name;
    env = getenv("MDATA_TIMEOUT");
    if (env != NULL && *env != '\0' && parse_seconds(env, &t->timeout_ms) != 0)
        tool_usage_exit(t, "MDATA_TIMEOUT must be a number of seconds");
    opterr = 0;
    /* "+": stop at the first operand, so values may start with '-'. */
    while ((c = getopt_long(argc, argv, "+d:t:vhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            t->device = optarg;
            break;
        case 't':
            if (parse_seconds(optarg, &t->timeout_ms) != 0)
                tool_usage_exit(t, "--timeout needs a number of seconds "
                                   "between 0 and 86400");
            break;
        case 'v':
            t->verbose = 1;
            break;
        case 'h':
            print_help(t);
            exit(TOOL_EXIT_OK);
        case 'V':
            printf("%s (libmdata) %s\n", t->name, mdata_version_string());
            exit(TOOL_EXIT_OK);
        default: {
            char why[80];

            if (optopt != 0)
                snprintf(why, sizeof(why), "unknown option '-%c'", optopt);
            else
                snprintf(why, sizeof(why), "unknown option '%s'",
                         argv[optind - 1]);
            tool_usage_exit(t, why);
        }
        }
    }
    return optind;
}

void tool_check_key(const tool_t *t, const char *key)
{
    mdata_error_t err;

    if (mdata_key_check(key, &err) != 0)
        tool_usage_exit(t, err.text);
}

static void report(const tool_t *t, mdata_sync_t *sync, int rc,
                   uint64_t took_ms)
{
    mdata_client_t *c = mdata_sync_client(sync);
    int i;

    fprintf(stderr, "%s: device %s, protocol %s, %s after %llu ms\n",
            t->name, mdata_client_device(c),
            mdata_client_protocol(c) == 2   ? "V2"
            : mdata_client_protocol(c) == 1 ? "V1"
                                            : "none",
            rc == 0 ? "done" : mdata_err_name(rc),
            (unsigned long long)took_ms);
    fprintf(stderr, "%s: counters:", t->name);
    for (i = 0; i < MDATA_COUNTER_COUNT_; i++)
        fprintf(stderr, " %s=%llu", mdata_counter_name((mdata_counter_t)i),
                (unsigned long long)mdata_client_counter(
                    c, (mdata_counter_t)i));
    fputc('\n', stderr);
}

/* -v: each line of the exchange, as "NAME: -> line" / "NAME: <- line". */
static void trace_line(int direction, const char *line, size_t shown,
                       size_t total, void *userdata)
{
    const tool_t *t = userdata;

    /* the library gives the line with its control characters escaped */
    fprintf(stderr, "%s: %s %.*s", t->name,
            direction == MDATA_TRACE_OUT ? "->" : "<-", (int)shown, line);
    if (total > MDATA_TRACE_SHOWN)
        fprintf(stderr, "... (%zu bytes)", total);
    fputc('\n', stderr);
}

/*
 * The two notices of a wait, each once: when the tool starts waiting for
 * the metadata service (it cannot be reached, the connection was lost, or
 * the host went silent) and when the service is back. stdout and the exit
 * status do not change.
 */
static void notice_waiting(tool_t *t, const char *why)
{
    if (t->waiting)
        return;
    t->waiting = 1;
    if (t->timeout_ms == 0)
        tool_err("%s: waiting for the metadata service on %s (%s); trying "
                 "again with no time limit (-t SECONDS sets one)",
                 t->name, t->device_seen, why);
    else
        tool_err("%s: waiting for the metadata service on %s (%s); trying "
                 "again until the %.1f s of -t are up",
                 t->name, t->device_seen, why, (double)t->timeout_ms / 1000);
}

static void notice_back(tool_t *t)
{
    if (!t->waiting)
        return;
    t->waiting = 0;
    tool_err("%s: the metadata service on %s answers again", t->name,
             t->device_seen);
}

/* The library's link events, during a request. */
static void on_link(int event, const mdata_error_t *why, void *userdata)
{
    tool_t *t = userdata;

    if (event == MDATA_LINK_DOWN)
        notice_waiting(t, why != NULL && why->text[0] ? why->text
                                                      : "connection lost");
    else if (event == MDATA_LINK_UP)
        notice_back(t);
}

/* A fresh handle whose requests end within timeout_ms. */
static mdata_sync_t *open_handle(tool_t *t, uint64_t timeout_ms,
                                 mdata_error_t *err)
{
    mdata_options_t *opts;
    mdata_sync_t *sync;
    int rc;

    if (mdata_options_new(&opts) != 0 ||
        mdata_options_set_device(opts, t->device) != 0 ||
        mdata_options_set_timeout_ms(opts, timeout_ms) != 0 ||
        mdata_options_set_link_cb(opts, on_link, t) != 0 ||
        (t->verbose && mdata_options_set_trace(opts, trace_line, t) != 0)) {
        tool_err("ERROR: could not initialise protocol: %s",
                 mdata_strerror(MDATA_ENOMEM));
        exit(TOOL_EXIT_ERROR);
    }
    memset(err, 0, sizeof(*err));
    rc = mdata_sync_new(opts, &sync, err);
    mdata_options_free(opts);
    if (rc != 0) {
        /* No such device: the reference's permanent failure. */
        tool_err("ERROR: could not initialise protocol: %s",
                 err->text[0] ? err->text : mdata_strerror(rc));
        exit(TOOL_EXIT_ERROR);
    }
    snprintf(t->device_seen, sizeof(t->device_seen), "%s",
             mdata_client_device(mdata_sync_client(sync)));
    return sync;
}

/*
 * The line did not come up: worth waiting for? A silent line, a socket not
 * there yet or refusing (the library waits for those within the slice and
 * says ETIMEDOUT) and a lock held by another process are; a device that
 * cannot be opened (MDATA_EOPEN: EIO, ENXIO, ENODEV, EACCES, EPERM, a
 * missing serial device) or is no socket nor terminal (MDATA_ENODEV) is not.
 */
static int service_not_up(int rc)
{
    switch (rc) {
    case MDATA_ETIMEDOUT: /* no answer to the probes yet (a host that hung
                             up is reconnected to by the library) */
    case MDATA_EIO:       /* an I/O error on the open line */
    case MDATA_ELOCKED:   /* another process holds the serial line */
        return 1;
    default:
        return 0;
    }
}

static void timed_out(const tool_t *t)
{
    tool_err("ERROR: timed out after %.1f s waiting for the metadata service",
             (double)t->timeout_ms / 1000);
    exit(TOOL_EXIT_ERROR);
}

int tool_run(tool_t *t, const char *op_name, tool_op_fn op, void *ctx,
             mdata_error_t *err)
{
    uint64_t deadline = t->timeout_ms ? t->started_ms + t->timeout_ms : 0;
    uint64_t slice_ms = WAIT_SLICE_MS;

    for (;;) {
        uint64_t now = now_ms(), slice, began;
        mdata_sync_t *sync;
        int rc, connected, heard;

        if (deadline != 0 && now >= deadline)
            timed_out(t);
        /* First the handshake alone, in short steps, so the user hears
         * from us while the service does not answer ... */
        slice = slice_ms;
        if (deadline != 0 && deadline - now < slice)
            slice = deadline - now;
        sync = open_handle(t, slice, err);
        began = now_ms();
        rc = mdata_sync_connect(sync, err);
        connected = rc == 0;
        if (connected) {
            notice_back(t);
            /* ... then the request with the whole deadline: a large value
             * on a slow line may take long, a lost reply still ends after
             * the library's few bounded attempts. */
            now = now_ms();
            rc = mdata_sync_set_timeout_ms(
                sync, deadline == 0  ? CONNECTED_TIMEOUT_MS
                      : deadline > now ? deadline - now
                                       : 1);
            if (rc == 0) /* always: -t is at most CONNECTED_TIMEOUT_MS */
                rc = op(sync, ctx, err);
        }
        if (t->verbose)
            report(t, sync, rc, now_ms() - began);
        heard = !connected && rc == MDATA_ETIMEDOUT &&
                mdata_client_counter(mdata_sync_client(sync),
                                     MDATA_COUNTER_BYTES_IN) > 0;
        if (heard && slice_ms < SLOW_SLICE_MAX_MS)
            slice_ms = slice_ms * 2 < SLOW_SLICE_MAX_MS ? slice_ms * 2
                                                         : SLOW_SLICE_MAX_MS;
        mdata_sync_free(sync);

        if (connected) {
            switch (rc) {
            case 0:
            case MDATA_ENOTFOUND:
            case MDATA_EREMOTE:
            case MDATA_ENOTSUP:
                return rc;
            case MDATA_EIO:
                break; /* the line failed mid-request: wait for it (a
                        * host that hung up is reconnected to within the
                        * request's deadline by the library) */
            case MDATA_ETIMEDOUT:
                if (deadline != 0 && now_ms() >= deadline)
                    timed_out(t);
                /* fall through */
            case MDATA_ECRC:
            case MDATA_EFRAME:
            case MDATA_ELENGTH:
            case MDATA_EBASE64:
            case MDATA_EPROTO:
                tool_err("ERROR: no usable reply to %s from the metadata "
                         "service on %s: %s",
                         op_name, t->device_seen,
                         err->text[0] ? err->text : mdata_strerror(rc));
                exit(TOOL_EXIT_ERROR);
            default:
                tool_err("ERROR: %s failed: %s", op_name,
                         err->text[0] ? err->text : mdata_strerror(rc));
                exit(TOOL_EXIT_ERROR);
            }
        } else if (!service_not_up(rc)) {
            tool_err("ERROR: could not initialise protocol: %s",
                     err->text[0] ? err->text : mdata_strerror(rc));
            exit(TOOL_EXIT_ERROR);
        }
        notice_waiting(t, err->text[0] ? err->text : mdata_strerror(rc));
        now = now_ms();
        if (now - began < RETRY_PAUSE_MS) {
            uint64_t pause = RETRY_PAUSE_MS - (now - began);

            if (deadline != 0 && deadline > now && deadline - now < pause)
                pause = deadline - now;
            sleep_ms(pause);
        }
    }
}

void tool_write_stdout(const tool_t *t, const uint8_t *data, size_t len,
                       int add_newline)
{
    if ((len > 0 && fwrite(data, 1, len, stdout) != len) ||
        (add_newline && fputc('\n', stdout) == EOF) || fflush(stdout) != 0) {
        tool_err("ERROR: could not write to stdout: %s", strerror(errno));
        exit(TOOL_EXIT_ERROR);
    }
    (void)t;
}
