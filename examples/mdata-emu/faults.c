/*
 * faults.c: parsing --fault SPECs and shaping replies with them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "proto.h"
#include "util.h"

/* The junk line: not a frame, not a V1 answer a client could take. */
#define JUNK_LINE "#mdata-emu junk line (fault injection)\n"
/* Payload of the wrong-id frame: a client that ignores ids returns it. */
#define WRONGID_TEXT "mdata-emu: reply to another request"
/* A compromised host's FAILURE message: clear screen, retitle the window,
 * BEL, a C1 CSI in UTF-8 and as a bare byte, DEL, a second line. */
#define HOSTILE_TEXT                                                          \
    "\x1b[2J\x1b]0;pwned\x07 \xc2\x9b" "31mred\x9b" "0m\x7f\nsecond line"

static int parse_num(const char *v, unsigned *out, int positive)
{
    char *end;
    unsigned long n;

    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || n > 100000000ul || (positive && n == 0))
        return -1;
    *out = (unsigned)n;
    return 0;
}

static int parse_item(fault_cfg_t *cfg, char *item, char *err, size_t errlen)
{
    char *val = strchr(item, '=');
    struct {
        const char *name;
        unsigned *num;
        int positive;
    } counted[] = {
        {"drop", &cfg->drop, 1},
        {"corrupt", &cfg->corrupt, 1},
        {"junk", &cfg->junk, 1},
        {"wrongid", &cfg->wrongid, 1},
        {"hostile", &cfg->hostile, 1},
        {"delay", &cfg->delay_ms, 0},
        {"slow", &cfg->slow_ms, 0},
        {"v1-slow", &cfg->v1_slow_ms, 0},
        {"damaged", &cfg->damaged, 1},
        {"ignore-probes", &cfg->ignore_probes, 0},
        {"hangup", &cfg->hangup, 1},
        {"gone", &cfg->gone, 1},
    };
    size_t i;

    if (val != NULL)
        *val++ = '\0';
    for (i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
        if (strcmp(item, counted[i].name) != 0)
            continue;
        if (parse_num(val, counted[i].num, counted[i].positive) < 0) {
            snprintf(err, errlen, "fault %s needs =N, a %s number", item,
                     counted[i].positive ? "positive" : "non-negative");
            return -1;
        }
        return 0;
    }
    if (strcmp(item, "bytewise") == 0) {
        cfg->bytewise = 1;
        cfg->bytewise_gap = 1;
        if (val != NULL && parse_num(val, &cfg->bytewise_gap, 0) < 0) {
            snprintf(err, errlen, "fault bytewise takes =MS, milliseconds");
            return -1;
        }
        return 0;
    }
    if (strcmp(item, "v1only") == 0 || strcmp(item, "crlf") == 0 ||
        strcmp(item, "upper-crc") == 0) {
        if (val != NULL) {
            snprintf(err, errlen, "fault %s takes no value", item);
            return -1;
        }
        *(item[0] == 'v'   ? &cfg->v1only
          : item[0] == 'c' ? &cfg->crlf
                           : &cfg->upper_crc) = 1;
        return 0;
    }
    snprintf(err, errlen,
             "unknown fault '%s' (known: drop=N corrupt=N junk=N wrongid=N "
             "hostile=N damaged=N delay=MS slow=MS v1-slow=MS bytewise[=MS] "
             "v1only ignore-probes=N hangup=N gone=N crlf upper-crc)",
             item);
    return -1;
}

int fault_parse(fault_cfg_t *cfg, const char *spec, char *err, size_t errlen)
{
    char *copy = xstrdup(spec), *save = NULL, *item;
    int rc = 0;

    for (item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
         item = strtok_r(NULL, ",", &save))
        rc = parse_item(cfg, item, err, errlen);
    free(copy);
    return rc;
}

static int every(unsigned n, unsigned long count)
{
    return n > 0 && count % n == 0;
}

int fault_drop_request(const fault_cfg_t *cfg, fault_state_t *st)
{
    return every(cfg->drop, ++st->v2_requests);
}

int fault_ignore_probe(const fault_cfg_t *cfg, fault_state_t *st)
{
    return ++st->probes <= cfg->ignore_probes;
}

unsigned fault_reply_delay(const fault_cfg_t *cfg, int v2)
{
    return cfg->delay_ms + (v2 ? cfg->slow_ms : 0);
}

unsigned fault_v1_line_delay(const fault_cfg_t *cfg, fault_state_t *st,
                             const char *line, size_t len, uint64_t now)
{
    uint64_t start;

    if (cfg->v1_slow_ms == 0)
        return 0;
    /* the handshake before the first lookup is answered at once */
    if (!st->v1_slow_on && ((len >= 4 && memcmp(line, "GET ", 4) == 0) ||
                            (len >= 4 && memcmp(line, "KEYS", 4) == 0)))
        st->v1_slow_on = 1;
    if (!st->v1_slow_on)
        return 0;
    start = st->v1_busy_until > now ? st->v1_busy_until : now;
    st->v1_busy_until = start + cfg->v1_slow_ms;
    return (unsigned)(st->v1_busy_until - now);
}

/* Another request id of the same length: each hex digit d becomes 15-d. */
static void other_id(const char *reqid, buf_t *out)
{
    static const char hex[] = "0123456789abcdef";

    for (; *reqid != '\0'; reqid++) {
        const char *at = strchr(hex, *reqid);

        buf_addc(out, at != NULL ? hex[15 - (at - hex)] : '0');
    }
}

/* Copy bytes into wire, as CR LF line ends when asked. */
static void put(const fault_cfg_t *cfg, buf_t *wire, const char *p, size_t n)
{
    size_t i, start = 0;

    if (!cfg->crlf) {
        buf_add(wire, p, n);
        return;
    }
    for (i = 0; i < n; i++) {
        if (p[i] != '\n')
            continue;
        buf_add(wire, p + start, i - start);
        buf_add(wire, "\r\n", 2);
        start = i + 1;
    }
    buf_add(wire, p + start, n - start);
}

/* A V2 frame into wire, its CRC in upper case when asked. */
static void put_frame(const fault_cfg_t *cfg, buf_t *wire, const char *p,
                      size_t n)
{
    const char *crc = n > 3 ? memchr(p + 3, ' ', n - 3) : NULL;
    char *copy;
    size_t i;

    if (!cfg->upper_crc || crc == NULL || (size_t)(crc - p) + 9 > n) {
        put(cfg, wire, p, n);
        return;
    }
    copy = xmalloc(n);
    memcpy(copy, p, n);
    for (i = (size_t)(crc - p) + 1; i < (size_t)(crc - p) + 9; i++)
        if (copy[i] >= 'a' && copy[i] <= 'f')
            copy[i] = (char)(copy[i] - 'a' + 'A');
    put(cfg, wire, copy, n);
    free(copy);
}

void fault_shape_reply(const fault_cfg_t *cfg, fault_state_t *st,
                       const char *bytes, size_t len, int v2,
                       const char *reqid, buf_t *wire, int *hangup)
{
    unsigned long nth;

    *hangup = FAULT_KEEP;
    if (!v2) {
        put(cfg, wire, bytes, len);
        return;
    }
    nth = ++st->v2_replies;
    if (every(cfg->junk, nth))
        put(cfg, wire, JUNK_LINE, strlen(JUNK_LINE));
    if (every(cfg->wrongid, nth)) {
        buf_t id = {0}, frame = {0};

        other_id(reqid, &id);
        host_format_v2(buf_cstr(&id), "SUCCESS", WRONGID_TEXT,
                       strlen(WRONGID_TEXT), &frame);
        put_frame(cfg, wire, frame.p, frame.len);
        buf_free(&id);
        buf_free(&frame);
    }
    if (every(cfg->damaged, nth) && len >= 2) {
        /* the reply with the byte before its newline lost on the way: its
         * id still readable, its length no longer right */
        char *copy = xmalloc(len);

        memcpy(copy, bytes, len - 2);
        copy[len - 2] = '\n';
        put_frame(cfg, wire, copy, len - 1);
        free(copy);
    }
    if (every(cfg->hostile, nth)) {
        buf_t frame = {0};

        host_format_v2(reqid, "FAILURE", HOSTILE_TEXT, strlen(HOSTILE_TEXT),
                       &frame);
        put_frame(cfg, wire, frame.p, frame.len);
        buf_free(&frame);
    } else if (every(cfg->corrupt, nth) && len >= 2) {
        /* flip the low bit of the body's last character: still one line
         * of printable text, but its CRC no longer matches */
        char *copy = xmalloc(len);

        memcpy(copy, bytes, len);
        copy[len - 2] ^= 0x01;
        put_frame(cfg, wire, copy, len);
        free(copy);
    } else {
        put_frame(cfg, wire, bytes, len);
    }
    if (every(cfg->hangup, nth))
        *hangup = FAULT_HANGUP;
    if (cfg->gone > 0 && nth == cfg->gone)
        *hangup = FAULT_GONE;
}
