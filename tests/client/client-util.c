#include <stdlib.h>

#include "client-util.h"

mdata_options_t *test_options(const char *path, uint64_t timeout_ms)
{
    mdata_options_t *o = NULL;

    CU_ASSERT_FATAL(mdata_options_new(&o) == 0);
    CU_ASSERT_FATAL(mdata_options_set_device(o, path) == 0);
    if (timeout_ms > 0)
        CU_ASSERT_FATAL(mdata_options_set_timeout_ms(o, timeout_ms) == 0);
    return o;
}

mdata_sync_t *test_sync(const emu_t *emu, uint64_t timeout_ms)
{
    mdata_options_t *o = test_options(emu->path, timeout_ms);
    mdata_sync_t *s = NULL;
    mdata_error_t err;

    CU_ASSERT_FATAL(mdata_sync_new(o, &s, &err) == 0);
    mdata_options_free(o);
    return s;
}

static void walk_close(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) {
        (*(int *)arg)++;
        uv_close(h, NULL);
    }
}

void test_loop_close(uv_loop_t *loop)
{
    int open_handles = 0;

    /* Anything still open here is a leak: count it, then close it. */
    uv_run(loop, UV_RUN_NOWAIT);
    uv_walk(loop, walk_close, &open_handles);
    CU_ASSERT_EQUAL(open_handles, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL(uv_loop_close(loop), 0);
}
