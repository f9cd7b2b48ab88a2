/* mdata-delete KEY: remove a metadata key. */
#include "tool.h"

static int do_delete(mdata_sync_t *sync, void *arg, mdata_error_t *err)
{
    return mdata_sync_delete(sync, arg, err);
}

int main(int argc, char **argv)
{
    tool_t t = {.name = "mdata-delete",
                .operands = "<keyname>",
                .summary = "Delete a metadata key (a missing key is not an "
                           "error)."};
    mdata_error_t err;
    const char *key;
    int i = tool_parse(&t, argc, argv), rc;

    if (i >= argc)
        tool_usage_exit(&t, NULL);
    key = argv[i];
    tool_check_key(&t, key);
    rc = tool_run(&t, "DELETE", do_delete, (void *)key, &err);
    switch (rc) {
    case 0:
        return TOOL_EXIT_OK;
    case MDATA_ENOTFOUND:
        tool_err("No metadata for '%s'", key);
        return TOOL_EXIT_NOTFOUND;
    case MDATA_ENOTSUP:
        tool_err("ERROR: host does not support DELETE");
        return TOOL_EXIT_ERROR;
    default:
        tool_err("Error deleting metadata key '%s': %s", key, err.text);
        return TOOL_EXIT_ERROR;
    }
}
