/* late.c: the phase after the network is online: user-data, then
 * operator-script, then user-script (see init.h). */
#include "init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

static void step_user_data(mi_ctx_t *c)
{
    const char *rel = "var/db/mdata-user-data";
    int rc;

    /* Customer data, never executed; 0600 as it may hold secrets. An
     * absent key removes the last one so stale data does not linger. */
    if (c->meta.val[MI_USER_DATA] != NULL)
        rc = mi_file_write(&c->root, rel, c->meta.val[MI_USER_DATA],
                           c->meta.len[MI_USER_DATA], 0600);
    else
        rc = mi_file_remove(&c->root, rel);
    if (rc < 0)
        mi_error(c, "/%s: %s%s", rel, strerror(-rc),
                 rc == -ELOOP ? " (a symlink in the path; refused)" : "");
}

/* Store, run and record one script. name: "operator-script" or
 * "user-script". Returns 1 when it ran. */
static int run_one(mi_ctx_t *c, const char *name, int key, int add_shebang)
{
    char rel[128], log_rel[128], status_rel[128], outcome[64], line[80];
    const char *text = c->meta.val[key];
    size_t len = c->meta.len[key];
    mi_script_result_t res;
    nc_buf_t b;
    int rc;

    snprintf(rel, sizeof(rel), MI_STATE_DIR "/%s", name);
    snprintf(log_rel, sizeof(log_rel), MI_STATE_DIR "/%s.log", name);
    snprintf(status_rel, sizeof(status_rel), MI_STATE_DIR "/%s.status",
             name);
    if (text == NULL) {
        rc = mi_file_remove(&c->root, rel);
        if (rc < 0)
            mi_error(c, "/%s: %s", rel, strerror(-rc));
        return 0;
    }
    nc_buf_init(&b);
    if (add_shebang)
        rc = mi_script_text(text, len, &b);
    else {
        nc_buf_add(&b, text, len);
        rc = nc_buf_failed(&b) ? -1 : 0;
    }
    if (rc != 0) {
        nc_buf_free(&b);
        mi_error(c, "%s: %s", name, strerror(ENOMEM));
        return 0;
    }
    rc = mi_file_write(&c->root, rel, b.data, b.len, 0700);
    nc_buf_free(&b);
    if (rc < 0) {
        mi_error(c, "/%s: %s", rel, strerror(-rc));
        return 0;
    }
    if (c->root.dry_run) {
        mi_say("would run %s", name);
        return 1;
    }
    mi_say("running %s (time limit %u s)", name, c->conf.script_timeout);
    rc = mi_script_run(c, rel, log_rel, c->conf.script_timeout, &res);
    if (rc < 0) {
        mi_error(c, "%s could not be started: %s", name, strerror(-rc));
        return 0;
    }
    mi_script_outcome(&res, c->conf.script_timeout, outcome,
                      sizeof(outcome));
    /* A failing script is reported, never fatal to the boot. */
    mi_say("%s finished: %s", name, outcome);
    snprintf(line, sizeof(line), "%s\n", outcome);
    rc = mi_file_write(&c->root, status_rel, line, strlen(line), 0644);
    if (rc < 0)
        mi_error(c, "/%s: %s", status_rel, strerror(-rc));
    return 1;
}

/* 1 when user-script already ran for this instance (user_script = once). */
static int ran_for(mi_ctx_t *c, const char *id)
{
    char *rec = NULL;
    size_t len = 0;
    const char *p;
    int same;

    if (id == NULL ||
        mi_file_read(&c->root, MI_STATE_DIR "/user-script.instance", 4096,
                     &rec, &len) != 0)
        return 0;
    p = rec;
    mi_trim(&p, &len);
    same = len == strlen(id) && memcmp(p, id, len) == 0;
    free(rec);
    return same;
}

int mi_late(mi_ctx_t *c)
{
    char idbuf[80];
    const char *id = mi_instance_id(c, idbuf, sizeof(idbuf));
    int rc;

    rc = mi_dir_ensure(&c->root, MI_STATE_DIR, 0700);
    if (rc != 0) {
        mi_error(c, "/" MI_STATE_DIR ": %s", strerror(-rc));
        return 1;
    }
    if (c->conf.user_data)
        step_user_data(c);
    if (c->conf.operator_script != MI_OFF)
        run_one(c, "operator-script", MI_OPERATOR_SCRIPT, 0);
    if (c->conf.user_script == MI_ONCE && ran_for(c, id)) {
        mi_say("user-script already ran for this instance (user_script = "
               "once)");
    } else if (c->conf.user_script != MI_OFF) {
        /* cloud-init's place for it, linked where it links it (and the
         * link goes with the key). */
        if (c->meta.val[MI_USER_SCRIPT] != NULL)
            rc = mi_symlink(&c->root, "var/db/user-script",
                            "/" MI_STATE_DIR "/user-script");
        else
            rc = mi_symlink_remove(&c->root, "var/db/user-script",
                                   "/" MI_STATE_DIR "/user-script");
        if (rc < 0)
            mi_error(c, "/var/db/user-script: %s", strerror(-rc));
        if (run_one(c, "user-script", MI_USER_SCRIPT, 1) &&
            c->conf.user_script == MI_ONCE && id != NULL) {
            char text[80];

            snprintf(text, sizeof(text), "%s\n", id);
            rc = mi_file_write(&c->root,
                               MI_STATE_DIR "/user-script.instance", text,
                               strlen(text), 0644);
            if (rc < 0)
                mi_error(c, "user-script.instance: %s", strerror(-rc));
        }
    }
    return c->errors == 0 ? 0 : 1;
}
