/* mdata-list: print the names of the metadata keys a guest can list. */
#include "tool.h"

struct list_ctx {
    uint8_t *names;
    size_t len;
};

static int do_keys(mdata_sync_t *sync, void *arg, mdata_error_t *err)
{
    struct list_ctx *l = arg;

    return mdata_sync_keys(sync, &l->names, &l->len, err);
}

int main(int argc, char **argv)
{
    tool_t t = {.name = "mdata-list",
                .operands = "",
                .summary = "List the metadata keys, one per line."};
    struct list_ctx l = {0};
    mdata_error_t err;
    int rc;

    /* Operands are ignored, as by the reference tool. */
    (void)tool_parse(&t, argc, argv);
    rc = tool_run(&t, "KEYS", do_keys, &l, &err);
    switch (rc) {
    case 0:
        /* As is, with a final LF only when there is output without one. */
        tool_write_stdout(&t, l.names, l.len,
                          l.len > 0 && l.names[l.len - 1] != '\n');
        mdata_free(l.names);
        return TOOL_EXIT_OK;
    case MDATA_ENOTFOUND:
        tool_err("No metadata");
        return TOOL_EXIT_NOTFOUND;
    case MDATA_ENOTSUP:
        tool_err("ERROR: host does not support KEYS");
        return TOOL_EXIT_ERROR;
    default:
        tool_err("Error getting metadata: %s", err.text);
        return TOOL_EXIT_ERROR;
    }
}
