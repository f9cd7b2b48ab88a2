/* mdata-get KEY: print a metadata value (drop-in for the reference tool). */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct get_ctx {
    const char *key;
    uint8_t *value;
    size_t len;
};

static int do_get(mdata_sync_t *sync, void *arg, mdata_error_t *err)
{
    struct get_ctx *g = arg;

    return mdata_sync_get(sync, g->key, &g->value, &g->len, err);
}

int main(int argc, char **argv)
{
    tool_t t = {.name = "mdata-get",
                .operands = "<keyname>",
                .summary = "Print the value of a metadata key."};
    struct get_ctx g = {0};
    mdata_error_t err;
    int i = tool_parse(&t, argc, argv), rc;

    if (i >= argc)
        tool_usage_exit(&t, NULL);
    g.key = argv[i];
    tool_check_key(&t, g.key);
    rc = tool_run(&t, "GET", do_get, &g, &err);
    switch (rc) {
    case 0:
        /* The whole value, NULs included; a LF unless it ends in one. */
        tool_write_stdout(&t, g.value, g.len,
                          g.len == 0 || g.value[g.len - 1] != '\n');
        mdata_free(g.value);
        return TOOL_EXIT_OK;
    case MDATA_ENOTFOUND:
        tool_err("No metadata for '%s'", g.key);
        return TOOL_EXIT_NOTFOUND;
    case MDATA_ENOTSUP:
        tool_err("ERROR: host does not support GET");
        return TOOL_EXIT_ERROR;
    default:
        tool_err("Error getting metadata for key '%s': %s", g.key, err.text);
        return TOOL_EXIT_ERROR;
    }
}
