/*
 * meta.h: the metadata mdata-init reads, all keys at once: over one
 * connection with every request in flight together and one deadline for
 * the lot (fetch), or from saved files (--from-file). Then, on the serial
 * path, the base64 markers are applied (cloud-init's legacy rules).
 */
#ifndef MI_META_H
#define MI_META_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum mi_key {
    MI_UUID = 0,
    MI_HOSTNAME,
    MI_SDC_HOSTNAME,
    MI_DNS_DOMAIN,
    MI_AUTH_KEYS,
    MI_USER_SCRIPT,
    MI_OPERATOR_SCRIPT,
    MI_USER_DATA,
    MI_NICS,
    MI_ROUTES,
    MI_RESOLVERS,
    MI_VALUE_KEYS, /* the keys above have a b64-<key> marker */
    MI_BASE64_ALL = MI_VALUE_KEYS,
    MI_BASE64_KEYS,
    MI_B64_FIRST, /* b64-<key> of key k is MI_B64_FIRST + k */
    MI_KEY_COUNT = MI_B64_FIRST + MI_VALUE_KEYS
};

typedef struct mi_meta {
    /* val[k]: NULL when absent, else NUL-terminated (len[k] bytes). */
    char *val[MI_KEY_COUNT];
    size_t len[MI_KEY_COUNT];
    int serial;             /* came over a serial line: base64 rules apply */
    nc_buf_t warn;          /* warnings, one per line */
} mi_meta_t;

/* The key's name ("sdc:uuid", "b64-user-script", ...). */
const char *mi_key_name(int key);

void mi_meta_init(mi_meta_t *m);
void mi_meta_free(mi_meta_t *m);

typedef struct mi_fetch_opts {
    const char *device;     /* NULL: MDATA_DEVICE or auto-detection */
    uint64_t timeout_ms;    /* the total deadline */
    size_t max_value;       /* larger values: absent, with a warning */
    int verbose;            /* trace the exchange on stderr */
} mi_fetch_opts_t;

/*
 * Fetch every key over one connection. NOTFOUND is absence; a value over
 * max_value or a FAILURE answer is absence with a warning. Returns 0, or a
 * negative MDATA_E* code when the service could not be read (no answer
 * within the deadline, no device...) with a message in why.
 */
int mi_meta_fetch(const mi_fetch_opts_t *opts, mi_meta_t *m, char *why,
                  size_t cap);

/*
 * --from-file PATH: a directory holding one file per key (named after it;
 * a missing file is an absent key) or a file holding a JSON object mapping
 * keys to values (a string is the value; an array or object stands for its
 * compact JSON; null is absence). The base64 rules apply when the data
 * holds markers, as on the serial path. Returns 0 or a negative code with
 * a message in why.
 */
int mi_meta_from_file(const char *path, size_t max_value, mi_meta_t *m,
                      char *why, size_t cap);

/* Apply the base64 markers when m->serial (see rules.h). */
int mi_meta_decode(mi_meta_t *m);

/* Set key's value (a copy). Returns 0 or MDATA_ENOMEM. */
int mi_meta_set(mi_meta_t *m, int key, const void *val, size_t len);

#endif
