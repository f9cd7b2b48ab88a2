/*
 * fetch.h: read many keys from the metadata service on one connection, all
 * requests in flight together. Shared by mdata-netcfg (nc_raw_fetch) and
 * mdata-init, which differ only in the options they set and in what each
 * reply means to them.
 */
#ifndef NC_FETCH_H
#define NC_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mdata.h"

/*
 * A --timeout argument: seconds as mdata-get's -t (decimals allowed),
 * 0 < t <= 86400, into *ms (at least 1). Returns 0, or -1 when text is not
 * such a number (*ms untouched).
 */
int nc_fetch_parse_timeout(const char *text, uint64_t *ms);

/* More options for the client: NULL, or returns 0 or an MDATA_E* code. */
typedef int (*nc_fetch_configure_fn)(mdata_options_t *mo, void *userdata);

/*
 * Initialise loop and open a client on it with device (NULL: MDATA_DEVICE or
 * auto-detection) and timeout_ms (0: library default; every request is
 * submitted at once, so this is the deadline of the whole fetch), then
 * whatever configure sets. Returns 0, or a negative code with a message in
 * why and the loop closed.
 */
int nc_fetch_open(uv_loop_t *loop, const char *device, uint64_t timeout_ms,
                  nc_fetch_configure_fn configure, void *userdata,
                  mdata_client_t **client, char *why, size_t cap);

/*
 * One key's reply: status 0 with its value (val is NULL otherwise). Returns
 * 0 when the reply is taken (stored, or an absence the caller accepts);
 * nonzero on status 0 means the value could not be stored (out of memory);
 * nonzero on a failed status is that failure.
 */
typedef int (*nc_fetch_reply_fn)(int key, int status, const uint8_t *val,
                                 size_t len, void *userdata);

/* The name of key number key (0 to nkeys - 1). */
typedef const char *(*nc_fetch_name_fn)(int key);

#define NC_FETCH_KEYS_MAX 32

/*
 * GET keys 0 to nkeys - 1 (at most NC_FETCH_KEYS_MAX) on client, run loop
 * until all have answered, close the client and the loop. Returns 0, or
 * the first failure ("GET <key>: ..." in why; MDATA_ENOMEM when a value
 * could not be stored).
 */
int nc_fetch_keys(uv_loop_t *loop, mdata_client_t *client, int nkeys,
                  nc_fetch_name_fn name, nc_fetch_reply_fn on_reply,
                  void *userdata, char *why, size_t cap);

#endif
