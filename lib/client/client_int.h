/* Private declarations of the client layer. */
#ifndef MDATA_CLIENT_INT_H
#define MDATA_CLIENT_INT_H

#include "engine/engine.h"

struct mdata_options {
    mdata__engine_config_t cfg;
    char *device;          /* NULL: MDATA_DEVICE or auto-detect */
    uint64_t serial_hold_ms; /* idle time before a tty is released */
    mdata_trace_cb trace;    /* NULL: no exchange trace */
    void *trace_ud;
    mdata_link_cb link;      /* NULL: no link events */
    void *link_ud;
};

#define MDATA__SERIAL_HOLD_DEFAULT_MS 1000

struct mdata_reply {
    int status;
    const uint8_t *value;
    size_t len;
    unsigned attempts;
    mdata__engine_t *eng; /* holds the value until the callback returns */
};

/* Why the device could not be opened at the last try, or NULL when that
 * try succeeded (or none was made): the text behind a request that ended
 * with an open error, or expired waiting for the device. */
const mdata_error_t *mdata__client_open_error(const mdata_client_t *c);

/*
 * In a reply callback: own the value instead of copying it (len bytes and
 * a NUL; free it). A fresh empty string when there was none; NULL only
 * when that allocation fails. reply->value must not be used afterwards.
 */
uint8_t *mdata__reply_take_value(const mdata_reply_t *reply);

#endif
