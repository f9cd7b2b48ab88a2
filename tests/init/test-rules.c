/* test-rules: mdata-init's rules as pure functions (rules.c, conf.c) and
 * its file layer (rootfs.c) on a temporary directory. test_init.py runs
 * the agent end to end against mdata-emu. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "init.h"
#include "meta.h"
#include "rootfs.h"
#include "rules.h"
#include "script.h"
#include "testutil.h"

#define BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIH0JvVn9bY0zvJ8x7c2gQkM9hS3Jc1n0aFh6H2p0Q8tr"
#define ED25519 "ssh-ed25519 " BLOB

static void test_hostname_precedence(void)
{
    char s[MI_SHORTNAME_MAX], f[MI_FQDN_MAX];
    nc_buf_t w;

    nc_buf_init(&w);
    /* Customer hostname first, then sdc:hostname, then the uuid. */
    CU_ASSERT_EQUAL(mi_choose_hostname("web01\n", "sdc01", "abc-1", NULL, s,
                                       f, &w), 0);
    CU_ASSERT_STRING_EQUAL(s, "web01");
    CU_ASSERT_STRING_EQUAL(f, "");
    CU_ASSERT_EQUAL(mi_choose_hostname(NULL, "sdc01", "abc-1", "ex.com", s,
                                       f, &w), 1);
    CU_ASSERT_STRING_EQUAL(s, "sdc01");
    CU_ASSERT_STRING_EQUAL(f, "sdc01.ex.com");
    CU_ASSERT_EQUAL(mi_choose_hostname("  ", NULL, "abc-1", NULL, s, f, &w),
                    2);
    CU_ASSERT_STRING_EQUAL(s, "abc-1");
    CU_ASSERT_EQUAL(w.len, 0); /* empty and absent ones pass quietly */
    /* A dotted name is its own FQDN; the domain is not added. */
    CU_ASSERT_EQUAL(mi_choose_hostname("db.corp.net", NULL, NULL, "ex.com",
                                       s, f, &w), 0);
    CU_ASSERT_STRING_EQUAL(s, "db");
    CU_ASSERT_STRING_EQUAL(f, "db.corp.net");
    CU_ASSERT_EQUAL(mi_choose_hostname(NULL, NULL, NULL, NULL, s, f, &w), -1);
    nc_buf_free(&w);
}

static void test_hostname_hostile(void)
{
    char s[MI_SHORTNAME_MAX], f[MI_FQDN_MAX];
    nc_buf_t w;

    nc_buf_init(&w);
    /* A newline inside, shell text, a too long label: skipped with a
     * warning each, the next candidate wins. */
    CU_ASSERT_EQUAL(mi_choose_hostname("evil\n127.0.0.1 bank", "a;rm -rf",
                                       "uuid-1", "x\ny", s, f, &w), 2);
    CU_ASSERT_STRING_EQUAL(s, "uuid-1");
    CU_ASSERT_STRING_EQUAL(f, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "hostname is not a valid"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "sdc:hostname is not a valid"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "sdc:dns_domain is not a valid"));
    nc_buf_free(&w);
    nc_buf_init(&w);
    {
        char big[80];

        memset(big, 'a', 64);
        big[64] = '\0';
        CU_ASSERT_EQUAL(mi_choose_hostname(big, "-bad", NULL, NULL, s, f,
                                           &w), -1);
    }
    nc_buf_free(&w);
}

static char *merge(const char *old, const char *content)
{
    nc_buf_t out;
    size_t n;

    nc_buf_init(&out);
    CU_ASSERT_FATAL(mi_block_merge(old, strlen(old), "#B", "#E", content,
                                   &out) == 0);
    nc_buf_add(&out, "", 0);
    return nc_buf_take(&out, &n);
}

static void test_block_merge(void)
{
    char *r;

    /* Appended to a file without a block, a newline added if missing. */
    r = merge("user1\nuser2", "k1\n");
    CU_ASSERT_STRING_EQUAL(r, "user1\nuser2\n#B\nk1\n#E\n");
    free(r);
    r = merge("", "k1\n");
    CU_ASSERT_STRING_EQUAL(r, "#B\nk1\n#E\n");
    free(r);
    /* Replaced in place; user lines on both sides untouched. */
    r = merge("u1\n#B\nold\n#E\nu2\n", "new1\nnew2\n");
    CU_ASSERT_STRING_EQUAL(r, "u1\n#B\nnew1\nnew2\n#E\nu2\n");
    free(r);
    /* No content: the block goes, the user's lines stay. */
    r = merge("u1\n#B\nold\n#E\nu2\n", NULL);
    CU_ASSERT_STRING_EQUAL(r, "u1\nu2\n");
    free(r);
    /* A second block is dropped; a stray begin line too, and the lines
     * after it stay the user's. */
    r = merge("#B\na\n#E\nu\n#B\nb\n#E\n", "c\n");
    CU_ASSERT_STRING_EQUAL(r, "#B\nc\n#E\nu\n");
    free(r);
    r = merge("u1\n#B\nu2\n", "k\n");
    CU_ASSERT_STRING_EQUAL(r, "u1\nu2\n#B\nk\n#E\n");
    free(r);
    /* Same input twice: same output (idempotent). */
    r = merge("u1\n#B\nk\n#E\n", "k\n");
    CU_ASSERT_STRING_EQUAL(r, "u1\n#B\nk\n#E\n");
    free(r);
}

static void test_filter_keys(void)
{
    const char *v =
        "# a comment\n"
        "\n" ED25519 " me@host\r\n"
        "no-pty,command=\"echo hi there\" " ED25519 " opts\n"
        "ssh-rsa " BLOB " liar\n"
        "ssh-ed25519 not-base64-at-all!!\n"
        "rm -rf /\n" ED25519 " bell\a\n";
    nc_buf_t out, w;

    nc_buf_init(&out);
    nc_buf_init(&w);
    CU_ASSERT_EQUAL(mi_filter_keys(v, strlen(v), &out, &w), 2);
    CU_ASSERT_STRING_EQUAL(out.data,
                           ED25519 " me@host\n"
                           "no-pty,command=\"echo hi there\" " ED25519
                           " opts\n");
    /* One warning for each rejected line, none for comments/blank. */
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 5 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 6 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 7 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 8 "));
    CU_ASSERT_PTR_NULL(strstr(w.data, "line 1 "));
    nc_buf_free(&out);
    nc_buf_free(&w);
}

static void test_script_text(void)
{
    nc_buf_t b;

    nc_buf_init(&b);
    CU_ASSERT(mi_script_text("echo hi\n", 8, &b) == 0);
    CU_ASSERT_STRING_EQUAL(b.data, "#!/bin/sh\necho hi\n");
    nc_buf_free(&b);
    nc_buf_init(&b);
    CU_ASSERT(mi_script_text("#!/bin/bash\nx\n", 14, &b) == 0);
    CU_ASSERT_STRING_EQUAL(b.data, "#!/bin/bash\nx\n");
    nc_buf_free(&b);
}

static void test_b64_rules(void)
{
    mi_b64_rules_t r = {0, "user-data, sdc:hostname,x", 25};
    mi_b64_rules_t all = {1, NULL, 0};
    mi_b64_rules_t none = {0, NULL, 0};

    CU_ASSERT(mi_is_true(" TRUE\n", 6));
    CU_ASSERT(mi_is_true("yes", 3) && mi_is_true("on", 2) &&
              mi_is_true("1", 1));
    CU_ASSERT(!mi_is_true("false", 5) && !mi_is_true("", 0) &&
              !mi_is_true(NULL, 0));
    CU_ASSERT(mi_b64_wanted(&r, "user-data", NULL, 0));
    CU_ASSERT(mi_b64_wanted(&r, "sdc:hostname", NULL, 0));
    CU_ASSERT(!mi_b64_wanted(&r, "hostname", NULL, 0));
    /* b64-<key> true adds a key, false takes it out of base64_keys. */
    CU_ASSERT(mi_b64_wanted(&none, "hostname", "true", 4));
    CU_ASSERT(!mi_b64_wanted(&r, "user-data", "false", 5));
    /* base64_all: everything but cloud-init's exemptions (sdc:uuid and
     * user-data are not exempt: its list merges the two by mistake). */
    CU_ASSERT(mi_b64_wanted(&all, "sdc:uuid", NULL, 0));
    CU_ASSERT(mi_b64_wanted(&all, "user-data", NULL, 0));
    CU_ASSERT(!mi_b64_wanted(&all, "user-script", NULL, 0));
    CU_ASSERT(!mi_b64_wanted(&all, "root_authorized_keys", NULL, 0));
    CU_ASSERT(!mi_b64_wanted(&all, "root_authorized_keys", "true", 4));
}

static void test_b64_decode(void)
{
    nc_buf_t b;
    int oom;

    nc_buf_init(&b);
    CU_ASSERT(mi_b64_decode("aGVs\nbG8=\n", 10, &b, &oom) == 0);
    CU_ASSERT_EQUAL(b.len, 5);
    CU_ASSERT(memcmp(b.data, "hello", 5) == 0);
    nc_buf_free(&b);
    nc_buf_init(&b);
    CU_ASSERT(mi_b64_decode("web01", 5, &b, &oom) == -1);
    CU_ASSERT_EQUAL(oom, 0);
    CU_ASSERT(mi_b64_decode("", 0, &b, &oom) == -1);
    nc_buf_free(&b);
}

static void test_meta_decode(void)
{
    mi_meta_t m;

    mi_meta_init(&m);
    m.serial = 1;
    CU_ASSERT(mi_meta_set(&m, MI_HOSTNAME, "d2ViMDE=", 8) == 0);
    CU_ASSERT(mi_meta_set(&m, MI_SDC_HOSTNAME, "not base64!", 11) == 0);
    CU_ASSERT(mi_meta_set(&m, MI_USER_SCRIPT, "ZWNobw==", 8) == 0);
    CU_ASSERT(mi_meta_set(&m, MI_BASE64_ALL, "true", 4) == 0);
    CU_ASSERT(mi_meta_decode(&m) == 0);
    CU_ASSERT_STRING_EQUAL(m.val[MI_HOSTNAME], "web01");
    CU_ASSERT_STRING_EQUAL(m.val[MI_SDC_HOSTNAME], "not base64!");
    CU_ASSERT_STRING_EQUAL(m.val[MI_USER_SCRIPT], "ZWNobw==");
    CU_ASSERT_PTR_NOT_NULL(strstr(m.warn.data, "sdc:hostname is marked"));
    mi_meta_free(&m);
    /* Not on the serial line: no decoding at all. */
    mi_meta_init(&m);
    CU_ASSERT(mi_meta_set(&m, MI_HOSTNAME, "d2ViMDE=", 8) == 0);
    CU_ASSERT(mi_meta_set(&m, MI_BASE64_ALL, "true", 4) == 0);
    CU_ASSERT(mi_meta_decode(&m) == 0);
    CU_ASSERT_STRING_EQUAL(m.val[MI_HOSTNAME], "d2ViMDE=");
    CU_ASSERT_STRING_EQUAL(mi_key_name(MI_B64_FIRST + MI_USER_DATA),
                           "b64-user-data");
    mi_meta_free(&m);
}

static void test_conf(void)
{
    const char *t = "# comment\n"
                    "hostname = no\n"
                    "network=netplan   # trailing comment\n"
                    "user_script = once\n"
                    "script_timeout = 5\n"
                    "operator_script = off\n"
                    "bogus = 1\n"
                    "machine_id = maybe\n"
                    "just words\n"
                    "network = json\n";
    mi_conf_t c;
    nc_buf_t w;

    mi_conf_defaults(&c);
    CU_ASSERT(c.hostname && c.hosts && c.ssh_host_keys && c.machine_id &&
              c.authorized_keys && c.user_data);
    CU_ASSERT_EQUAL(c.user_script, MI_EVERY_BOOT);
    nc_buf_init(&w);
    mi_conf_parse(&c, t, strlen(t), &w);
    CU_ASSERT_EQUAL(c.hostname, 0);
    CU_ASSERT_STRING_EQUAL(mi_conf_network(&c), "netplan"); /* json: no */
    CU_ASSERT_EQUAL(c.user_script, MI_ONCE);
    CU_ASSERT_EQUAL(c.script_timeout, 5);
    CU_ASSERT_EQUAL(c.operator_script, MI_OFF);
    CU_ASSERT_EQUAL(c.machine_id, 1);
    CU_ASSERT_EQUAL(c.format_secondary_disk, 0);
    CU_ASSERT_STRING_EQUAL(c.secondary_mount, "/data");
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 7: unknown setting 'bogus'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 8: bad value"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 9: not"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 10: bad value"));
    nc_buf_free(&w);
    nc_buf_init(&w);
    mi_conf_parse(&c, "network = off\n", 14, &w);
    CU_ASSERT_STRING_EQUAL(mi_conf_network(&c), "off");
    CU_ASSERT_EQUAL(w.len, 0);
    mi_conf_parse(&c, "network = yes\nplatform = freebsd\n", 33, &w);
    CU_ASSERT_EQUAL(w.len, 0);
    /* Mount points and devices: absolute, no climbing, no blanks. */
    {
        const char *d = "secondary_mount = /srv/../etc\n"
                        "secondary_mount = srv\n"
                        "secondary_disk = /dev/vdc\n"
                        "secondary_mount = /srv/data\n";

        mi_conf_parse(&c, d, strlen(d), &w);
        CU_ASSERT_STRING_EQUAL(c.secondary_mount, "/srv/data");
        CU_ASSERT_STRING_EQUAL(c.secondary_disk, "/dev/vdc");
        CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 1: bad value"));
        CU_ASSERT_PTR_NOT_NULL(strstr(w.data, "line 2: bad value"));
    }
    CU_ASSERT_STRING_EQUAL(mi_conf_network(&c), "freebsd");
    nc_buf_free(&w);
}

/* --- rootfs on a temporary directory --------------------------------- */

static char tmpdir[64];

static void sh(const char *cmd)
{
    CU_ASSERT_FATAL(system(cmd) == 0);
}

static void test_rootfs_write(void)
{
    mi_root_t r;
    struct stat st1, st2;
    char path[512], *data;
    size_t len;

    strcpy(tmpdir, "/tmp/mi-rules-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
    CU_ASSERT_FATAL(mi_root_open(&r, tmpdir, 0, 0) == 0);
    CU_ASSERT_EQUAL(mi_file_write(&r, "etc/a/b", "x\n", 2, 0640),
                    MI_WRITTEN);
    snprintf(path, sizeof(path), "%s/etc/a/b", tmpdir);
    CU_ASSERT_FATAL(stat(path, &st1) == 0);
    CU_ASSERT_EQUAL(st1.st_mode & 07777, 0640);
    /* Same content and mode: not touched (mtime kept). */
    sleep(1);
    CU_ASSERT_EQUAL(mi_file_write(&r, "etc/a/b", "x\n", 2, 0640),
                    MI_UNCHANGED);
    CU_ASSERT_FATAL(stat(path, &st2) == 0);
    CU_ASSERT_EQUAL(st1.st_mtime, st2.st_mtime);
    CU_ASSERT_EQUAL(st1.st_ino, st2.st_ino);
    /* A mode change alone is a write. */
    CU_ASSERT_EQUAL(mi_file_write(&r, "etc/a/b", "x\n", 2, 0600),
                    MI_WRITTEN);
    CU_ASSERT(mi_file_read(&r, "etc/a/b", 100, &data, &len) == 0);
    CU_ASSERT(len == 2 && memcmp(data, "x\n", 2) == 0);
    free(data);
    CU_ASSERT_EQUAL(mi_file_read(&r, "etc/a/b", 1, &data, &len), -EFBIG);
    CU_ASSERT_EQUAL(mi_file_read(&r, "etc/none", 1, &data, &len), -ENOENT);
    /* Paths that climb out are refused outright. */
    CU_ASSERT_EQUAL(mi_file_write(&r, "etc/../x", "", 0, 0600), -EINVAL);
    CU_ASSERT_EQUAL(mi_file_write(&r, "/etc/x", "", 0, 0600), -EINVAL);
    /* Dry run: nothing changes. */
    r.dry_run = 1;
    CU_ASSERT_EQUAL(mi_file_write(&r, "etc/a/b", "y\n", 2, 0600),
                    MI_WRITTEN);
    CU_ASSERT_EQUAL(mi_file_write(&r, "new/dir/f", "y\n", 2, 0600),
                    MI_WRITTEN);
    CU_ASSERT(mi_file_read(&r, "etc/a/b", 100, &data, &len) == 0);
    CU_ASSERT(len == 2 && memcmp(data, "x\n", 2) == 0);
    free(data);
    snprintf(path, sizeof(path), "%s/new", tmpdir);
    CU_ASSERT(access(path, F_OK) != 0);
    mi_root_close(&r);
    snprintf(path, sizeof(path), "rm -rf %s", tmpdir);
    sh(path);
}

static void test_rootfs_symlinks(void)
{
    mi_root_t r;
    char path[512], *data;
    size_t len;

    strcpy(tmpdir, "/tmp/mi-rules-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
    /* A symlinked file, a symlinked directory, both pointing outside. */
    snprintf(path, sizeof(path), "cd %s && mkdir -p outside root/root/.ssh "
             "&& ln -s ../../../outside/f root/root/.ssh/authorized_keys "
             "&& ln -s ../outside root/etc && echo keep > outside/hostname",
             tmpdir);
    sh(path);
    snprintf(path, sizeof(path), "%s/root", tmpdir);
    CU_ASSERT_FATAL(mi_root_open(&r, path, 0, 0) == 0);
    CU_ASSERT_EQUAL(mi_file_write(&r, "root/.ssh/authorized_keys", "k\n", 2,
                                  0600), -ELOOP);
    CU_ASSERT_EQUAL(mi_file_read(&r, "root/.ssh/authorized_keys", 100, &data,
                                 &len), -ELOOP);
    CU_ASSERT_EQUAL(mi_file_write(&r, "etc/hostname", "evil\n", 5, 0644),
                    -ELOOP);
    CU_ASSERT_EQUAL(mi_dir_ensure(&r, "etc", 0755), -ELOOP);
    snprintf(path, sizeof(path), "%s/outside/f", tmpdir);
    CU_ASSERT(access(path, F_OK) != 0); /* nothing created outside */
    snprintf(path, sizeof(path), "%s/outside/hostname", tmpdir);
    data = tu_read_file(path, &len);
    CU_ASSERT(data != NULL && strcmp(data, "keep\n") == 0);
    free(data);
    /* A symlink we own is replaced only when it is one. */
    CU_ASSERT_EQUAL(mi_symlink(&r, "var/db/user-script", "/x"), MI_WRITTEN);
    CU_ASSERT_EQUAL(mi_symlink(&r, "var/db/user-script", "/x"),
                    MI_UNCHANGED);
    CU_ASSERT_EQUAL(mi_symlink(&r, "var/db/user-script", "/y"), MI_WRITTEN);
    CU_ASSERT_EQUAL(mi_file_write(&r, "var/db/plain", "p", 1, 0644),
                    MI_WRITTEN);
    CU_ASSERT_EQUAL(mi_symlink(&r, "var/db/plain", "/y"), -EEXIST);
    mi_root_close(&r);
    snprintf(path, sizeof(path), "rm -rf %s", tmpdir);
    sh(path);
}

/* Drop capabilities from this process's effective set (bits of
 * CAP_*), so the kernel checks what their owner could not do. 0 or -1. */
static int drop_caps(unsigned mask)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];

    if (syscall(SYS_capget, &h, d) != 0)
        return -1;
    d[0].effective &= ~mask;
    return (int)syscall(SYS_capset, &h, d);
}

/* Run fn in a child process; its exit status (0 when all went as the
 * test wanted, else a number saying what did not). */
static int in_child(int (*fn)(void *), void *arg)
{
    int status;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0)
        _exit(fn(arg));
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/*
 * The kernel refuses the chown of a directory made for root: as root
 * with another group and without CAP_CHOWN (a group it is not in), or as
 * another user (is_root set as if it were root). mi_file_write's result
 * as the exit status: EPERM wanted.
 */
static int write_refused_chown(void *dir)
{
    mi_root_t r;
    int rc;

    if (geteuid() == 0 &&
        (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
         drop_caps(1u << CAP_CHOWN) != 0))
        return 100;
    if (mi_root_open(&r, dir, 0, 0) != 0)
        return 101;
    r.is_root = 1;
    rc = mi_file_write(&r, "etc/made/hostname", "web01\n", 6, 0644);
    mi_root_close(&r);
    return rc < 0 ? -rc : 102;
}

static void test_rootfs_chown_refused(void)
{
    char path[512];
    struct stat st;

    strcpy(tmpdir, "/tmp/mi-rules-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
    /* an error, and neither the file nor a directory that is not root's
     * is left: the one made is removed again */
    CU_ASSERT_EQUAL(in_child(write_refused_chown, tmpdir), EPERM);
    snprintf(path, sizeof(path), "%s/etc", tmpdir);
    CU_ASSERT(lstat(path, &st) != 0 && errno == ENOENT);
    snprintf(path, sizeof(path), "rm -rf %s", tmpdir);
    sh(path);
}

/*
 * A script's process can enter neither the root directory nor "/": it is
 * not run. Such a process: chrooted into a directory of mode 0 and, though
 * root, without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so no path can
 * be walked (the root directory is reached through mdata-init's open fd,
 * as always). Exit status 0 when mi_script_run said the script's process
 * exited 126 without running it.
 */
static int run_without_a_directory(void *dir)
{
    char jail[512], root[512];
    mi_script_result_t res;
    mi_ctx_t c;

    memset(&c, 0, sizeof(c));
    snprintf(jail, sizeof(jail), "%s/jail", (char *)dir);
    snprintf(root, sizeof(root), "%s/root", (char *)dir);
    if (mi_root_open(&c.root, root, 0, 0) != 0)
        return 100;
    if (chroot(jail) != 0 ||
        drop_caps((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH)) != 0)
        return 101;
    if (mi_script_run(&c, "var/lib/mdata-init/user-script",
                      "var/lib/mdata-init/user-script.log", 30, &res) != 0)
        return 102;
    mi_root_close(&c.root);
    return res.exited && res.code == 126 && !res.timed_out ? 0 : 103;
}

static void test_script_without_a_directory(void)
{
    char path[1024], want[600], *log;
    size_t len;

    if (geteuid() != 0) {
        /* chroot needs root (CI runs as root) */
        fprintf(stderr, "test_script_without_a_directory: not root, "
                        "not run\n");
        return;
    }
    strcpy(tmpdir, "/tmp/mi-rules-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
    snprintf(path, sizeof(path),
             "cd %s && mkdir -m 0 jail && mkdir -p root/var/lib/mdata-init "
             "&& printf '#!/bin/sh\\ntouch %s/ran\\n' > "
             "root/var/lib/mdata-init/user-script && "
             "chmod 755 root/var/lib/mdata-init/user-script",
             tmpdir, tmpdir);
    sh(path);
    CU_ASSERT_EQUAL(in_child(run_without_a_directory, tmpdir), 0);
    snprintf(path, sizeof(path), "%s/ran", tmpdir);
    CU_ASSERT(access(path, F_OK) != 0); /* the script did not run */
    /* why, in the script's log */
    snprintf(path, sizeof(path),
             "%s/root/var/lib/mdata-init/user-script.log", tmpdir);
    log = tu_read_file(path, &len);
    CU_ASSERT_FATAL(log != NULL);
    snprintf(want, sizeof(want),
             "mdata-init: cannot enter %s/root or /: Permission denied\n",
             tmpdir);
    CU_ASSERT_STRING_EQUAL(log, want);
    free(log);
    snprintf(path, sizeof(path), "rm -rf %s", tmpdir);
    sh(path);
}

static CU_TestInfo rules_tests[] = {
    {"test_hostname_precedence", test_hostname_precedence},
    {"test_hostname_hostile", test_hostname_hostile},
    {"test_block_merge", test_block_merge},
    {"test_filter_keys", test_filter_keys},
    {"test_script_text", test_script_text},
    {"test_b64_rules", test_b64_rules},
    {"test_b64_decode", test_b64_decode},
    {"test_meta_decode", test_meta_decode},
    {"test_conf", test_conf},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo rootfs_tests[] = {
    {"test_rootfs_write", test_rootfs_write},
    {"test_rootfs_symlinks", test_rootfs_symlinks},
    {"test_rootfs_chown_refused", test_rootfs_chown_refused},
    {"test_script_without_a_directory", test_script_without_a_directory},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo mdata_test_suites[] = {
    {"init-rules", NULL, NULL, NULL, NULL, rules_tests},
    {"init-rootfs", NULL, NULL, NULL, NULL, rootfs_tests},
    CU_SUITE_INFO_NULL,
};
