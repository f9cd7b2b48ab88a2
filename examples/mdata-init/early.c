/* early.c: the phase before the network and sshd start (see init.h). */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ifname.h"
#include "input.h"
#include "model.h"
#include "render.h"
#include "script.h"

#define HOSTS_BEGIN "# BEGIN mdata-init: host name from SmartOS metadata " \
                    "(edits inside are lost)"
#define HOSTS_END "# END mdata-init"
#define KEYS_BEGIN "# BEGIN mdata-init: root_authorized_keys from SmartOS " \
                   "metadata (edits inside are lost)"
#define KEYS_END "# END mdata-init"
#define FILE_CAP (1u << 20) /* files mdata-init merges into */

const char *mi_instance_id(mi_ctx_t *c, char *buf, size_t cap)
{
    const char *v = c->meta.val[MI_UUID];
    size_t n = c->meta.len[MI_UUID], i;

    if (v == NULL)
        return NULL;
    mi_trim(&v, &n);
    for (i = 0; i < n; i++)
        if (!(v[i] == '-' || (v[i] >= '0' && v[i] <= '9') ||
              (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z')))
            break;
    if (n == 0 || i < n || n >= cap || n > 64) {
        mi_say("warning: sdc:uuid is not an instance id; ignored");
        return NULL;
    }
    memcpy(buf, v, n);
    buf[n] = '\0';
    return buf;
}

/* Zones: the provisioning marker says metadata was read. */
static void zone_marker(mi_ctx_t *c)
{
    int rc = mi_file_rename(&c->root, "var/svc/provisioning",
                            "var/svc/provision_success");

    if (rc == 1)
        mi_say("zone provisioning marked done (/var/svc/provision_success)");
    else if (rc < 0)
        mi_error(c, "/var/svc/provisioning: %s", strerror(-rc));
}

/* 1 when id differs from the last boot's record, or there is none. */
static int new_instance(mi_ctx_t *c, const char *id)
{
    char *prev = NULL;
    size_t len = 0;
    const char *p;
    int rc, fresh;

    if (id == NULL)
        return 0; /* unknown: never regenerate on a guess */
    rc = mi_file_read(&c->root, MI_STATE_DIR "/instance-id", 4096, &prev,
                      &len);
    if (rc == -ENOENT)
        return 1;
    if (rc != 0) {
        mi_error(c, "/" MI_STATE_DIR "/instance-id: %s", strerror(-rc));
        return 0;
    }
    p = prev;
    mi_trim(&p, &len);
    fresh = !(len == strlen(id) && memcmp(p, id, len) == 0);
    free(prev);
    return fresh;
}

static void write_or_fail(mi_ctx_t *c, const char *rel, const char *data,
                          size_t len, mode_t mode)
{
    int rc = mi_file_write(&c->root, rel, data, len, mode);

    if (rc < 0)
        mi_error(c, "/%s: %s%s", rel, strerror(-rc),
                 rc == -ELOOP ? " (a symlink; refused)" : "");
}

static void step_hostname(mi_ctx_t *c, const char *shortname,
                          const char *fqdn)
{
    char text[MI_FQDN_MAX + 32];
    const char *full = fqdn[0] ? fqdn : shortname;

    if (c->conf.platform == MI_FREEBSD) {
        /* rc.d/hostname loads rc.conf.d/hostname after rc.conf. */
        snprintf(text, sizeof(text), "hostname=\"%s\"\n", full);
        write_or_fail(c, "etc/rc.conf.d/hostname", text, strlen(text),
                      0644);
    } else {
        snprintf(text, sizeof(text), "%s\n", shortname);
        write_or_fail(c, "etc/hostname", text, strlen(text), 0644);
    }
    /* The running system's name, only when working on it. */
    if (strcmp(c->root.dir, "/") == 0 && !c->root.dry_run) {
        const char *name = c->conf.platform == MI_FREEBSD ? full : shortname;

        if (sethostname(name, strlen(name)) != 0)
            mi_error(c, "sethostname %s: %s", name, strerror(errno));
    }
}

static void step_hosts(mi_ctx_t *c, const char *shortname, const char *fqdn)
{
    static const char fresh[] =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    char line[2 * MI_FQDN_MAX + 32];
    char *old = NULL;
    size_t len = 0;
    nc_buf_t out;
    int rc;

    /* FreeBSD's lo0 holds 127.0.0.1 only; Debian names the host on
     * 127.0.1.1 so that 127.0.0.1 stays "localhost". */
    snprintf(line, sizeof(line), "%s\t%s%s%s\n",
             c->conf.platform == MI_FREEBSD ? "127.0.0.1" : "127.0.1.1",
             fqdn[0] ? fqdn : shortname, fqdn[0] ? " " : "",
             fqdn[0] ? shortname : "");
    rc = mi_file_read(&c->root, "etc/hosts", FILE_CAP, &old, &len);
    if (rc == -ENOENT) {
        old = strdup(fresh);
        len = strlen(fresh);
        if (old == NULL)
            rc = -ENOMEM;
        else
            rc = 0;
    }
    if (rc != 0) {
        mi_error(c, "/etc/hosts: %s", strerror(-rc));
        return;
    }
    nc_buf_init(&out);
    if (mi_block_merge(old, len, HOSTS_BEGIN, HOSTS_END, line, &out) != 0)
        mi_error(c, "/etc/hosts: %s", strerror(ENOMEM));
    else
        write_or_fail(c, "etc/hosts", out.data, out.len, 0644);
    nc_buf_free(&out);
    free(old);
}

/* --- network: mdata-netcfg's model and renderers --------------------- */

static const char *network_dir(const char *format)
{
    if (strcmp(format, "networkd") == 0)
        return "etc/systemd/network";
    if (strcmp(format, "netplan") == 0)
        return "etc/netplan";
    if (strcmp(format, "nm") == 0)
        return "etc/NetworkManager/system-connections";
    if (strcmp(format, "ifupdown") == 0)
        return "etc/network";
    return "etc"; /* freebsd: rc.conf.local */
}

/* Remove the files of nics that are gone: named <prefix>*<suffix>, not
 * rendered this time, and headed by mdata-netcfg's header line. */
static void prune(mi_ctx_t *c, const nc_format_t *fmt, const char *dir,
                  const nc_files_t *files)
{
    static const char header[] = "# " NC_HEADER "\n";
    char rel[512];
    struct dirent *de;
    DIR *d;
    int fd;
    size_t i, np, ns;

    if (fmt->own_prefix == NULL)
        return;
    fd = mi_dir_open(&c->root, dir, 0, 0);
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    np = strlen(fmt->own_prefix);
    ns = strlen(fmt->own_suffix);
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        char *data = NULL;
        size_t len = 0;
        int keep = 0;

        if (n <= np + ns || strncmp(de->d_name, fmt->own_prefix, np) != 0 ||
            strcmp(de->d_name + n - ns, fmt->own_suffix) != 0)
            continue;
        for (i = 0; i < files->n; i++)
            if (strcmp(files->file[i].name, de->d_name) == 0)
                keep = 1;
        if (keep)
            continue;
        snprintf(rel, sizeof(rel), "%s/%s", dir, de->d_name);
        if (mi_file_read(&c->root, rel, FILE_CAP, &data, &len) == 0 &&
            len >= sizeof(header) - 1 &&
            memcmp(data, header, sizeof(header) - 1) == 0)
            (void)mi_file_remove(&c->root, rel);
        free(data);
    }
    closedir(d);
}

static void step_network(mi_ctx_t *c, const char *hostname)
{
    static const int map[][2] = {
        {NC_KEY_NICS, MI_NICS},
        {NC_KEY_ROUTES, MI_ROUTES},
        {NC_KEY_RESOLVERS, MI_RESOLVERS},
        {NC_KEY_DNS_DOMAIN, MI_DNS_DOMAIN},
    };
    const nc_format_t *fmt = nc_format_find(mi_conf_network(&c->conf));
    const char *dir = network_dir(mi_conf_network(&c->conf));
    nc_model_t *model = NULL;
    nc_files_t files;
    nc_raw_t raw;
    char why[512], rel[512];
    size_t i;
    int rc = 0;

    if (fmt == NULL)
        return;
    if (c->meta.val[MI_NICS] == NULL) {
        mi_say("no sdc:nics: network files left as they are");
        return;
    }
    nc_raw_init(&raw);
    for (i = 0; i < sizeof(map) / sizeof(map[0]) && rc == 0; i++)
        if (c->meta.val[map[i][1]] != NULL)
            rc = nc_raw_set(&raw, map[i][0], c->meta.val[map[i][1]],
                            c->meta.len[map[i][1]]);
    /* The host name by mdata-init's rule, for the formats that carry it. */
    if (rc == 0 && hostname != NULL)
        rc = nc_raw_set(&raw, NC_KEY_HOSTNAME, hostname, strlen(hostname));
    if (rc == 0)
        rc = nc_model_from_raw(&raw, &model, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "%s", mdata_strerror(rc));
    nc_raw_free(&raw);
    if (rc != 0) {
        mi_error(c, "network: %s; files left as they are", why);
        return;
    }
    if (fmt->needs_ifname && strcmp(c->root.dir, "/") != 0) {
        /* --root: this machine's interfaces are not the image's; kernel
         * names are the SmartOS names (mdata-netcfg's offline rule). */
        rc = nc_model_warn(model, "rendering for --root: interfaces are "
                                  "named by their SmartOS names");
    } else if (fmt->needs_ifname) {
        rc = nc_ifname_resolve(model, NC_SYSFS_NET);
    }
    if (rc != 0) {
        nc_model_free(model);
        mi_error(c, "network: %s", mdata_strerror(rc));
        return;
    }
    for (i = 0; i < model->nwarn; i++)
        mi_say("warning: network: %s", model->warn[i]);
    nc_files_init(&files);
    rc = fmt->render(model, &files);
    if (rc != 0) {
        mi_error(c, "network: rendering %s: %s", fmt->name,
                 mdata_strerror(rc));
    } else {
        for (i = 0; i < files.n; i++) {
            snprintf(rel, sizeof(rel), "%s/%s", dir, files.file[i].name);
            write_or_fail(c, rel, files.file[i].data, files.file[i].len,
                          files.file[i].mode);
        }
        prune(c, fmt, dir, &files);
    }
    nc_files_free(&files);
    nc_model_free(model);
}

/* --- a new instance: SSH host keys and machine-id -------------------- */

/* The image's keys go on a new instance: every clone would share them.
 * New ones are made by the hostkeys phase (mi_hostkeys), which runs
 * alongside the network; sshd is ordered after it. */
static void step_ssh_host_keys(mi_ctx_t *c)
{
    char rel[512];
    struct dirent *de;
    DIR *d;
    int fd = mi_dir_open(&c->root, "etc/ssh", 0, 0);

    if (fd == -ENOENT)
        return; /* no OpenSSH in this image */
    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        mi_error(c, "/etc/ssh: %s", strerror(fd < 0 ? -fd : errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        int rc;

        if (strncmp(de->d_name, "ssh_host_", 9) != 0)
            continue;
        snprintf(rel, sizeof(rel), "etc/ssh/%s", de->d_name);
        rc = mi_file_remove(&c->root, rel);
        if (rc < 0)
            mi_error(c, "/%s: %s", rel, strerror(-rc));
    }
    closedir(d);
}

/* Private host keys in /etc/ssh (ssh_host_*_key), or -errno. */
static int count_host_keys(mi_ctx_t *c)
{
    struct dirent *de;
    DIR *d;
    size_t n;
    int fd = mi_dir_open(&c->root, "etc/ssh", 0, 0), count = 0;

    if (fd < 0)
        return fd;
    if ((d = fdopendir(fd)) == NULL) {
        count = -errno;
        close(fd);
        return count;
    }
    while ((de = readdir(d)) != NULL) {
        n = strlen(de->d_name);
        if (strncmp(de->d_name, "ssh_host_", 9) == 0 && n > 13 &&
            strcmp(de->d_name + n - 4, "_key") == 0)
            count++;
    }
    closedir(d);
    return count;
}

int mi_hostkeys(mi_ctx_t *c)
{
    char *argv[] = {"ssh-keygen", "-A", "-f", (char *)c->root.dir, NULL};
    int under_root = strcmp(c->root.dir, "/") != 0, before, after;

    /* FreeBSD's rc.d/sshd makes missing keys itself before it starts. */
    if (!c->conf.ssh_host_keys || c->conf.platform != MI_LINUX)
        return 0;
    before = count_host_keys(c);
    if (before == -ENOENT)
        return 0; /* no OpenSSH in this image */
    if (before < 0) {
        mi_error(c, "/etc/ssh: %s", strerror(-before));
        return 1;
    }
    if (!under_root)
        argv[2] = NULL;
    if (c->root.dry_run) {
        mi_say("would run ssh-keygen -A%s%s", under_root ? " -f " : "",
               under_root ? c->root.dir : "");
        return 0;
    }
    /* -A makes only the key types that are missing: an ordinary boot,
     * with its keys in place, changes nothing. */
    if (mi_run_program(argv) != 0) {
        mi_error(c, "ssh-keygen -A failed: sshd may have no host keys");
        return 1;
    }
    after = count_host_keys(c);
    if (after > before)
        mi_say("new SSH host keys generated (%d)", after - before);
    return 0;
}

static int is_machine_id(const char *v, size_t n)
{
    size_t i;

    mi_trim(&v, &n);
    if (n != 32)
        return 0;
    for (i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return 0;
    return 1;
}

/*
 * Whether the machine-id was made on this boot for this VM, so it is this
 * instance's already: systemd keeps a new one mounted over an empty
 * /etc/machine-id until systemd-machine-id-commit writes it (a file of
 * another device), and in a VM derives it from the VM's UUID, which on
 * SmartOS is sdc:uuid. Keeping it means the early phase need not wait for
 * the commit (a rename over the mount fails with EBUSY).
 */
static int machine_id_is_this_boots(mi_ctx_t *c, const char *v, size_t n,
                                    const char *id)
{
    struct stat dir, file;
    size_t i, j;
    int fd, rc;

    fd = mi_dir_open(&c->root, "etc", 0, 0);
    if (fd >= 0) {
        rc = fstat(fd, &dir) == 0 &&
             fstatat(fd, "machine-id", &file, AT_SYMLINK_NOFOLLOW) == 0 &&
             file.st_dev != dir.st_dev;
        close(fd);
        if (rc)
            return 1;
    }
    mi_trim(&v, &n);
    for (i = j = 0; id != NULL && id[i] != '\0' && j < n; i++) {
        char h = id[i];
        if (h == '-')
            continue;
        if (h >= 'A' && h <= 'F')
            h = (char)(h - 'A' + 'a');
        if (h != v[j++])
            return 0;
    }
    return id != NULL && id[i] == '\0' && j == n;
}

static void step_machine_id(mi_ctx_t *c, const char *id)
{
    unsigned char rnd[16];
    char text[34];
    char *old = NULL;
    size_t len = 0, i;
    ssize_t n;
    int rc;

    rc = mi_file_read(&c->root, "etc/machine-id", 4096, &old, &len);
    if (rc == -ENOENT)
        return;
    if (rc != 0) {
        mi_error(c, "/etc/machine-id: %s", strerror(-rc));
        return;
    }
    /* Empty or "uninitialized": systemd makes one on this boot itself. */
    if (!is_machine_id(old, len) || machine_id_is_this_boots(c, old, len, id)) {
        free(old);
        return;
    }
    free(old);
    /* A machine-id must be unique, not secret: do not wait for the
     * kernel's randomness to be seeded (a boot without RDRAND may wait
     * seconds, here on the network's path). */
    n = -1;
#ifdef GRND_INSECURE
    n = getrandom(rnd, sizeof(rnd), GRND_INSECURE);
#endif
    if (n != (ssize_t)sizeof(rnd))
        n = getrandom(rnd, sizeof(rnd), 0); /* kernels before 5.6 */
    if (n != (ssize_t)sizeof(rnd)) {
        mi_error(c, "getrandom: %s", strerror(errno));
        return;
    }
    /* A version 4 UUID's bits, as systemd-machine-id-setup makes them. */
    rnd[6] = (rnd[6] & 0x0f) | 0x40;
    rnd[8] = (rnd[8] & 0x3f) | 0x80;
    for (i = 0; i < sizeof(rnd); i++)
        snprintf(text + 2 * i, 3, "%02x", rnd[i]);
    text[32] = '\n';
    text[33] = '\0';
    rc = mi_file_write(&c->root, "etc/machine-id", text, 33, 0444);
    if (rc < 0)
        mi_error(c, "/etc/machine-id: %s", strerror(-rc));
    else if (!c->root.dry_run)
        mi_say("new machine-id");
}

/* --- root's authorized_keys ------------------------------------------ */

static void step_authorized_keys(mi_ctx_t *c)
{
    const char *rel = "root/.ssh/authorized_keys";
    nc_buf_t keys, warn, out;
    char *old = NULL;
    size_t len = 0;
    int kept = 0, rc;

    nc_buf_init(&keys);
    nc_buf_init(&warn);
    nc_buf_init(&out);
    if (c->meta.val[MI_AUTH_KEYS] != NULL) {
        kept = mi_filter_keys(c->meta.val[MI_AUTH_KEYS],
                              c->meta.len[MI_AUTH_KEYS], &keys, &warn);
        mi_warnings(&warn);
    }
    if (kept < 0) {
        mi_error(c, "authorized_keys: %s", strerror(ENOMEM));
        goto done;
    }
    rc = mi_file_read(&c->root, rel, FILE_CAP, &old, &len);
    if (rc == -ENOENT && kept == 0)
        goto done; /* no keys, no file: nothing to say */
    if (rc != 0 && rc != -ENOENT) {
        mi_error(c, "/%s: %s%s", rel, strerror(-rc),
                 rc == -ELOOP ? " (a symlink in the path; refused)" : "");
        goto done;
    }
    rc = mi_dir_ensure(&c->root, "root/.ssh", 0700);
    if (rc != 0) {
        mi_error(c, "/root/.ssh: %s%s", strerror(-rc),
                 rc == -ELOOP ? " (a symlink; refused)" : "");
        goto done;
    }
    if (mi_block_merge(old != NULL ? old : "", len, KEYS_BEGIN, KEYS_END,
                       kept > 0 ? keys.data : NULL, &out) != 0) {
        mi_error(c, "authorized_keys: %s", strerror(ENOMEM));
        goto done;
    }
    write_or_fail(c, rel, out.data != NULL ? out.data : "", out.len, 0600);
done:
    free(old);
    nc_buf_free(&keys);
    nc_buf_free(&warn);
    nc_buf_free(&out);
}

/* --- the phase ------------------------------------------------------- */

static void record(mi_ctx_t *c, const char *name, const char *id)
{
    char rel[128], text[80];

    snprintf(rel, sizeof(rel), MI_STATE_DIR "/%s", name);
    snprintf(text, sizeof(text), "%s\n", id);
    write_or_fail(c, rel, text, strlen(text), 0644);
}

int mi_early(mi_ctx_t *c)
{
    char idbuf[80], shortname[MI_SHORTNAME_MAX], fqdn[MI_FQDN_MAX];
    const char *id = mi_instance_id(c, idbuf, sizeof(idbuf));
    nc_buf_t warn;
    int fresh, chosen = -1, rc;

    zone_marker(c);
    fresh = new_instance(c, id);
    if (id != NULL)
        mi_say("instance %s%s", id, fresh ? " (new instance)" : "");
    else
        mi_say("warning: no sdc:uuid: not a new instance, as a precaution");

    nc_buf_init(&warn);
    chosen = mi_choose_hostname(c->meta.val[MI_HOSTNAME],
                                c->meta.val[MI_SDC_HOSTNAME], id,
                                c->meta.val[MI_DNS_DOMAIN], shortname, fqdn,
                                &warn);
    mi_warnings(&warn);
    nc_buf_free(&warn);
    if (chosen < 0) {
        mi_say("warning: no usable host name; the current one stays");
    } else {
        mi_say("host name %s%s%s", shortname, fqdn[0] ? ", " : "", fqdn);
        if (c->conf.hostname)
            step_hostname(c, shortname, fqdn);
        if (c->conf.hosts)
            step_hosts(c, shortname, fqdn);
    }
    if (strcmp(mi_conf_network(&c->conf), "off") != 0)
        step_network(c, chosen < 0 ? NULL : (fqdn[0] ? fqdn : shortname));
    if (fresh && c->conf.ssh_host_keys)
        step_ssh_host_keys(c);
    if (fresh && c->conf.machine_id && c->conf.platform == MI_LINUX)
        step_machine_id(c, id);
    if (c->conf.authorized_keys)
        step_authorized_keys(c);
    if (c->conf.format_secondary_disk)
        mi_step_disk(c);

    /* What was done: the instance these files were made for. */
    if (id != NULL) {
        rc = mi_dir_ensure(&c->root, MI_STATE_DIR, 0700);
        if (rc != 0)
            mi_error(c, "/" MI_STATE_DIR ": %s", strerror(-rc));
        else {
            if (fresh && c->conf.ssh_host_keys)
                record(c, "ssh-host-keys.instance", id);
            if (fresh && c->conf.machine_id && c->conf.platform == MI_LINUX)
                record(c, "machine-id.instance", id);
            record(c, "instance-id", id);
        }
    }
    return c->errors == 0 ? 0 : 1;
}
