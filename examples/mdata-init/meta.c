/* meta.c: every key mdata-init needs, over one connection or from saved
 * files, then the serial line's base64 markers (see meta.h). */
#include "meta.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "fetch.h"
#include "mdata.h"
#include "output.h"
#include "rules.h"

static const char *const value_keys[MI_VALUE_KEYS] = {
    "sdc:uuid", "hostname", "sdc:hostname", "sdc:dns_domain",
    "root_authorized_keys", "user-script", "sdc:operator-script",
    "user-data", "sdc:nics", "sdc:routes", "sdc:resolvers",
};

/* "b64-" + key for the markers, built once. */
static char b64_names[MI_VALUE_KEYS][40];

const char *mi_key_name(int key)
{
    if (key >= 0 && key < MI_VALUE_KEYS)
        return value_keys[key];
    if (key == MI_BASE64_ALL)
        return "base64_all";
    if (key == MI_BASE64_KEYS)
        return "base64_keys";
    if (key >= MI_B64_FIRST && key < MI_KEY_COUNT) {
        char *n = b64_names[key - MI_B64_FIRST];

        if (n[0] == '\0')
            snprintf(n, sizeof(b64_names[0]), "b64-%s",
                     value_keys[key - MI_B64_FIRST]);
        return n;
    }
    return "?";
}

void mi_meta_init(mi_meta_t *m)
{
    memset(m, 0, sizeof(*m));
    nc_buf_init(&m->warn);
}

void mi_meta_free(mi_meta_t *m)
{
    int k;

    for (k = 0; k < MI_KEY_COUNT; k++)
        free(m->val[k]);
    nc_buf_free(&m->warn);
    memset(m, 0, sizeof(*m));
}

int mi_meta_set(mi_meta_t *m, int key, const void *val, size_t len)
{
    char *p = malloc(len + 1);

    if (p == NULL)
        return MDATA_ENOMEM;
    if (len > 0)
        memcpy(p, val, len);
    p[len] = '\0';
    free(m->val[key]);
    m->val[key] = p;
    m->len[key] = len;
    return 0;
}

/* --- fetch over one connection -------------------------------------- */

static int on_reply(int key, int status, const uint8_t *val, size_t len,
                    void *userdata)
{
    mi_meta_t *m = userdata;

    switch (status) {
    case 0:
        return mi_meta_set(m, key, val, len);
    case MDATA_ENOTFOUND:
        return 0;
    case MDATA_ETOOBIG:
        /* A hostile or mistaken huge value: that key alone is left out. */
        nc_buf_printf(&m->warn, "%s is larger than its bound "
                                "(max_value_size, or the library's for "
                                "names and network keys); ignored\n",
                      mi_key_name(key));
        return 0;
    case MDATA_EREMOTE:
        nc_buf_printf(&m->warn, "%s: the host answered FAILURE; "
                                "taken as absent\n", mi_key_name(key));
        return 0;
    default:
        return status;  /* the first such failure means "no service" */
    }
}

static void on_trace(int direction, const char *line, size_t shown,
                     size_t total, void *userdata)
{
    (void)userdata;
    /* line comes escaped, so shown and total do not compare: the line was
     * cut when it had more bytes than the library shows (as mdata-get -v) */
    fprintf(stderr, "mdata-init: %s %.*s",
            direction == MDATA_TRACE_OUT ? ">" : "<", (int)shown, line);
    if (total > MDATA_TRACE_SHOWN)
        fprintf(stderr, "... (%zu bytes)", total);
    fputc('\n', stderr);
}

static int is_serial(const char *device)
{
    struct stat st;

    return device != NULL && stat(device, &st) == 0 && S_ISCHR(st.st_mode);
}

/* Bounds and tracing on top of the device and deadline nc_fetch_open sets. */
static int configure(mdata_options_t *mo, void *userdata)
{
    const mi_fetch_opts_t *opts = userdata;
    int rc = 0;

    if (opts->max_value != 0)
        rc = mdata_options_set_max_reply(mo, opts->max_value);
    /* Names and markers are short: a hostile host gets 4 KiB for them
     * (the typed keys carry the library's own bounds). */
    if (rc == 0)
        rc = mdata_options_set_key_max_reply(mo, "sdc:uuid", 4096);
    if (rc == 0)
        rc = mdata_options_set_key_max_reply(mo, "hostname", 4096);
    if (rc == 0)
        rc = mdata_options_set_key_max_reply(mo, "base64_all", 4096);
    if (rc == 0)
        rc = mdata_options_set_key_max_reply(mo, "base64_keys", 4096);
    if (rc == 0)
        rc = mdata_options_set_max_inflight(mo, MI_KEY_COUNT);
    if (rc == 0 && opts->verbose)
        rc = mdata_options_set_trace(mo, on_trace, NULL);
    return rc;
}

_Static_assert(MI_KEY_COUNT <= NC_FETCH_KEYS_MAX, "one fetch takes them all");

int mi_meta_fetch(const mi_fetch_opts_t *opts, mi_meta_t *m, char *why,
                  size_t cap)
{
    mdata_client_t *client = NULL;
    uv_loop_t loop;
    int rc = nc_fetch_open(&loop, opts->device, opts->timeout_ms, configure,
                           (void *)opts, &client, why, cap);

    if (rc != 0)
        return rc;
    /* Base64 markers exist for the serial line only (cloud-init's legacy
     * serial client); zones' sockets carry plain values. */
    m->serial = is_serial(mdata_client_device(client));
    rc = nc_fetch_keys(&loop, client, m->serial ? MI_KEY_COUNT : MI_VALUE_KEYS,
                       mi_key_name, on_reply, m, why, cap);
    if (rc != 0)
        return rc;
    return nc_buf_failed(&m->warn) ? MDATA_ENOMEM : 0;
}

/* --- saved files ----------------------------------------------------- */

static int slurp_at(int dirfd, const char *name, size_t max, char **data,
                    size_t *len)
{
    struct stat st;
    char *buf;
    size_t got;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return -EFBIG;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return -ENOMEM;
    }
    got = nc_read_upto(fd, buf, (size_t)st.st_size);
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

static int from_dir(int dfd, size_t max_value, mi_meta_t *m, char *why,
                    size_t cap)
{
    int k, rc;

    for (k = 0; k < MI_KEY_COUNT; k++) {
        char *data = NULL;
        size_t len = 0;

        rc = slurp_at(dfd, mi_key_name(k), max_value, &data, &len);
        if (rc == -ENOENT)
            continue;
        if (rc == -EFBIG) {
            nc_buf_printf(&m->warn, "%s is larger than max_value_size; "
                                    "ignored\n", mi_key_name(k));
            continue;
        }
        if (rc != 0) {
            snprintf(why, cap, "%s: %s", mi_key_name(k), strerror(-rc));
            return MDATA_EIO;
        }
        free(m->val[k]);
        m->val[k] = data;
        m->len[k] = len;
    }
    return 0;
}

static int from_json(const char *text, size_t len, size_t max_value,
                     mi_meta_t *m, char *why, size_t cap)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    int k, rc = 0;

    if (root == NULL || !json_is_object(root)) {
        snprintf(why, cap, "not a JSON object%s%s", root ? "" : ": ",
                 root ? "" : jerr.text);
        json_decref(root);
        return MDATA_EJSON;
    }
    for (k = 0; k < MI_KEY_COUNT && rc == 0; k++) {
        json_t *v = json_object_get(root, mi_key_name(k));
        char *dumped = NULL;
        const char *s;
        size_t n;

        if (v == NULL || json_is_null(v))
            continue;
        if (json_is_string(v)) {
            s = json_string_value(v);
            n = json_string_length(v);
        } else {
            dumped = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                       JSON_ENCODE_ANY);
            if (dumped == NULL) {
                rc = MDATA_ENOMEM;
                break;
            }
            s = dumped;
            n = strlen(dumped);
        }
        if (n > max_value)
            nc_buf_printf(&m->warn, "%s is larger than max_value_size; "
                                    "ignored\n", mi_key_name(k));
        else
            rc = mi_meta_set(m, k, s, n);
        free(dumped);
    }
    json_decref(root);
    if (rc != 0)
        snprintf(why, cap, "%s", mdata_strerror(rc));
    return rc;
}

int mi_meta_from_file(const char *path, size_t max_value, mi_meta_t *m,
                      char *why, size_t cap)
{
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return MDATA_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = from_dir(fd, max_value, m, why, cap);
    } else {
        /* The JSON holds every value: allow for all of them together. */
        close(fd);
        fd = -1;
        rc = slurp_at(AT_FDCWD, path, max_value * MI_KEY_COUNT, &data, &len);
        if (rc != 0) {
            snprintf(why, cap, "%s: %s", path, strerror(-rc));
            return MDATA_EIO;
        }
        rc = from_json(data, len, max_value, m, why, cap);
        free(data);
    }
    if (fd >= 0)
        close(fd);
    /* Saved data holds markers only where it copies a serial host. */
    m->serial = 1;
    return rc;
}

/* --- base64 markers -------------------------------------------------- */

int mi_meta_decode(mi_meta_t *m)
{
    mi_b64_rules_t rules;
    int k;

    if (!m->serial)
        return 0;
    memset(&rules, 0, sizeof(rules));
    rules.all = mi_is_true(m->val[MI_BASE64_ALL], m->len[MI_BASE64_ALL]);
    rules.keys = m->val[MI_BASE64_KEYS];
    rules.keys_len = m->len[MI_BASE64_KEYS];
    for (k = 0; k < MI_VALUE_KEYS; k++) {
        nc_buf_t out;
        int oom = 0;

        if (m->val[k] == NULL ||
            !mi_b64_wanted(&rules, mi_key_name(k), m->val[MI_B64_FIRST + k],
                           m->len[MI_B64_FIRST + k]))
            continue;
        nc_buf_init(&out);
        if (mi_b64_decode(m->val[k], m->len[k], &out, &oom) == 0) {
            size_t n;
            char *text = nc_buf_take(&out, &n);

            if (text == NULL)
                return MDATA_ENOMEM;
            free(m->val[k]);
            m->val[k] = text;
            m->len[k] = n;
        } else if (oom) {
            nc_buf_free(&out);
            return MDATA_ENOMEM;
        } else {
            nc_buf_printf(&m->warn, "%s is marked base64 but does not "
                                    "decode; used as it is\n",
                          mi_key_name(k));
        }
        nc_buf_free(&out);
    }
    return nc_buf_failed(&m->warn) ? MDATA_ENOMEM : 0;
}
