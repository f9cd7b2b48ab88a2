/*
 * mdata.h: the one public header of libmdata, a client for the SmartOS/Triton
 * metadata service (protocol V2 with V1 fallback).
 *
 * Sections: export macros, version, errors, codec (pure, no I/O),
 * client (libuv), blocking API, typed network data.
 *
 * Conventions (see doc/api.md):
 *  - every int-returning call returns 0 (or a documented positive value) on
 *    success and a negative MDATA_E* code on failure;
 *  - lengths are size_t, bytes uint8_t, times uint64_t milliseconds;
 *  - values are byte strings with a length: they may contain NUL bytes;
 *  - results returned through out-parameters are owned by the caller and
 *    released with the matching _free; results passed to callbacks are
 *    borrowed until the callback returns.
 *
 * Threads: libmdata has no mutable global state. The pure codec and parse
 * functions, mdata_strerror, mdata_err_name and the version calls may be
 * called from any thread on distinct objects.
 */
#ifndef MDATA_H
#define MDATA_H

#include <stddef.h>
#include <stdint.h>

#include "mdata_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Export and attribute macros                                         */
/* ------------------------------------------------------------------ */

#if defined(_WIN32) && defined(MDATA_SHARED_BUILD)
#define MDATA_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define MDATA_EXPORT __attribute__((visibility("default")))
#else
#define MDATA_EXPORT
#endif

#if defined(__GNUC__)
#define MDATA_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define MDATA_WARN_UNUSED
#endif

/* ------------------------------------------------------------------ */
/* Version                                                             */
/* ------------------------------------------------------------------ */

/* The library's version as 0xMMmmpp (major, minor, patch) of the library
 * actually loaded, which may differ from MDATA_VERSION_HEX of the header. */
MDATA_EXPORT unsigned int mdata_version(void);
/* The same as "MAJOR.MINOR.PATCH"; static storage. */
MDATA_EXPORT const char *mdata_version_string(void);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/*
 * XX(NAME, value, message). The one table every error code, its name and
 * its message come from. Values are stable ABI: never renumber.
 */
#define MDATA_ERRNO_MAP(XX)                                                   \
    XX(EINVAL, -1, "invalid argument")                                        \
    XX(ENOMEM, -2, "out of memory")                                           \
    XX(ETIMEDOUT, -3, "deadline expired before the host answered")            \
    XX(ECANCELED, -4, "request canceled")                                     \
    XX(ECLOSED, -5, "client is closed or its connection was lost")           \
    XX(EIO, -6, "input/output error on the metadata device")                  \
    XX(ECRC, -7, "frame checksum does not match its body")                    \
    XX(EFRAME, -8, "malformed protocol frame")                                \
    XX(ELENGTH, -9, "frame length field does not match its body")             \
    XX(EBASE64, -10, "invalid base64 data")                                   \
    XX(ETOOBIG, -11, "line or value exceeds the configured maximum size")     \
    XX(EPROTO, -12, "unexpected answer from the metadata host")               \
    XX(EJSON, -13, "metadata value is not the expected JSON")                 \
    XX(EREMOTE, -14, "the metadata host reported a failure")                  \
    XX(ENOTFOUND, -15, "no such metadata key")                                \
    XX(EBUSY, -16, "too many requests in flight")                             \
    XX(ENOTSUP, -17, "operation not supported by the metadata host")         \
    XX(ENODEV, -18, "no metadata device or socket found")                     \
    XX(ELOCKED, -19, "metadata device is locked by another process")         \
    XX(ERANGE, -20, "value out of the allowed range")

typedef enum mdata_err {
    MDATA_OK = 0,
#define MDATA_XX_ENUM(name, val, msg) MDATA_##name = (val),
    MDATA_ERRNO_MAP(MDATA_XX_ENUM)
#undef MDATA_XX_ENUM
} mdata_err_t;

/* A human-readable message for an error code; "unknown error" for codes
 * not in the table. Static storage, never NULL. */
MDATA_EXPORT const char *mdata_strerror(int code);
/* The code's name, e.g. "MDATA_ETIMEDOUT"; "MDATA_UNKNOWN" if not in the
 * table, "MDATA_OK" for 0. Static storage, never NULL. */
MDATA_EXPORT const char *mdata_err_name(int code);

/*
 * Optional detail for an error. Functions that take an mdata_error_t * fill
 * it on failure when the pointer is not NULL and leave it alone on success.
 */
typedef struct mdata_error {
    int code;         /* the MDATA_E* code also returned */
    int sys_errno;    /* errno of a failed system call, else 0 */
    size_t position;  /* byte offset in the input where it went wrong */
    char text[160];   /* what went wrong, in words, NUL-terminated */
} mdata_error_t;

/* Release memory the library allocated for the caller (strings, buffers).
 * Accepts NULL. */
MDATA_EXPORT void mdata_free(void *ptr);

/* ------------------------------------------------------------------ */
/* Codec: pure functions, no I/O, no clock                             */
/* ------------------------------------------------------------------ */

/*
 * CRC-32 as zlib computes it (reflected 0xEDB88320, init and final XOR
 * 0xFFFFFFFF). Chain calls by passing the previous result; start with 0.
 * mdata_crc32(0, "123456789", 9) == 0xcbf43926.
 */
MDATA_EXPORT uint32_t mdata_crc32(uint32_t crc, const void *buf, size_t len);

/* Length of the padded base64 text for n input bytes (no NUL counted). */
MDATA_EXPORT size_t mdata_base64_encoded_len(size_t n);
/*
 * Encode n bytes of src as padded RFC 4648 base64 into dst, which must hold
 * mdata_base64_encoded_len(n) bytes. No NUL is written. Returns the number of
 * characters written.
 */
MDATA_EXPORT size_t mdata_base64_encode(const void *src, size_t n, char *dst);

/* Upper bound of decoded bytes for n characters of base64 text. */
MDATA_EXPORT size_t mdata_base64_decoded_maxlen(size_t n);

/* Flags for mdata_base64_decode. */
enum {
    /*
     * Strict (the default, 0): the length must be a multiple of 4, every
     * character must be in the alphabet, '=' may only end the text (one or
     * two of them), and the unused bits before padding must be zero.
     */
    MDATA_BASE64_STRICT = 0,
    /*
     * Lenient, as the SmartOS host decodes: characters outside the
     * alphabet are skipped, decoding stops at the first '=', a trailing
     * group of 2 or 3 characters yields 1 or 2 bytes, a lone one nothing.
     * Never fails.
     */
    MDATA_BASE64_LENIENT = 1
};

/*
 * Decode n characters of base64 at src into dst, which must hold
 * mdata_base64_decoded_maxlen(n) bytes; *out_len gets the decoded length.
 * Returns 0, or MDATA_EBASE64 (strict mode) with err->position at the
 * first offending character.
 */
MDATA_EXPORT int mdata_base64_decode(const char *src, size_t n, uint8_t *dst,
                                     size_t *out_len, unsigned flags,
                                     mdata_error_t *err);

/* Longest request id the codec handles, in hex digits. */
#define MDATA_REQID_MAX 16
/* Longest code word (GET, SUCCESS, ...) the decoder accepts. */
#define MDATA_CODE_MAX 31

/*
 * Size of the V2 frame line for a code of code_len characters and a payload
 * of payload_len raw bytes (base64-encoded in the frame), request id of
 * reqid_len characters, including the final LF.
 */
MDATA_EXPORT size_t mdata_frame_encoded_size(size_t reqid_len, size_t code_len,
                                             size_t payload_len);

/*
 * Encode one V2 frame: "V2 <len> <crc> <reqid> <code>[ <base64(payload)>]\n".
 * reqid: 1..MDATA_REQID_MAX lower-case hex digits; code: 1..MDATA_CODE_MAX
 * characters, none of them space, control or non-ASCII. A payload of zero
 * bytes (or NULL) is omitted with its space, so a frame never ends in a
 * space. dst must hold mdata_frame_encoded_size(...) bytes; *out_len gets the
 * bytes written. No NUL is written.
 * Errors: MDATA_EINVAL (bad reqid or code), MDATA_ETOOBIG (cap too small).
 */
MDATA_EXPORT int mdata_frame_encode(const char *reqid, const char *code,
                                    const void *payload, size_t payload_len,
                                    char *dst, size_t cap, size_t *out_len);

/* One decoded V2 frame. Borrowed from the decoder that produced it: valid
 * until the next call on that decoder. */
typedef struct mdata_frame {
    char reqid[MDATA_REQID_MAX + 1]; /* as sent, NUL-terminated */
    char code[MDATA_CODE_MAX + 1];   /* e.g. "SUCCESS", NUL-terminated */
    int has_payload;                 /* 0 when the frame had no payload part */
    const uint8_t *payload;          /* decoded payload (never NULL) */
    size_t payload_len;
} mdata_frame_t;

/*
 * Parse one line (without its LF) as a V2 frame, strictly: exactly one space
 * between fields, LEN decimal without leading zeros matching the body's
 * length, CRC exactly 8 lower-case hex digits matching zlib's CRC-32 of the
 * body, request id 1..MDATA_REQID_MAX lower-case hex digits, a code word,
 * and optional strict base64. The payload is decoded into payload_buf, which
 * must hold mdata_base64_decoded_maxlen(len) bytes.
 * Errors, each distinct: MDATA_EFRAME (not a V2 line, bad field syntax),
 * MDATA_ELENGTH, MDATA_ECRC, MDATA_EBASE64; err->position tells where.
 */
MDATA_EXPORT int mdata_frame_parse(const char *line, size_t len,
                                   uint8_t *payload_buf, mdata_frame_t *frame,
                                   mdata_error_t *err);

/*
 * Incremental line and frame decoder. Feed it chunks of any size; take out
 * complete lines or V2 frames. Total work is linear in the input however it
 * is chunked. Lines longer than max_line bytes (LF not counted) are reported
 * once as MDATA_ETOOBIG and skipped up to the next LF; memory stays bounded
 * by max_line plus one chunk.
 */
typedef struct mdata_decoder mdata_decoder_t;

MDATA_EXPORT MDATA_WARN_UNUSED int mdata_decoder_new(size_t max_line,
                                                     mdata_decoder_t **out);
/* Accepts NULL. */
MDATA_EXPORT void mdata_decoder_free(mdata_decoder_t *dec);
/* Forget buffered bytes and any partial line (after a resync). */
MDATA_EXPORT void mdata_decoder_reset(mdata_decoder_t *dec);
/* Copy len bytes into the decoder. Errors: MDATA_ENOMEM. */
MDATA_EXPORT int mdata_decoder_feed(mdata_decoder_t *dec, const void *data,
                                    size_t len);
/* Bytes buffered that do not yet form a complete line. */
MDATA_EXPORT size_t mdata_decoder_pending(const mdata_decoder_t *dec);

/*
 * Take the next complete line. Returns 1 and sets *line and *len (LF removed,
 * borrowed until the next call on dec), 0 if no complete line is buffered,
 * or MDATA_ETOOBIG for an overlong line (already skipped or being skipped;
 * call again to continue).
 */
MDATA_EXPORT int mdata_decoder_next_line(mdata_decoder_t *dec,
                                         const char **line, size_t *len);

/*
 * Take the next line and parse it as a V2 frame. Returns 1 with *frame
 * filled (borrowed until the next call on dec), 0 if no complete line is
 * buffered, or a negative code for a line that was not a valid frame
 * (MDATA_EFRAME, MDATA_ELENGTH, MDATA_ECRC, MDATA_EBASE64, MDATA_ETOOBIG,
 * MDATA_ENOMEM). That line is consumed; call again for the next one.
 */
MDATA_EXPORT int mdata_decoder_next_frame(mdata_decoder_t *dec,
                                          mdata_frame_t *frame,
                                          mdata_error_t *err);

/*
 * V1 replies, line by line. After a V1 request, feed each reply line.
 * The reply is SUCCESS followed by dot-stuffed value lines up to a lone ".",
 * or a single NOTFOUND, FAILURE (or other text) or "invalid command" line.
 * Unlike the reference client, leading empty lines of a value are kept.
 */
typedef enum mdata_v1_status {
    MDATA_V1_SUCCESS = 1,     /* value in mdata_v1_reply_value */
    MDATA_V1_NOTFOUND = 2,
    MDATA_V1_FAILURE = 3,     /* the header line is the message */
    MDATA_V1_INVALID_COMMAND = 4
} mdata_v1_status_t;

typedef struct mdata_v1_reply mdata_v1_reply_t;

/* max_value bounds the collected value; past it feeding fails ETOOBIG. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_v1_reply_new(size_t max_value,
                                                      mdata_v1_reply_t **out);
MDATA_EXPORT void mdata_v1_reply_free(mdata_v1_reply_t *r);
/* Start over for the next reply. */
MDATA_EXPORT void mdata_v1_reply_reset(mdata_v1_reply_t *r);
/*
 * Feed one line (without LF). Returns 0 when more lines are needed, a
 * positive mdata_v1_status_t when the reply is complete, or MDATA_ETOOBIG /
 * MDATA_ENOMEM.
 */
MDATA_EXPORT int mdata_v1_reply_feed_line(mdata_v1_reply_t *r,
                                          const char *line, size_t len);
/* The complete reply's value (SUCCESS) or header line (FAILURE); borrowed
 * until the next feed, reset or free. */
MDATA_EXPORT const uint8_t *mdata_v1_reply_value(const mdata_v1_reply_t *r,
                                                 size_t *len);

/*
 * Encode a value as a V1 SUCCESS reply ("SUCCESS\n", dot-stuffed value,
 * "\n.\n"), as the host does. Returns the size needed; writes at most cap
 * bytes to dst (dst may be NULL when cap is 0).
 */
MDATA_EXPORT size_t mdata_v1_encode_success(const void *value, size_t len,
                                            char *dst, size_t cap);

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/*
 * Client options: an opaque object with setters, so it can grow without
 * breaking the ABI. Every setter returns 0 or MDATA_EINVAL (NULL object or
 * value out of range). Defaults are listed in doc/defaults.md and next to
 * each setter. A client copies what it needs from the options at
 * mdata_client_new: the object may be freed or reused afterwards.
 */
typedef struct mdata_options mdata_options_t;

/* New options holding every default. Owned; free with mdata_options_free.
 * Errors: MDATA_EINVAL (out NULL), MDATA_ENOMEM. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_new(mdata_options_t **out);
/* Accepts NULL. */
MDATA_EXPORT void mdata_options_free(mdata_options_t *opts);
/*
 * Device or socket path (copied). NULL (the default) selects the
 * environment variable MDATA_DEVICE if set, else auto-detection: the zone
 * sockets /.zonecontrol/metadata.sock, /native/.zonecontrol/metadata.sock,
 * /var/run/smartdc/metadata.sock, then the serial device (/dev/ttyS1 on
 * Linux, /dev/cuau1 on FreeBSD). A path that is a socket is used as a unix
 * socket, a character device as a serial line.
 */
MDATA_EXPORT int mdata_options_set_device(mdata_options_t *opts,
                                          const char *path);
/* Total deadline of every request, from submission to callback, including
 * waiting for the device lock, handshake and retries. Default 30000 ms;
 * 1 .. 86400000. */
MDATA_EXPORT int mdata_options_set_timeout_ms(mdata_options_t *opts,
                                              uint64_t ms);
/* How long one attempt of a GET or KEYS waits for its reply before the
 * line is resynchronised and the request retried. Default 3000 ms. */
MDATA_EXPORT int mdata_options_set_attempt_timeout_ms(mdata_options_t *opts,
                                                      uint64_t ms);
/* The same for PUT and DELETE, which the host answers only after an update
 * that can take seconds. Default 15000 ms. */
MDATA_EXPORT int mdata_options_set_write_timeout_ms(mdata_options_t *opts,
                                                    uint64_t ms);
/* How long the handshake waits for the "invalid command" barrier or the
 * NEGOTIATE answer before probing again. Default 2000 ms. */
MDATA_EXPORT int mdata_options_set_handshake_timeout_ms(mdata_options_t *opts,
                                                        uint64_t ms);
/* Attempts per request (first try included), 1 .. 100. Default 4. */
MDATA_EXPORT int mdata_options_set_max_attempts(mdata_options_t *opts,
                                                unsigned n);
/* Backoff before a retry: initial_ms before the 2nd attempt, doubling up to
 * max_ms. Defaults 100 ms and 2000 ms; initial <= max. */
MDATA_EXPORT int mdata_options_set_backoff_ms(mdata_options_t *opts,
                                              uint64_t initial_ms,
                                              uint64_t max_ms);
/* Largest value (decoded bytes) a reply may carry; a larger reply fails
 * its request with MDATA_ETOOBIG. Default 64 MiB; 1 KiB .. 1 GiB. */
MDATA_EXPORT int mdata_options_set_max_reply(mdata_options_t *opts,
                                             size_t bytes);
/* V2 requests on the wire at once on one connection (V1 is always 1).
 * Default 16; 1 .. 1024. */
MDATA_EXPORT int mdata_options_set_max_inflight(mdata_options_t *opts,
                                                unsigned n);
/* Requests a client holds at once (queued plus in flight); a submit past
 * it fails with MDATA_EBUSY. Default 4096; 1 .. 1000000. */
MDATA_EXPORT int mdata_options_set_max_pending(mdata_options_t *opts,
                                               unsigned n);

/* ------------------------------------------------------------------ */
/* Client (asynchronous, on a libuv loop)                              */
/* ------------------------------------------------------------------ */

struct uv_loop_s; /* uv_loop_t; this header does not include uv.h */

typedef struct mdata_client mdata_client_t;

/*
 * The outcome of one request, passed to its callback. Borrowed: valid
 * until the callback returns; copy what you need. Never NULL in a
 * callback, so the attempt count is readable for failures too.
 */
typedef struct mdata_reply mdata_reply_t;

/* Same as the callback's status. */
MDATA_EXPORT int mdata_reply_status(const mdata_reply_t *reply);
/*
 * The reply's bytes: the value (GET), the LF-joined key names without a
 * trailing LF (KEYS), "OK" (PUT, DELETE) when the status is 0; the host's
 * message when the status is MDATA_EREMOTE; empty otherwise. Borrowed like
 * the reply. Never NULL; a NUL byte follows the len bytes (not counted).
 */
MDATA_EXPORT const uint8_t *mdata_reply_value(const mdata_reply_t *reply,
                                              size_t *len);
/* How many times the request was sent (1 when no retry was needed). */
MDATA_EXPORT unsigned mdata_reply_attempts(const mdata_reply_t *reply);

/*
 * Request callback. status: 0, MDATA_ENOTFOUND (host said NOTFOUND),
 * MDATA_EREMOTE (host said FAILURE; the message is the reply's value),
 * MDATA_ETIMEDOUT (deadline passed or attempts used up), MDATA_ECANCELED
 * (cancel or close), MDATA_ENOTSUP (PUT/DELETE on a V1 host, or the host
 * does not know the command), MDATA_ETOOBIG (reply over the maximum),
 * MDATA_ELOCKED (the serial device stayed locked by another process until
 * the deadline), MDATA_ECLOSED / MDATA_EIO (connection lost), MDATA_ENODEV
 * and other open errors.
 * Guarantees: if the submit call returns an error the callback is never
 * called; if it returns 0 the callback runs exactly once, never inside the
 * submit call, only from the loop. Closing the client or submitting new
 * requests from inside a callback is allowed.
 */
typedef void (*mdata_reply_cb)(mdata_client_t *client, int status,
                               const mdata_reply_t *reply, void *userdata);
/* Close callback: runs once every handle is closed and the client freed. */
typedef void (*mdata_close_cb)(void *userdata);

/*
 * Create a client on loop. opts may be NULL for defaults (copied). The
 * device is chosen now (see mdata_options_set_device) but opened lazily by
 * the first request; the connection, its lock and its handshake are then
 * kept for the next requests until close or loss. *out is owned: release
 * with mdata_client_close. Errors: MDATA_EINVAL, MDATA_ENOMEM,
 * MDATA_ENODEV (auto-detection found nothing, or the path is neither a
 * socket nor a character device; err->text says which). err may be NULL.
 * Thread: the client belongs to the thread running loop.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_client_new(struct uv_loop_s *loop,
                                                    const mdata_options_t *opts,
                                                    mdata_client_t **out,
                                                    mdata_error_t *err);

/*
 * Close: pending requests complete with MDATA_ECANCELED, the device is
 * unlocked (serial termios restored) and closed, then cb(userdata) runs
 * from the loop (cb may be NULL) and the client is freed. Safe from inside
 * a request callback. Calling it twice is an error (ignored).
 */
MDATA_EXPORT void mdata_client_close(mdata_client_t *client, mdata_close_cb cb,
                                     void *userdata);

/* Arbitrary user data slot. */
MDATA_EXPORT void mdata_client_set_data(mdata_client_t *client, void *data);
MDATA_EXPORT void *mdata_client_get_data(const mdata_client_t *client);

/* The protocol the host negotiated: 2, 1, or 0 before the handshake. */
MDATA_EXPORT int mdata_client_protocol(const mdata_client_t *client);
/* The device or socket path in use (borrowed, lives as long as client). */
MDATA_EXPORT const char *mdata_client_device(const mdata_client_t *client);

/*
 * Submit requests. key is a NUL-terminated byte string: it must be
 * non-empty, without leading or trailing white space and without CR or LF
 * (the host cannot address such keys), else MDATA_EINVAL. A PUT value may
 * hold any bytes (NUL included) but not be empty (the host refuses it:
 * MDATA_EINVAL; use mdata_delete). Inputs are copied. req_id (may be NULL)
 * gets an id for mdata_client_cancel. Other errors: MDATA_ECLOSED (client
 * closing, or its connection was lost), MDATA_EBUSY (max_pending
 * reached), MDATA_ENOMEM. Callback contract: see mdata_reply_cb.
 * GET: the value of key. KEYS: the LF-joined names of the keys a guest can
 * list. PUT: store value under key (V2 hosts only, else MDATA_ENOTSUP in
 * the callback). DELETE: remove key (V2 only; absent keys succeed).
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_get(mdata_client_t *client,
                                             const char *key, mdata_reply_cb cb,
                                             void *userdata, uint32_t *req_id);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_keys(mdata_client_t *client,
                                              mdata_reply_cb cb, void *userdata,
                                              uint32_t *req_id);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_put(mdata_client_t *client,
                                             const char *key, const void *value,
                                             size_t len, mdata_reply_cb cb,
                                             void *userdata, uint32_t *req_id);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_delete(mdata_client_t *client,
                                                const char *key,
                                                mdata_reply_cb cb,
                                                void *userdata,
                                                uint32_t *req_id);

/*
 * Cancel a request: its callback runs from the loop with MDATA_ECANCELED
 * (never inside this call). A PUT or DELETE already sent may still take
 * effect on the host. Errors: MDATA_EINVAL (no such pending request).
 */
MDATA_EXPORT int mdata_client_cancel(mdata_client_t *client, uint32_t req_id);

/* Check a key as the submit calls do; err->text explains a rejection.
 * Returns 0 or MDATA_EINVAL. Any thread. */
MDATA_EXPORT int mdata_key_check(const char *key, mdata_error_t *err);

/* Counters a client keeps since its creation, for mdata_client_counter. */
typedef enum mdata_counter {
    MDATA_COUNTER_REQUESTS = 0, /* requests completed (any status) */
    MDATA_COUNTER_ATTEMPTS,     /* requests sent, retries included */
    MDATA_COUNTER_RETRIES,      /* attempts after the first */
    MDATA_COUNTER_TIMEOUTS,     /* attempts whose reply never came */
    MDATA_COUNTER_RESYNCS,      /* probes sent after the first handshake */
    MDATA_COUNTER_CRC_ERRORS,   /* V2 lines with a bad checksum */
    MDATA_COUNTER_BAD_LINES,    /* junk, bad length, malformed lines */
    MDATA_COUNTER_STALE,        /* valid frames with an unknown request id */
    MDATA_COUNTER_TOO_BIG,      /* lines or values over max_reply */
    MDATA_COUNTER_BYTES_IN,
    MDATA_COUNTER_BYTES_OUT,
    MDATA_COUNTER_COUNT_        /* number of counters, not a counter */
} mdata_counter_t;

/* A counter's value; 0 for an unknown counter. */
MDATA_EXPORT uint64_t mdata_client_counter(const mdata_client_t *client,
                                           mdata_counter_t which);
/* The counter's name ("retries"), "unknown" if not a counter. Any thread. */
MDATA_EXPORT const char *mdata_counter_name(mdata_counter_t which);

/* ------------------------------------------------------------------ */
/* Blocking API (a private loop and one client)                        */
/* ------------------------------------------------------------------ */

/*
 * For simple programs and language bindings. Each call runs a private
 * uv loop until its request completes; the request's deadline bounds it.
 * Never call these from inside a libuv callback. One mdata_sync_t per
 * thread; distinct handles may be used by distinct threads.
 */
typedef struct mdata_sync mdata_sync_t;

/* Create; opts may be NULL (copied). Owned: free with mdata_sync_free.
 * Errors as mdata_client_new. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_new(const mdata_options_t *opts,
                                                  mdata_sync_t **out,
                                                  mdata_error_t *err);
/* Close the connection (unlocking the device) and free. Accepts NULL. */
MDATA_EXPORT void mdata_sync_free(mdata_sync_t *sync);

/*
 * GET key. On success *value (owned, release with mdata_free) holds *len
 * bytes plus a NUL not counted in *len. Returns 0 or the callback status
 * codes of mdata_reply_cb; on MDATA_EREMOTE err->text holds the host's
 * message. *value is NULL on failure. err may be NULL.
 */
MDATA_EXPORT int mdata_sync_get(mdata_sync_t *sync, const char *key,
                                uint8_t **value, size_t *len,
                                mdata_error_t *err);
/* KEYS: *list gets the LF-joined key names, as mdata_sync_get. */
MDATA_EXPORT int mdata_sync_keys(mdata_sync_t *sync, uint8_t **list,
                                 size_t *len, mdata_error_t *err);
/* PUT key = value (len bytes, copied). */
MDATA_EXPORT int mdata_sync_put(mdata_sync_t *sync, const char *key,
                                const void *value, size_t len,
                                mdata_error_t *err);
/* DELETE key. */
MDATA_EXPORT int mdata_sync_delete(mdata_sync_t *sync, const char *key,
                                   mdata_error_t *err);
/* The underlying client, for mdata_client_counter / _protocol. Borrowed. */
MDATA_EXPORT mdata_client_t *mdata_sync_client(mdata_sync_t *sync);

/* @@TYPES-API@@ (typed nics, routes, resolvers go here) */

#ifdef __cplusplus
}
#endif

#endif /* MDATA_H */
