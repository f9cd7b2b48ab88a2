/*
 * input.h: the raw values of the five keys mdata-netcfg reads, where they
 * come from (the metadata service, or saved files for image pipelines),
 * and their parse into the model.
 */
#ifndef NC_INPUT_H
#define NC_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum nc_key {
    NC_KEY_NICS = 0,
    NC_KEY_ROUTES,
    NC_KEY_RESOLVERS,
    NC_KEY_HOSTNAME,
    NC_KEY_DNS_DOMAIN,
    NC_KEY_COUNT
};

/* "sdc:nics", ... indexed by enum nc_key. */
extern const char *const nc_key_names[NC_KEY_COUNT];

/* Raw values; val[k] is NULL when key k is absent, else NUL-terminated
 * (the NUL not counted in len[k]). Owned by the struct. */
typedef struct nc_raw {
    char *val[NC_KEY_COUNT];
    size_t len[NC_KEY_COUNT];
} nc_raw_t;

void nc_raw_init(nc_raw_t *raw);
void nc_raw_free(nc_raw_t *raw);
/* Copy len bytes as the value of key. Returns 0 or MDATA_ENOMEM. */
int nc_raw_set(nc_raw_t *raw, int key, const void *val, size_t len);

/*
 * --from-file: path is a directory holding files named after the keys (a
 * missing file is an absent key) or a file holding one JSON object that
 * maps keys to their values (a string is the value as the host sends it;
 * an array or object stands for its compact JSON text; null or a missing
 * member is absence; other members are ignored).
 * Returns 0 or a negative MDATA_E* code with a message in why.
 */
int nc_raw_from_file(const char *path, nc_raw_t *raw, char *why, size_t cap);
#define NC_FILE_MAX (16u << 20) /* larger saved files are refused */

/*
 * The one-file form of --from-file, its len bytes already read (both
 * platforms' nc_raw_from_file): at most NC_FILE_VALUES_MAX JSON values
 * (MDATA_ERANGE), an object (else MDATA_EJSON with not_object as the
 * text). Messages start with path.
 */
int nc_raw_from_json(const char *path, const char *data, size_t len,
                     const char *not_object, nc_raw_t *raw, char *why,
                     size_t cap);

/* Connection options for nc_raw_fetch. */
typedef struct nc_fetch_opts {
    const char *device;   /* NULL: MDATA_DEVICE or auto-detection */
    uint64_t timeout_ms;  /* 0: library default */
} nc_fetch_opts_t;

/*
 * Read the five keys from the metadata service on one connection, all
 * requests in flight together. NOTFOUND leaves a key absent. Returns 0 or
 * a negative code (the first failure) with a message in why.
 */
int nc_raw_fetch(const nc_fetch_opts_t *opts, nc_raw_t *raw, char *why,
                 size_t cap);

/*
 * Parse the raw values with libmdata's typed parsers and build the model.
 * sdc:nics is required; an unparseable sdc:routes or sdc:resolvers is a
 * warning (the key is ignored). Returns 0 or a negative code with a
 * message in why.
 */
int nc_model_from_raw(const nc_raw_t *raw, nc_model_t **out, char *why,
                      size_t cap);

#endif
