/* mdata-put KEY [VALUE]: store a metadata value, from argv or stdin. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

struct put_ctx {
    const char *key;
    const uint8_t *value;
    size_t len;
};

static int do_put(mdata_sync_t *sync, void *arg, mdata_error_t *err)
{
    struct put_ctx *p = arg;

    return mdata_sync_put(sync, p->key, p->value, p->len, err);
}

/* All of stdin, NUL bytes and newlines kept as they are. */
static uint8_t *read_stdin(const tool_t *t, size_t *len)
{
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);

    for (;;) {
        ssize_t r;

        if (buf == NULL) {
            tool_err("ERROR: could not read from stdin: %s", strerror(ENOMEM));
            exit(TOOL_EXIT_ERROR);
        }
        r = read(STDIN_FILENO, buf + n, cap - n);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            tool_err("ERROR: could not read from stdin: %s", strerror(errno));
            exit(TOOL_EXIT_ERROR);
        }
        n += (size_t)r;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);

            if (nb == NULL)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    *len = n;
    (void)t;
    return buf;
}

int main(int argc, char **argv)
{
    tool_t t = {.name = "mdata-put",
                .operands = "<keyname> [ <value> ]",
                .summary = "Store a metadata value, given as the second "
                           "operand or on stdin."};
    struct put_ctx p = {0};
    uint8_t *from_stdin = NULL;
    mdata_error_t err;
    int i = tool_parse(&t, argc, argv), rc;

    if (i >= argc)
        tool_usage_exit(&t, NULL);
    p.key = argv[i];
    tool_check_key(&t, p.key);
    if (i + 1 < argc) {
        p.value = (const uint8_t *)argv[i + 1];
        p.len = strlen(argv[i + 1]);
    } else if (isatty(STDIN_FILENO)) {
        tool_err("ERROR: either specify the metadata value as the second "
                 "command-line argument, or pipe content to stdin.");
        return TOOL_EXIT_ERROR;
    } else {
        p.value = from_stdin = read_stdin(&t, &p.len);
    }
    if (p.len == 0) {
        /* The host refuses an empty value with these words; say them
         * without waiting for it. */
        tool_err("Error putting metadata for key '%s': Invalid PUT Request",
                 p.key);
        free(from_stdin);
        return TOOL_EXIT_ERROR;
    }
    rc = tool_run(&t, "PUT", do_put, &p, &err);
    free(from_stdin);
    switch (rc) {
    case 0:
        return TOOL_EXIT_OK;
    case MDATA_ENOTFOUND:
        tool_err("No metadata for '%s'", p.key);
        return TOOL_EXIT_NOTFOUND;
    case MDATA_ENOTSUP:
        tool_err("ERROR: host does not support PUT");
        return TOOL_EXIT_ERROR;
    default:
        tool_err("Error putting metadata for key '%s': %s", p.key, err.text);
        return TOOL_EXIT_ERROR;
    }
}
