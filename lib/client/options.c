/* Options, reply accessors and counter names. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

int mdata_options_new(mdata_options_t **out)
{
    mdata_options_t *o;

    if (out == NULL)
        return MDATA_EINVAL;
    o = calloc(1, sizeof(*o));
    if (o == NULL)
        return MDATA_ENOMEM;
    mdata__engine_config_defaults(&o->cfg);
    o->serial_hold_ms = MDATA__SERIAL_HOLD_DEFAULT_MS;
    *out = o;
    return 0;
}

void mdata_options_free(mdata_options_t *opts)
{
    if (opts == NULL)
        return;
    free(opts->device);
    free(opts);
}

int mdata_options_set_device(mdata_options_t *opts, const char *path)
{
    char *copy = NULL;

    if (opts == NULL || (path != NULL && path[0] == '\0'))
        return MDATA_EINVAL;
    if (path != NULL && (copy = strdup(path)) == NULL)
        return MDATA_ENOMEM;
    free(opts->device);
    opts->device = copy;
    return 0;
}

#define MS_MAX 86400000u /* one day */

static int set_ms(mdata_options_t *opts, uint64_t *field, uint64_t ms)
{
    if (opts == NULL || ms == 0 || ms > MS_MAX)
        return MDATA_EINVAL;
    *field = ms;
    return 0;
}

int mdata_options_set_timeout_ms(mdata_options_t *opts, uint64_t ms)
{
    return set_ms(opts, opts ? &opts->cfg.timeout_ms : NULL, ms);
}

int mdata_options_set_attempt_timeout_ms(mdata_options_t *opts, uint64_t ms)
{
    return set_ms(opts, opts ? &opts->cfg.read_attempt_ms : NULL, ms);
}

int mdata_options_set_write_timeout_ms(mdata_options_t *opts, uint64_t ms)
{
    return set_ms(opts, opts ? &opts->cfg.write_attempt_ms : NULL, ms);
}

int mdata_options_set_handshake_timeout_ms(mdata_options_t *opts, uint64_t ms)
{
    return set_ms(opts, opts ? &opts->cfg.handshake_ms : NULL, ms);
}

int mdata_options_set_max_attempts(mdata_options_t *opts, unsigned n)
{
    if (opts == NULL || n < 1 || n > 100)
        return MDATA_EINVAL;
    opts->cfg.max_attempts = n;
    return 0;
}

int mdata_options_set_backoff_ms(mdata_options_t *opts, uint64_t initial_ms,
                                 uint64_t max_ms)
{
    if (opts == NULL || initial_ms > max_ms || max_ms > MS_MAX)
        return MDATA_EINVAL;
    opts->cfg.backoff_initial_ms = initial_ms;
    opts->cfg.backoff_max_ms = max_ms;
    return 0;
}

int mdata_options_set_max_reply(mdata_options_t *opts, size_t bytes)
{
    if (opts == NULL || bytes < 1024 || bytes > ((size_t)1 << 30))
        return MDATA_EINVAL;
    opts->cfg.max_reply = bytes;
    return 0;
}

int mdata_options_set_key_max_reply(mdata_options_t *opts, const char *key,
                                    size_t bytes)
{
    if (opts == NULL || key == NULL || mdata__check_key(key, NULL) < 0 ||
        bytes > ((size_t)1 << 30))
        return MDATA_EINVAL;
    return mdata__engine_config_key_cap(&opts->cfg, key, bytes);
}

int mdata_options_set_max_inflight(mdata_options_t *opts, unsigned n)
{
    if (opts == NULL || n < 1 || n > 1024)
        return MDATA_EINVAL;
    opts->cfg.max_inflight = n;
    return 0;
}

int mdata_options_set_max_pending(mdata_options_t *opts, unsigned n)
{
    if (opts == NULL || n < 1 || n > 1000000)
        return MDATA_EINVAL;
    opts->cfg.max_pending = n;
    return 0;
}

int mdata_options_set_serial_hold_ms(mdata_options_t *opts, uint64_t ms)
{
    if (opts == NULL)
        return MDATA_EINVAL;
    opts->serial_hold_ms = ms;
    return 0;
}

int mdata_reply_status(const mdata_reply_t *reply)
{
    return reply != NULL ? reply->status : MDATA_EINVAL;
}

const uint8_t *mdata_reply_value(const mdata_reply_t *reply, size_t *len)
{
    static const uint8_t empty[1];

    if (reply == NULL) {
        if (len != NULL)
            *len = 0;
        return empty;
    }
    if (len != NULL)
        *len = reply->len;
    return reply->value;
}

unsigned mdata_reply_attempts(const mdata_reply_t *reply)
{
    return reply != NULL ? reply->attempts : 0;
}

int mdata_key_check(const char *key, mdata_error_t *err)
{
    return mdata__check_key(key, err);
}

const char *mdata_counter_name(mdata_counter_t which)
{
    static const char *const names[] = {
        "requests", "attempts",  "retries",   "timeouts",
        "resyncs",  "crc_errors", "bad_lines", "stale",
        "too_big",  "bytes_in",  "bytes_out",  "late",
    };
    _Static_assert(MDATA__ARRAY_SIZE(names) == MDATA_COUNTER_COUNT_,
                   "one name per counter");

    if ((int)which < 0 || (size_t)which >= MDATA__ARRAY_SIZE(names))
        return "unknown";
    return names[which];
}

int mdata_options_set_trace(mdata_options_t *opts, mdata_trace_cb cb,
                            void *userdata)
{
    if (opts == NULL)
        return MDATA_EINVAL;
    opts->trace = cb;
    opts->trace_ud = userdata;
    return 0;
}

int mdata_options_set_link_cb(mdata_options_t *opts, mdata_link_cb cb,
                              void *userdata)
{
    if (opts == NULL)
        return MDATA_EINVAL;
    opts->link = cb;
    opts->link_ud = userdata;
    return 0;
}
