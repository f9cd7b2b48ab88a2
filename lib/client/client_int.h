/* Private declarations of the client layer. */
#ifndef MDATA_CLIENT_INT_H
#define MDATA_CLIENT_INT_H

#include "engine/engine.h"

struct mdata_options {
    mdata__engine_config_t cfg;
    char *device; /* NULL: MDATA_DEVICE or auto-detect */
};

struct mdata_reply {
    int status;
    const uint8_t *value;
    size_t len;
    unsigned attempts;
};

#endif
