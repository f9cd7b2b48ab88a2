/*
 * mdata.h: the one public header of libmdata, a client for the SmartOS/Triton
 * metadata service (protocol V2 with V1 fallback; the wire protocol and
 * the host's behaviour are described in doc/protocol.md).
 *
 * Sections: export macros, version, errors, codec (pure, no I/O),
 * client (libuv), blocking API, typed network data.
 *
 * Conventions (see doc/api.md):
 *  - every int-returning call returns 0 (or a documented positive value) on
 *    success and a negative MDATA_E* code on failure;
 *  - lengths are size_t, bytes uint8_t, times uint64_t milliseconds;
 *  - values are byte strings with a length: they may contain NUL bytes;
 *  - every function that returns or fills memory says whose it is, in one
 *    of four words, as jansson's reference does:
 *      new       allocated for the caller, who releases it with the call
 *                named (mdata_free, or the object's own _free or _close);
 *      borrowed  owned by the object named and valid until the event named
 *                (the next call on that object, its _free, the end of the
 *                callback it was passed to); copy what you keep;
 *      static    lives as long as the program; never freed;
 *      caller's  written into a buffer the caller provides and sizes.
 *    Results passed to callbacks are borrowed until the callback returns.
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

/*
 * MDATA_EXPORT marks the library's public functions. On Windows it says
 * where they live, as libuv's and jansson's headers do:
 *  - MDATA_SHARED_BUILD: compiling mdata.dll itself (the build defines it);
 *  - MDATA_SHARED: a program using mdata.dll (pkg-config's Cflags and
 *    meson's dependency add it when only the shared library is built);
 *  - neither: the static library, nothing to import (mingw's default here).
 * Elsewhere it gives the symbols default visibility, as the library is
 * compiled with hidden visibility.
 */
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(MDATA_SHARED_BUILD)
#define MDATA_EXPORT __declspec(dllexport)
#elif defined(MDATA_SHARED)
#define MDATA_EXPORT __declspec(dllimport)
#else
#define MDATA_EXPORT
#endif
#elif defined(__GNUC__)
#define MDATA_EXPORT __attribute__((visibility("default")))
#else
#define MDATA_EXPORT
#endif

/* On every call whose result must be checked: ignoring it loses an error,
 * an object or the only sign that an option was refused. */
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
/* The same as "MAJOR.MINOR.PATCH". Static. */
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
    XX(ERANGE, -20, "value out of the allowed range")                         \
    XX(EOPEN, -21, "metadata device cannot be opened")

typedef enum mdata_err {
    MDATA_OK = 0,
#define MDATA_XX_ENUM(name, val, msg) MDATA_##name = (val),
    MDATA_ERRNO_MAP(MDATA_XX_ENUM)
#undef MDATA_XX_ENUM
} mdata_err_t;

/* A human-readable message for an error code; "unknown error" for codes
 * not in the table. Static, never NULL. */
MDATA_EXPORT const char *mdata_strerror(int code);
/* The code's name, e.g. "MDATA_ETIMEDOUT"; "MDATA_UNKNOWN" if not in the
 * table, "MDATA_OK" for 0. Static, never NULL. */
MDATA_EXPORT const char *mdata_err_name(int code);

/* Room for an error's text, NUL included; longer texts are cut. */
#define MDATA_ERROR_TEXT_MAX 160

/*
 * Optional detail for an error. Functions that take an mdata_error_t * fill
 * it (caller's) on failure when the pointer is not NULL and leave it alone
 * on success.
 */
typedef struct mdata_error {
    int code;         /* the MDATA_E* code also returned */
    int sys_errno;    /* errno of a failed system call, else 0 */
    size_t position;  /* byte offset in the input where it went wrong */
    /* what went wrong, in words, NUL-terminated */
    char text[MDATA_ERROR_TEXT_MAX];
} mdata_error_t;

/* Release memory the library returned as new without naming another call
 * (strings, buffers). Accepts NULL. */
MDATA_EXPORT void mdata_free(void *ptr);

/*
 * Text from the host made safe to print for a person: C0 controls except
 * LF, DEL and stray bytes that are not UTF-8 become \xNN; C1 controls
 * written in UTF-8 become \u0080..\u009f; valid UTF-8 text stays as it is.
 * Writes at most cap - 1 bytes plus a NUL into out (caller's; whole
 * escapes and characters only) and returns the length the whole text
 * needs, like snprintf. The library applies it to every mdata_error_t
 * text (host FAILURE messages included); values are never altered.
 */
MDATA_EXPORT size_t mdata_text_escape(const void *text, size_t len, char *out,
                                      size_t cap);

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
 * Encode n bytes of src as padded RFC 4648 base64 into dst (caller's), which
 * must hold mdata_base64_encoded_len(n) bytes. No NUL is written. Returns
 * the number of characters written.
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
 * Decode n characters of base64 at src into dst (caller's), which must hold
 * mdata_base64_decoded_maxlen(n) bytes; *out_len gets the decoded length.
 * Returns 0, or MDATA_EBASE64 (strict mode) with err->position at the
 * first offending character.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_base64_decode(const char *src,
                                                       size_t n, uint8_t *dst,
                                                       size_t *out_len,
                                                       unsigned flags,
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
 * space. dst (caller's) must hold mdata_frame_encoded_size(...) bytes;
 * *out_len gets the bytes written. No NUL is written.
 * Errors: MDATA_EINVAL (bad reqid or code), MDATA_ETOOBIG (cap too small).
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_frame_encode(const char *reqid,
                                                      const char *code,
                                                      const void *payload,
                                                      size_t payload_len,
                                                      char *dst, size_t cap,
                                                      size_t *out_len);

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
 * and optional strict base64. The payload is decoded into payload_buf
 * (caller's), which must hold mdata_base64_decoded_maxlen(len) bytes;
 * frame->payload points into it.
 * Errors, each distinct: MDATA_EFRAME (not a V2 line, bad field syntax),
 * MDATA_ELENGTH, MDATA_ECRC, MDATA_EBASE64; err->position tells where.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_frame_parse(const char *line,
                                                     size_t len,
                                                     uint8_t *payload_buf,
                                                     mdata_frame_t *frame,
                                                     mdata_error_t *err);

/*
 * Incremental line and frame decoder. Feed it chunks of any size; take out
 * complete lines or V2 frames. Total work is linear in the input however it
 * is chunked. Lines longer than max_line bytes (LF not counted) are reported
 * once as MDATA_ETOOBIG and skipped up to the next LF; memory stays bounded
 * by max_line plus one chunk.
 */
typedef struct mdata_decoder mdata_decoder_t;

/* *out is new: free with mdata_decoder_free. Errors: MDATA_EINVAL (out
 * NULL or max_line 0), MDATA_ENOMEM. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_decoder_new(size_t max_line,
                                                     mdata_decoder_t **out);
/* Accepts NULL. */
MDATA_EXPORT void mdata_decoder_free(mdata_decoder_t *dec);
/* Forget buffered bytes and any partial line (after a resync). */
MDATA_EXPORT void mdata_decoder_reset(mdata_decoder_t *dec);
/* Copy len bytes into the decoder. Errors: MDATA_ENOMEM. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_decoder_feed(mdata_decoder_t *dec,
                                                      const void *data,
                                                      size_t len);
/* Bytes buffered that do not yet form a complete line. */
MDATA_EXPORT size_t mdata_decoder_pending(const mdata_decoder_t *dec);

/*
 * Take the next complete line. Returns 1 and sets *line and *len (LF removed,
 * borrowed until the next call on dec), 0 if no complete line is buffered,
 * or MDATA_ETOOBIG for an overlong line (already skipped or being skipped;
 * call again to continue).
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_decoder_next_line(mdata_decoder_t *dec,
                                                           const char **line,
                                                           size_t *len);

/*
 * Take the next line and parse it as a V2 frame. Returns 1 with *frame
 * filled (borrowed until the next call on dec), 0 if no complete line is
 * buffered, or a negative code for a line that was not a valid frame
 * (MDATA_EFRAME, MDATA_ELENGTH, MDATA_ECRC, MDATA_EBASE64, MDATA_ETOOBIG,
 * MDATA_ENOMEM). That line is consumed; call again for the next one.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_decoder_next_frame(
    mdata_decoder_t *dec, mdata_frame_t *frame, mdata_error_t *err);

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

/* max_value bounds the collected value; past it feeding fails ETOOBIG.
 * *out is new: free with mdata_v1_reply_free. Errors: MDATA_EINVAL,
 * MDATA_ENOMEM. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_v1_reply_new(size_t max_value,
                                                      mdata_v1_reply_t **out);
/* Accepts NULL. */
MDATA_EXPORT void mdata_v1_reply_free(mdata_v1_reply_t *r);
/* Start over for the next reply. */
MDATA_EXPORT void mdata_v1_reply_reset(mdata_v1_reply_t *r);
/*
 * Feed one line (without LF). Returns 0 when more lines are needed, a
 * positive mdata_v1_status_t when the reply is complete, or MDATA_ETOOBIG /
 * MDATA_ENOMEM.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_v1_reply_feed_line(mdata_v1_reply_t *r,
                                                            const char *line,
                                                            size_t len);
/* The complete reply's value (SUCCESS) or header line (FAILURE); borrowed
 * until the next feed, reset or free. */
MDATA_EXPORT const uint8_t *mdata_v1_reply_value(const mdata_v1_reply_t *r,
                                                 size_t *len);

/*
 * Encode a value as a V1 SUCCESS reply ("SUCCESS\n", dot-stuffed value,
 * "\n.\n"), as the host does. Returns the size needed; writes at most cap
 * bytes to dst (caller's; may be NULL when cap is 0).
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

/* New options holding every default. *out is new: free with
 * mdata_options_free.
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
 * socket, a character device as a serial line; a path that does not exist
 * (yet) as a socket the host has not created yet, unless it lies under
 * /dev or links there (a missing serial device: MDATA_ENODEV).
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_device(
    mdata_options_t *opts, const char *path);
/* Total deadline of every request, from submission to callback, including
 * waiting for the device lock, handshake and retries. Default 30000 ms;
 * 1 .. 86400000. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_timeout_ms(
    mdata_options_t *opts, uint64_t ms);
/* How long the first attempt of a GET or KEYS waits for its reply before
 * the line is resynchronised and the request retried. Default 3000 ms.
 * Each later attempt waits twice as long, the last twice that again (the
 * total deadline ends any attempt); a reply to any earlier attempt still
 * completes the request. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_attempt_timeout_ms(
    mdata_options_t *opts, uint64_t ms);
/* The same for PUT and DELETE, which the host answers only after an update
 * that can take seconds. Default 10000 ms. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_write_timeout_ms(
    mdata_options_t *opts, uint64_t ms);
/* How long the handshake waits for the "invalid command" barrier or the
 * NEGOTIATE answer before probing again. Default 2000 ms. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_handshake_timeout_ms(
    mdata_options_t *opts, uint64_t ms);
/* Attempts per request (first try included), 1 .. 100. Default 4. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_max_attempts(
    mdata_options_t *opts, unsigned n);
/* Backoff before a retry: initial_ms before the 2nd attempt, doubling up to
 * max_ms. Defaults 100 ms and 2000 ms; initial <= max. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_backoff_ms(
    mdata_options_t *opts, uint64_t initial_ms, uint64_t max_ms);
/* Largest value (decoded bytes) a reply may carry; a larger reply fails
 * its request with MDATA_ETOOBIG. Default 64 MiB; 1 KiB .. 1 GiB. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_max_reply(
    mdata_options_t *opts, size_t bytes);
/* A smaller bound for replies to GET key (bytes 0 removes it; at most
 * 1 GiB; max_reply still holds), checked while the reply arrives. Defaults:
 * sdc:nics 1 MiB, sdc:routes 256 KiB, sdc:resolvers 64 KiB, sdc:hostname
 * and sdc:dns_domain 4 KiB (the typed getters' keys). Keys of at most 63
 * bytes, 16 keys in all; MDATA_EINVAL beyond. A V2 reply over the bound
 * fails its request as soon as its header is in, before the rest arrives. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_key_max_reply(
    mdata_options_t *opts, const char *key, size_t bytes);
/* V2 requests on the wire at once on one connection (V1 is always 1).
 * Default 16; 1 .. 1024. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_max_inflight(
    mdata_options_t *opts, unsigned n);
/* Requests a client holds at once (queued plus in flight); a submit past
 * it fails with MDATA_EBUSY. Default 4096; 1 .. 1000000. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_max_pending(
    mdata_options_t *opts, unsigned n);
/* A serial line is exclusive across processes: once a client has had no
 * request pending for this long, it restores, unlocks and closes the line
 * so others (the reference tools, cloud-init) can use it; the next request
 * opens it again. 0 releases it as soon as nothing is pending; UINT64_MAX
 * holds it until close. The timer runs only while the loop runs: a blocking
 * handle (mdata_sync_t) keeps the line between calls unless this is 0.
 * Sockets are not exclusive and stay connected. Default 1000 ms. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_serial_hold_ms(
    mdata_options_t *opts, uint64_t ms);

/* Directions for mdata_trace_cb. */
enum { MDATA_TRACE_OUT = 1, MDATA_TRACE_IN = 2 };
/* At most this many bytes of a line are shown to a trace callback ... */
#define MDATA_TRACE_SHOWN 160
/* ... as at most this many characters of text once escaped. */
#define MDATA_TRACE_TEXT_MAX (6 * MDATA_TRACE_SHOWN)

/*
 * Exchange trace, for diagnostics (mdata-get -v): each line the client
 * writes (MDATA_TRACE_OUT) or reads (MDATA_TRACE_IN), LF removed: its first
 * MDATA_TRACE_SHOWN bytes at most, as mdata_text_escape writes them (so
 * the host's bytes cannot drive a terminal), `shown` characters of text
 * (<= MDATA_TRACE_TEXT_MAX, NUL-terminated, borrowed for the call), and
 * `total`, the bytes of the whole line: the text was cut when total >
 * MDATA_TRACE_SHOWN. A line cut short by the end of a connection is
 * reported as far as it came. Runs on the loop's thread; keep it cheap,
 * and call nothing of the client's from it.
 */
typedef void (*mdata_trace_cb)(int direction, const char *line, size_t shown,
                               size_t total, void *userdata);
/* Trace every exchange through cb (NULL, the default, turns it off). */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_trace(
    mdata_options_t *opts, mdata_trace_cb cb, void *userdata);

/* Events for mdata_link_cb. */
enum { MDATA_LINK_DOWN = 1, MDATA_LINK_UP = 2 };

/*
 * Link events, for a program that tells its user why it waits (mdata-get
 * does). MDATA_LINK_DOWN: requests wait for the host through no fault of
 * theirs: an open connection was lost (why->code MDATA_EIO: end of file,
 * reset, a serial I/O error), opening the device is being waited for (a
 * socket not there yet or refusing: MDATA_EBUSY; a serial line locked by
 * another process: MDATA_ELOCKED), or an attempt's reply did not come in
 * its time (MDATA_ETIMEDOUT: a silent or slow host). why->text says what
 * in words, why->sys_errno the system's error if any; why is borrowed for
 * the call. MDATA_LINK_UP (why NULL): after a DOWN, the host answered a
 * request again (reported before that request's callback). A DOWN is
 * reported once, until the UP that ends it (requests may still end first,
 * at their deadlines, or after their attempts); a device that cannot be
 * opened at all ends its requests with MDATA_EOPEN instead.
 * Runs on the loop's thread from inside the client: keep it cheap, and
 * call nothing of the client's from it.
 */
typedef void (*mdata_link_cb)(int event, const mdata_error_t *why,
                              void *userdata);
/* Report link events to cb (NULL, the default, turns it off). */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_options_set_link_cb(
    mdata_options_t *opts, mdata_link_cb cb, void *userdata);

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
 * MDATA_ETIMEDOUT (deadline passed or attempts used up), MDATA_ECRC,
 * MDATA_ELENGTH, MDATA_EFRAME or MDATA_EBASE64 (every attempt's reply
 * arrived damaged; the last damage is reported), MDATA_ECANCELED
 * (cancel or close), MDATA_ENOTSUP (PUT/DELETE on a V1 host, or the host
 * does not know the command), MDATA_ETOOBIG (reply over the maximum),
 * MDATA_ELOCKED (the serial device stayed locked by another process until
 * the deadline), MDATA_EOPEN (opening the device failed in a way waiting
 * would not change: EIO as when the host end of a serial line is gone,
 * ENXIO, ENODEV, EACCES, EPERM, or a serial device that is not there;
 * a socket that is not there yet or refuses connections is waited for
 * instead), MDATA_ENODEV (neither a socket nor a terminal), MDATA_EIO.
 * A lost connection is no status: the requests in flight are sent again
 * once the device is reopened and the handshake redone, within their
 * deadlines (doc/api.md, Reconnection).
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
 * kept for the next requests until close. A lost connection is reopened,
 * with backoff, while requests wait (doc/api.md, Reconnection); only
 * close is final. *out is new: release
 * with mdata_client_close. Errors: MDATA_EINVAL, MDATA_ENOMEM,
 * MDATA_ENODEV (auto-detection found nothing, a missing serial device, or
 * the path is neither a socket nor a character device; err->text says
 * which). err may be NULL.
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

/* Arbitrary user data slot; the library never reads or frees it. */
MDATA_EXPORT void mdata_client_set_data(mdata_client_t *client, void *data);
MDATA_EXPORT void *mdata_client_get_data(const mdata_client_t *client);

/* The protocol the host negotiated: 2, 1, or 0 when no handshake is
 * complete on the current connection (none yet, lost and not reopened yet,
 * or an idle serial line given back); a reconnection's handshake sets it
 * again. */
MDATA_EXPORT int mdata_client_protocol(const mdata_client_t *client);
/* The device or socket path in use. Borrowed until the client is freed. */
MDATA_EXPORT const char *mdata_client_device(const mdata_client_t *client);

/*
 * Submit requests. key is a NUL-terminated byte string: it must be
 * non-empty, without leading or trailing white space and without CR or LF
 * (the host cannot address such keys), else MDATA_EINVAL. A PUT value may
 * hold any bytes (NUL included) but not be empty (the host refuses it:
 * MDATA_EINVAL; use mdata_delete). Inputs are copied. req_id (may be NULL)
 * gets an id for mdata_client_cancel. Other errors: MDATA_ECLOSED (client
 * closing; a lost connection is reopened instead), MDATA_EBUSY (max_pending
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

/*
 * Open the device and bring the line in sync (probe barrier and protocol
 * negotiation) now rather than with the first request: a caller can wait
 * for the service in short steps, then send its requests with their whole
 * deadline. cb runs once, as for mdata_get: status 0 when the line is in
 * sync (mdata_client_protocol then says V1 or V2; the reply's value is
 * empty), else what a request would have got: MDATA_ETIMEDOUT (the host
 * did not answer within the deadline), MDATA_ELOCKED, MDATA_ENODEV,
 * MDATA_EIO... Nothing but the handshake is sent.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_connect(mdata_client_t *client,
                                                 mdata_reply_cb cb,
                                                 void *userdata,
                                                 uint32_t *req_id);
/* The total deadline of the requests submitted from now on, as
 * mdata_options_set_timeout_ms. MDATA_EINVAL out of 1 .. 86400000. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_client_set_timeout_ms(
    mdata_client_t *client, uint64_t ms);

/* Check a key as the submit calls do; err->text explains a rejection.
 * Returns 0 or MDATA_EINVAL. Any thread. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_key_check(const char *key,
                                                   mdata_error_t *err);

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
    MDATA_COUNTER_LATE,         /* requests completed by the reply to an
                                   attempt already given up on */
    MDATA_COUNTER_COUNT_        /* number of counters, not a counter */
} mdata_counter_t;

/* A counter's value; 0 for an unknown counter. */
MDATA_EXPORT uint64_t mdata_client_counter(const mdata_client_t *client,
                                           mdata_counter_t which);
/* The counter's name ("retries"), "unknown" if not a counter. Static.
 * Any thread. */
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

/* Create; opts may be NULL (copied). *out is new: free with mdata_sync_free.
 * Errors as mdata_client_new. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_new(const mdata_options_t *opts,
                                                  mdata_sync_t **out,
                                                  mdata_error_t *err);
/* Close the connection (unlocking the device) and free. Accepts NULL. */
MDATA_EXPORT void mdata_sync_free(mdata_sync_t *sync);

/*
 * GET key. On success *value (new: free with mdata_free) holds *len
 * bytes plus a NUL not counted in *len. Returns 0 or the callback status
 * codes of mdata_reply_cb; on MDATA_EREMOTE err->text holds the host's
 * message. *value is NULL on failure. err may be NULL.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_get(mdata_sync_t *sync,
                                                  const char *key,
                                                  uint8_t **value, size_t *len,
                                                  mdata_error_t *err);
/* KEYS: *list gets the LF-joined key names (new: free with mdata_free),
 * as mdata_sync_get. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_keys(mdata_sync_t *sync,
                                                   uint8_t **list, size_t *len,
                                                   mdata_error_t *err);
/* PUT key = value (len bytes, copied). */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_put(mdata_sync_t *sync,
                                                  const char *key,
                                                  const void *value, size_t len,
                                                  mdata_error_t *err);
/* DELETE key. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_delete(mdata_sync_t *sync,
                                                     const char *key,
                                                     mdata_error_t *err);
/* The underlying client, for mdata_client_counter / _protocol. Borrowed
 * until mdata_sync_free. */
MDATA_EXPORT mdata_client_t *mdata_sync_client(mdata_sync_t *sync);
/* Open and sync the line now (see mdata_connect). Returns its status. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_connect(mdata_sync_t *sync,
                                                      mdata_error_t *err);
/* The deadline of later calls (see mdata_client_set_timeout_ms). */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_set_timeout_ms(mdata_sync_t *sync,
                                                             uint64_t ms);

/* ------------------------------------------------------------------ */
/* Typed network data: sdc:nics, sdc:routes, sdc:resolvers            */
/* ------------------------------------------------------------------ */

/*
 * Pure parse functions turn the JSON text the host serves (doc/protocol.md
 * §6) into immutable C objects. They do no I/O: tests, fuzzers and
 * bindings call them on any byte buffer. jansson is used inside and never
 * exposed.
 *
 * Common rules for every parse function here:
 *  - the input is json bytes of length len (no NUL needed; a NUL byte
 *    inside is an error); it is only read during the call (copies input);
 *  - on success *out gets a new list, owned by the caller, released with
 *    the matching _free; _dup makes an independent copy;
 *  - on failure *out is set to NULL, nothing is allocated (no partial
 *    objects) and err (when not NULL) gets the code and a text naming the
 *    JSON path of the first problem, e.g.
 *        nics[1].ips[0]: "10.0.0/24" is not an address
 *    err->position is the byte offset for JSON syntax errors, else 0;
 *  - errors: MDATA_EINVAL (json NULL with len > 0, or out NULL),
 *    MDATA_EJSON (not JSON, wrong shape, a malformed address, MAC, ...),
 *    MDATA_ERANGE (a number out of range or an array longer than its bound
 *    below), MDATA_ENOMEM (jansson reports a few of its own allocation
 *    failures as syntax errors: those come out as MDATA_EJSON);
 *  - duplicate object keys are an error; unknown object members are
 *    ignored by the typed getters (nics keep them for mdata_nic_field_json).
 * Objects reached through a list (a nic, a route, an mdata_ip_t) are
 * borrowed from it: valid until the list is freed. Lists are immutable, so
 * one list may be read from several threads at once.
 */

/* Bounds the parsers enforce; a longer array fails with MDATA_ERANGE. */
#define MDATA_NICS_MAX 32             /* nics per VM (SmartOS limit) */
#define MDATA_NIC_IPS_MAX 20          /* entries of a nic's ips (SmartOS) */
#define MDATA_NIC_GATEWAYS_MAX 20     /* entries of a nic's gateways */
#define MDATA_NIC_ARRAY_MAX 64        /* allowed_ips, allowed_dhcp_cids,
                                         blocked_outgoing_ports */
#define MDATA_ROUTES_MAX 256          /* entries of sdc:routes */
#define MDATA_RESOLVERS_MAX 32        /* entries of sdc:resolvers */
/*
 * Bounds on a whole document, checked in one pass before any tree is
 * built, so memory stays proportional to a small input and bounded for a
 * large one (64 MiB of "{}," would otherwise become gigabytes of nodes).
 * A value is each object, array, string, number or literal (members
 * counted with their values); over a bound fails with MDATA_ERANGE.
 */
#define MDATA_NICS_VALUES_MAX 32768     /* JSON values in sdc:nics */
#define MDATA_ROUTES_VALUES_MAX 4096    /* JSON values in sdc:routes */
#define MDATA_RESOLVERS_VALUES_MAX 256  /* JSON values in sdc:resolvers */
#define MDATA_JSON_DEPTH_MAX 32         /* arrays and objects nested */

/* What an mdata_ip_t holds. */
typedef enum mdata_ip_family {
    MDATA_AF_INET = 4,     /* IPv4 address, addr[0..3] */
    MDATA_AF_INET6 = 6,    /* IPv6 address, addr[0..15] */
    MDATA_AF_DHCP = 100,   /* the "dhcp" keyword: DHCPv4, no address */
    MDATA_AF_ADDRCONF = 101 /* the "addrconf" keyword: SLAAC/DHCPv6 */
} mdata_ip_family_t;

/* Room for the longest address/prefix text, NUL included. */
#define MDATA_IP_TEXT_MAX 64

/*
 * One address with its prefix length, or a dhcp/addrconf keyword. A plain
 * value type: copy it freely.
 *  family  MDATA_AF_*.
 *  prefix  0..32 (IPv4) or 0..128 (IPv6); a bare address (no "/len") gets
 *          the full length (32 or 128), so it reads as a host route;
 *          0 for the keywords.
 *  addr    network byte order; IPv4 uses the first 4 bytes; unused bytes
 *          are 0 (all 0 for the keywords).
 *  text    the text as it stood in the document, NUL-terminated (for a nic
 *          normalised from legacy ip/netmask: "<ip>/<prefix>"). Use
 *          mdata_ip_format for the canonical form.
 */
typedef struct mdata_ip {
    int family;
    unsigned int prefix;
    uint8_t addr[16];
    char text[MDATA_IP_TEXT_MAX];
} mdata_ip_t;

/* Flags for mdata_ip_parse. */
enum {
    MDATA_IP_PREFIX_OPTIONAL = 1, /* "addr" or "addr/len" */
    MDATA_IP_PREFIX_REQUIRED = 2, /* only "addr/len" */
    MDATA_IP_KEYWORDS = 4         /* also "dhcp" and "addrconf" */
};

/*
 * Parse one address as the host writes it: IPv4 dotted quad (decimal, no
 * leading zeros), IPv6 (RFC 4291 text, "::" and a trailing dotted quad
 * allowed, any case, no zone id), each optionally followed by "/len"
 * (decimal, no leading zeros) as flags allow. With flags 0 only a bare
 * address is accepted.
 *  [in]  text, len  the text (no NUL needed).
 *  [out] out        (caller's) filled on success; untouched on failure.
 * Returns 0 or MDATA_EINVAL (err->text says why, err->position where).
 * Thread-safe; allocates nothing.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_ip_parse(const char *text, size_t len,
                                                  unsigned flags,
                                                  mdata_ip_t *out,
                                                  mdata_error_t *err);

/*
 * Write ip in canonical text (IPv4 dotted quad; IPv6 as RFC 5952: lower
 * case, the longest run of two or more zero groups as "::"; the keywords
 * as "dhcp"/"addrconf"), followed by "/<prefix>" when with_prefix is
 * non-zero and ip is an address. Writes at most cap bytes including the
 * NUL into buf (caller's; may be NULL when cap is 0). Returns the length
 * the full text needs without the NUL (snprintf style), or MDATA_EINVAL
 * for an unknown family. MDATA_IP_TEXT_MAX always suffices.
 */
MDATA_EXPORT int mdata_ip_format(const mdata_ip_t *ip, int with_prefix,
                                 char *buf, size_t cap);

/* 1 when a and b have the same family, address bytes and prefix, else 0. */
MDATA_EXPORT int mdata_ip_equal(const mdata_ip_t *a, const mdata_ip_t *b);

/* --- sdc:nics ------------------------------------------------------- */

typedef struct mdata_nic_list mdata_nic_list_t;
typedef struct mdata_nic mdata_nic_t;

/*
 * Parse the value of sdc:nics (a JSON array of nic objects,
 * doc/protocol.md §6.1).
 * Per nic: "mac" is required, every other field is optional; fields that
 * are present must have the documented type and syntax:
 *  interface, nic_tag, model, allowed_dhcp_cids[]: strings;
 *  mac: six 1-2 digit hex groups separated by ':' (any case);
 *  vlan_id 0..4095; mtu 68..65535; vrrp_vrid 0..255; ports 0..65535
 *  (integers); primary, allow_*, dhcp_server: booleans;
 *  network_uuid: a UUID (8-4-4-4-12 hex digits);
 *  ips[]: "addr/len", "dhcp" or "addrconf"; gateways[], allowed_ips[],
 *  vrrp_primary_ip: addresses (allowed_ips may carry "/len").
 * Legacy shapes are normalised so a consumer sees one form:
 *  - no "ips": "ip" + "netmask" become one address with its prefix
 *    ("ip":"dhcp" becomes one MDATA_AF_DHCP entry; an "ip" address
 *    without "netmask", or a non-contiguous netmask, is an error);
 *  - no "gateways": "gateway" becomes a one-entry gateway list.
 * When "ips" / "gateways" are present the legacy fields are not read (they
 * stay reachable through mdata_nic_field_json).
 * Bounds: MDATA_NICS_MAX nics, MDATA_NIC_IPS_MAX ips, MDATA_NIC_GATEWAYS_MAX
 * gateways, MDATA_NIC_ARRAY_MAX for the anti-spoof arrays.
 * Ownership: *out is new (caller frees with mdata_nic_list_free).
 * Returns 0 or a negative code (see the common rules above).
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_nics_parse(const void *json,
                                                    size_t len,
                                                    mdata_nic_list_t **out,
                                                    mdata_error_t *err);

/* Free a nic list and every object borrowed from it. Accepts NULL. */
MDATA_EXPORT void mdata_nic_list_free(mdata_nic_list_t *list);
/* Independent copy of list. *out is new. Errors: MDATA_EINVAL, MDATA_ENOMEM. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_nic_list_dup(
    const mdata_nic_list_t *list, mdata_nic_list_t **out);
/* Number of nics; 0 for NULL. */
MDATA_EXPORT size_t mdata_nic_list_count(const mdata_nic_list_t *list);
/* The i-th nic in document order (borrowed), NULL when i >= count. */
MDATA_EXPORT const mdata_nic_t *mdata_nic_list_at(const mdata_nic_list_t *list,
                                                  size_t i);
/* The first nic with "primary": true (borrowed), or NULL. */
MDATA_EXPORT const mdata_nic_t *mdata_nic_list_primary(
    const mdata_nic_list_t *list);
/* The first nic whose MAC equals mac (borrowed), or NULL. */
MDATA_EXPORT const mdata_nic_t *mdata_nic_list_find_mac(
    const mdata_nic_list_t *list, const uint8_t mac[6]);
/* The first nic whose "interface" equals name (borrowed), or NULL. */
MDATA_EXPORT const mdata_nic_t *mdata_nic_list_find_interface(
    const mdata_nic_list_t *list, const char *name);
/*
 * The first nic that has addr among its ips (same family and address
 * bytes; prefix ignored), or NULL (borrowed). This resolves a link-local
 * route of sdc:routes, whose gateway is one of the VM's own addresses, to
 * the nic it goes out of.
 */
MDATA_EXPORT const mdata_nic_t *mdata_nic_list_find_address(
    const mdata_nic_list_t *list, const mdata_ip_t *addr);

/* Getters on one nic (nic must not be NULL). Strings are borrowed from the
 * list, NUL-terminated, NULL when the field is absent. */

/* "interface", e.g. "net0". */
MDATA_EXPORT const char *mdata_nic_interface(const mdata_nic_t *nic);
/* "mac" as 6 bytes into out (caller's; always present). */
MDATA_EXPORT void mdata_nic_mac(const mdata_nic_t *nic, uint8_t out[6]);
/* "mac" in canonical text: lower-case "aa:bb:cc:dd:ee:ff" (borrowed from
 * the list, never NULL). */
MDATA_EXPORT const char *mdata_nic_mac_text(const mdata_nic_t *nic);
/* "nic_tag", e.g. "external", "sdc_overlay/16187209". */
MDATA_EXPORT const char *mdata_nic_tag(const mdata_nic_t *nic);
/* "vlan_id" 0..4095; 0 when absent (the host omits it when 0). */
MDATA_EXPORT unsigned int mdata_nic_vlan_id(const mdata_nic_t *nic);
/* 1 when "primary" is true, else 0. */
MDATA_EXPORT int mdata_nic_is_primary(const mdata_nic_t *nic);
/* "mtu"; 0 when absent (the host sends it only when set explicitly). */
MDATA_EXPORT unsigned int mdata_nic_mtu(const mdata_nic_t *nic);
/* "network_uuid" as written. */
MDATA_EXPORT const char *mdata_nic_network_uuid(const mdata_nic_t *nic);
/* "model": "virtio", "e1000", "rtl8139" (HVM only). */
MDATA_EXPORT const char *mdata_nic_model(const mdata_nic_t *nic);

/* Number of addresses (ips, or the normalised legacy ip/netmask). */
MDATA_EXPORT size_t mdata_nic_ip_count(const mdata_nic_t *nic);
/* The i-th address in document order (borrowed), NULL when out of range. */
MDATA_EXPORT const mdata_ip_t *mdata_nic_ip_at(const mdata_nic_t *nic,
                                               size_t i);
/* 1 when the addresses came from legacy ip/netmask (no "ips"), else 0. */
MDATA_EXPORT int mdata_nic_ips_are_legacy(const mdata_nic_t *nic);
/* Number of gateways ("gateways", or the legacy "gateway"). */
MDATA_EXPORT size_t mdata_nic_gateway_count(const mdata_nic_t *nic);
/* The i-th gateway (borrowed; prefix is the full length), NULL past end. */
MDATA_EXPORT const mdata_ip_t *mdata_nic_gateway_at(const mdata_nic_t *nic,
                                                    size_t i);

/* Boolean anti-spoof fields as bits of mdata_nic_flags (absent = 0). */
enum {
    MDATA_NIC_ALLOW_DHCP_SPOOFING = 1 << 0,
    MDATA_NIC_ALLOW_IP_SPOOFING = 1 << 1,
    MDATA_NIC_ALLOW_MAC_SPOOFING = 1 << 2,
    MDATA_NIC_ALLOW_RESTRICTED_TRAFFIC = 1 << 3,
    MDATA_NIC_ALLOW_UNFILTERED_PROMISC = 1 << 4,
    MDATA_NIC_DHCP_SERVER = 1 << 5
};
/* The MDATA_NIC_* bits whose field is true. */
MDATA_EXPORT unsigned int mdata_nic_flags(const mdata_nic_t *nic);
/* "allowed_ips": count and i-th entry (borrowed; NULL past end). */
MDATA_EXPORT size_t mdata_nic_allowed_ip_count(const mdata_nic_t *nic);
MDATA_EXPORT const mdata_ip_t *mdata_nic_allowed_ip_at(const mdata_nic_t *nic,
                                                       size_t i);
/* "allowed_dhcp_cids": count and i-th string (borrowed; NULL past end). */
MDATA_EXPORT size_t mdata_nic_allowed_dhcp_cid_count(const mdata_nic_t *nic);
MDATA_EXPORT const char *mdata_nic_allowed_dhcp_cid_at(const mdata_nic_t *nic,
                                                       size_t i);
/* "blocked_outgoing_ports": count and i-th port (0 past end). */
MDATA_EXPORT size_t mdata_nic_blocked_port_count(const mdata_nic_t *nic);
MDATA_EXPORT unsigned int mdata_nic_blocked_port_at(const mdata_nic_t *nic,
                                                    size_t i);
/* "vrrp_vrid" 0..255, or -1 when absent. */
MDATA_EXPORT int mdata_nic_vrrp_vrid(const mdata_nic_t *nic);
/* "vrrp_primary_ip" (borrowed), or NULL when absent. */
MDATA_EXPORT const mdata_ip_t *mdata_nic_vrrp_primary_ip(
    const mdata_nic_t *nic);

/*
 * Any member of the nic object, known or not, as compact JSON text
 * (re-serialised: `"net0"`, `1500`, `["10.0.0.5/24"]`), borrowed from the
 * list; NULL when the nic has no member of that name. This is how fields
 * this version does not know, and the raw legacy fields, stay reachable.
 */
MDATA_EXPORT const char *mdata_nic_field_json(const mdata_nic_t *nic,
                                              const char *name);
/* Number of members of the nic object, and the i-th member's name in
 * document order (borrowed; NULL past end). */
MDATA_EXPORT size_t mdata_nic_field_count(const mdata_nic_t *nic);
MDATA_EXPORT const char *mdata_nic_field_name_at(const mdata_nic_t *nic,
                                                 size_t i);

/* --- sdc:routes ----------------------------------------------------- */

typedef struct mdata_route_list mdata_route_list_t;
typedef struct mdata_route mdata_route_t;

/*
 * Parse the value of sdc:routes: a JSON array of
 * {"linklocal":bool,"dst":string,"gateway":string} (doc/protocol.md §6.2).
 * "dst" is an address with an optional "/len" (a bare address is a host
 * route, prefix 32 or 128); "gateway" is a bare address; both required.
 * "linklocal" is optional (absent = false). At most MDATA_ROUTES_MAX.
 * Ownership: *out is new (mdata_route_list_free).
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_routes_parse(const void *json,
                                                      size_t len,
                                                      mdata_route_list_t **out,
                                                      mdata_error_t *err);
/* Accepts NULL. */
MDATA_EXPORT void mdata_route_list_free(mdata_route_list_t *list);
/* Independent copy; *out is new. Errors: MDATA_EINVAL, MDATA_ENOMEM. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_route_list_dup(
    const mdata_route_list_t *list, mdata_route_list_t **out);
/* Number of routes; 0 for NULL. */
MDATA_EXPORT size_t mdata_route_list_count(const mdata_route_list_t *list);
/* The i-th route in document order (borrowed), NULL past end. */
MDATA_EXPORT const mdata_route_t *mdata_route_list_at(
    const mdata_route_list_t *list, size_t i);
/* Destination with its prefix (borrowed from the list). */
MDATA_EXPORT const mdata_ip_t *mdata_route_dst(const mdata_route_t *route);
/* Gateway (borrowed). For a link-local route it is one of the VM's own
 * addresses: see mdata_nic_list_find_address. */
MDATA_EXPORT const mdata_ip_t *mdata_route_gateway(const mdata_route_t *route);
/* 1 for a link-local (interface) route, else 0. */
MDATA_EXPORT int mdata_route_is_linklocal(const mdata_route_t *route);

/* --- sdc:resolvers -------------------------------------------------- */

typedef struct mdata_resolver_list mdata_resolver_list_t;

/*
 * Parse the value of sdc:resolvers: a JSON array of IPv4 or IPv6 addresses
 * as strings ("/len" is an error). At most MDATA_RESOLVERS_MAX.
 * Each entry keeps its original text in mdata_ip_t.text.
 * Ownership: *out is new (mdata_resolver_list_free).
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_resolvers_parse(
    const void *json, size_t len, mdata_resolver_list_t **out,
    mdata_error_t *err);
/* Accepts NULL. */
MDATA_EXPORT void mdata_resolver_list_free(mdata_resolver_list_t *list);
/* Independent copy; *out is new. Errors: MDATA_EINVAL, MDATA_ENOMEM. */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_resolver_list_dup(
    const mdata_resolver_list_t *list, mdata_resolver_list_t **out);
/* Number of resolvers; 0 for NULL. */
MDATA_EXPORT size_t mdata_resolver_list_count(
    const mdata_resolver_list_t *list);
/* The i-th resolver (borrowed), NULL past end. */
MDATA_EXPORT const mdata_ip_t *mdata_resolver_list_at(
    const mdata_resolver_list_t *list, size_t i);

/* --- Getters: fetch and parse in one call --------------------------- */

/*
 * These fetch a key with the client (mdata_get / mdata_sync_get) and parse
 * its value with the functions above:
 *      sdc:nics -> mdata_nics_parse      sdc:routes    -> mdata_routes_parse
 *      sdc:resolvers -> mdata_resolvers_parse
 *      sdc:hostname, sdc:dns_domain -> a NUL-terminated string
 * Outcomes (async status, blocking return value):
 *  - 0 with the parsed result;
 *  - for hostname and dns_domain, a NOTFOUND answer is the normal "absent"
 *    answer: status 0 with a NULL string (HVM VMs often have no
 *    dns_domain); for the lists, NOTFOUND (the VM object has no such
 *    property) stays MDATA_ENOTFOUND, as a missing sdc:nics is a real
 *    problem for a network agent;
 *  - MDATA_EJSON / MDATA_ERANGE when the value does not parse, with the
 *    parser's message naming the JSON path (nics[1].ips[0]: ...);
 *  - MDATA_EPROTO when a hostname or dns_domain holds a NUL byte;
 *  - any status of mdata_reply_cb (MDATA_ETIMEDOUT, MDATA_EREMOTE with the
 *    host's message, MDATA_ECANCELED, ...).
 */

/*
 * Async callbacks. result is borrowed until the callback returns (use the
 * list's _dup to keep it) and NULL exactly when status != 0 (and for an
 * absent hostname / dns_domain with status 0). err is NULL when status is
 * 0, else borrowed detail of the failure: err->code == status and err->text
 * is the parser's path message (MDATA_EJSON, MDATA_ERANGE), the host's
 * message (MDATA_EREMOTE) or mdata_strerror(status). Unlike mdata_reply_cb
 * there is no reply object, so the detail comes as this one extra argument
 * before userdata. The callback contract of mdata_reply_cb holds: exactly
 * once when the submit returned 0, never inside the submit call, closing
 * the client or submitting from inside it is allowed.
 */
typedef void (*mdata_nics_cb)(mdata_client_t *client, int status,
                              const mdata_nic_list_t *nics,
                              const mdata_error_t *err, void *userdata);
typedef void (*mdata_routes_cb)(mdata_client_t *client, int status,
                                const mdata_route_list_t *routes,
                                const mdata_error_t *err, void *userdata);
typedef void (*mdata_resolvers_cb)(mdata_client_t *client, int status,
                                   const mdata_resolver_list_t *resolvers,
                                   const mdata_error_t *err, void *userdata);
/* value: the string, NUL-terminated, or NULL when the host has none. */
typedef void (*mdata_string_cb)(mdata_client_t *client, int status,
                                const char *value, const mdata_error_t *err,
                                void *userdata);

/*
 * Submit a GET of sdc:nics / sdc:routes / sdc:resolvers / sdc:hostname /
 * sdc:dns_domain whose value reaches cb parsed. req_id (may be NULL) gets
 * an id for mdata_client_cancel. Returns 0 or the submit errors of
 * mdata_get (MDATA_EINVAL for a NULL client or cb, MDATA_ECLOSED,
 * MDATA_EBUSY, MDATA_ENOMEM); then cb is never called.
 * Thread: the client's loop thread.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_get_nics(mdata_client_t *client,
                                                  mdata_nics_cb cb,
                                                  void *userdata,
                                                  uint32_t *req_id);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_get_routes(mdata_client_t *client,
                                                    mdata_routes_cb cb,
                                                    void *userdata,
                                                    uint32_t *req_id);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_get_resolvers(
    mdata_client_t *client, mdata_resolvers_cb cb, void *userdata,
    uint32_t *req_id);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_get_hostname(mdata_client_t *client,
                                                      mdata_string_cb cb,
                                                      void *userdata,
                                                      uint32_t *req_id);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_get_dns_domain(
    mdata_client_t *client, mdata_string_cb cb, void *userdata,
    uint32_t *req_id);

/*
 * Blocking forms. On success *out gets a new list (free with the list's
 * _free) or, for hostname / dns_domain, a new NUL-terminated string
 * (free with mdata_free) or NULL when the host has none (NOTFOUND).
 * On failure *out is NULL and err (may be NULL) gets the code and the
 * detail described above (for MDATA_EJSON the JSON path).
 * Returns 0 or a negative code. Errors: MDATA_EINVAL (sync or out NULL),
 * then as above.
 */
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_get_nics(mdata_sync_t *sync,
                                                       mdata_nic_list_t **out,
                                                       mdata_error_t *err);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_get_routes(
    mdata_sync_t *sync, mdata_route_list_t **out, mdata_error_t *err);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_get_resolvers(
    mdata_sync_t *sync, mdata_resolver_list_t **out, mdata_error_t *err);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_get_hostname(mdata_sync_t *sync,
                                                           char **out,
                                                           mdata_error_t *err);
MDATA_EXPORT MDATA_WARN_UNUSED int mdata_sync_get_dns_domain(
    mdata_sync_t *sync, char **out, mdata_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* MDATA_H */
