/*
 * mdata-init: make a SmartOS/Triton guest usable on its first boot, and
 * keep it in step with its metadata on every boot, without cloud-init.
 * See init.h for the layers and doc/mdata-init.8 for the rules.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "init.h"
#include "mdata.h"

#define MI_TIMEOUT_DEFAULT_MS 60000

enum { OPT_ROOT = 256, OPT_FROM_FILE };

/* One line to fp with the host's text made safe for a terminal (network
 * warnings quote metadata). */
static void vline(FILE *fp, const char *prefix, const char *fmt, va_list ap)
{
    char text[2048], safe[4096];
    int n = vsnprintf(text, sizeof(text), fmt, ap);

    if (n < 0)
        return;
    mdata_text_escape(text, strlen(text), safe, sizeof(safe));
    fprintf(fp, "mdata-init: %s%s\n", prefix, safe);
}

void mi_say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vline(stdout, "", fmt, ap);
    va_end(ap);
    fflush(stdout);
}

void mi_error(mi_ctx_t *c, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    va_start(ap, fmt);
    vline(stderr, "error: ", fmt, ap);
    va_end(ap);
    c->errors++;
}

void mi_warnings(const nc_buf_t *warn)
{
    const char *p = warn->data, *nl;

    if (p == NULL)
        return;
    while (*p != '\0') {
        nl = strchr(p, '\n');
        if (nl == NULL)
            nl = p + strlen(p);
        mi_say("warning: %.*s", (int)(nl - p), p);
        p = *nl ? nl + 1 : nl;
    }
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: mdata-init early|hostkeys|growroot|late|all [--root DIR]\n"
            "                  [--from-file PATH] [-d DEVICE] [-t SECS] "
            "[-n] [-v]\n"
            "Set up a SmartOS/Triton guest from its metadata.\n"
            "  early     instance, host name, /etc/hosts, network files; "
            "on a new\n"
            "            instance the image's SSH host keys removed and a "
            "new\n"
            "            machine-id; root's authorized_keys\n"
            "  hostkeys  SSH host keys of the missing types (ssh-keygen "
            "-A); reads\n"
            "            no metadata\n"
            "  growroot  the root partition and its ext4 file system grown "
            "to the\n"
            "            disk's end when the disk is larger; reads no "
            "metadata\n"
            "  late      /var/db/mdata-user-data, operator-script, "
            "user-script\n"
            "  all       the three, on one read of the metadata\n"
            "      --root DIR       work on the image root DIR (default /)\n"
            "      --from-file PATH saved metadata instead of the service: "
            "a\n"
            "                       directory of files named after the keys, "
            "or\n"
            "                       a JSON object mapping keys to values\n"
            "  -d, --device PATH    metadata device or socket (default: "
            "MDATA_DEVICE,\n"
            "                       else auto-detection)\n"
            "  -t, --timeout SECS   deadline for reading all keys (default "
            "60)\n"
            "  -n, --dry-run        print every change instead of making "
            "it\n"
            "  -v, --verbose        report every file, trace the exchange\n"
            "  -h, --help           this text;  -V, --version\n"
            "Settings: /etc/mdata-init.conf under the root "
            "(mdata-init(8)).\n"
            "Exit status: 0 done, 1 a step failed or no metadata, 2 "
            "usage.\n");
}

static void read_conf(mi_ctx_t *c)
{
    nc_buf_t warn;
    char *text = NULL;
    size_t len = 0;
    int rc;

    mi_conf_defaults(&c->conf);
    rc = mi_file_read(&c->root, MI_CONF_PATH, 65536, &text, &len);
    if (rc == -ENOENT)
        return;
    if (rc != 0) {
        mi_say("warning: /" MI_CONF_PATH ": %s; defaults used",
               strerror(-rc));
        return;
    }
    nc_buf_init(&warn);
    mi_conf_parse(&c->conf, text, len, &warn);
    mi_warnings(&warn);
    nc_buf_free(&warn);
    free(text);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"from-file", required_argument, NULL, OPT_FROM_FILE},
        {"device", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'n'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    mi_fetch_opts_t fo = {NULL, MI_TIMEOUT_DEFAULT_MS, 0, 0};
    const char *root = "/", *from = NULL, *phase;
    int c, dry_run = 0, verbose = 0, early, hostkeys, late, growroot, rc;
    char why[512] = "";
    mi_ctx_t ctx;

    while ((c = getopt_long(argc, argv, "d:t:nvhV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            root = optarg;
            break;
        case OPT_FROM_FILE:
            from = optarg;
            break;
        case 'd':
            fo.device = optarg;
            break;
        case 't':
            if (nc_fetch_parse_timeout(optarg, &fo.timeout_ms) != 0) {
                fprintf(stderr, "mdata-init: bad timeout '%s' (seconds, "
                                "0 < t <= 86400)\n", optarg);
                return 2;
            }
            break;
        case 'n':
            dry_run = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("mdata-init (libmdata %s)\n", mdata_version_string());
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    phase = argv[optind];
    early = strcmp(phase, "early") == 0 || strcmp(phase, "all") == 0;
    hostkeys = strcmp(phase, "hostkeys") == 0 || strcmp(phase, "all") == 0;
    late = strcmp(phase, "late") == 0 || strcmp(phase, "all") == 0;
    /* Not part of "all": that works on an image's root (--root), and
     * growroot only on the running system's. */
    growroot = strcmp(phase, "growroot") == 0;
    if (!early && !hostkeys && !late && !growroot) {
        fprintf(stderr, "mdata-init: unknown phase '%s'\n", phase);
        usage(stderr);
        return 2;
    }

    /* A console or journal that went away must not kill the boot's
     * scripts' supervisor; scripts get SIGPIPE back (script.c). */
    signal(SIGPIPE, SIG_IGN);
    memset(&ctx, 0, sizeof(ctx));
    mi_meta_init(&ctx.meta);
    rc = mi_root_open(&ctx.root, root, dry_run, verbose);
    if (rc != 0) {
        fprintf(stderr, "mdata-init: --root %s: %s\n", root, strerror(-rc));
        mi_meta_free(&ctx.meta);
        return 1;
    }
    read_conf(&ctx);
    if (growroot) {
        rc = mi_growroot(&ctx);
        mi_root_close(&ctx.root);
        mi_meta_free(&ctx.meta);
        return rc;
    }
    if (hostkeys && !early) {
        /* The early phase decided already; the keys need no metadata. */
        rc = mi_hostkeys(&ctx);
        mi_root_close(&ctx.root);
        mi_meta_free(&ctx.meta);
        return rc;
    }
    fo.max_value = ctx.conf.max_value;
    fo.verbose = verbose;

    if (from != NULL)
        rc = mi_meta_from_file(from, ctx.conf.max_value, &ctx.meta, why,
                               sizeof(why));
    else
        rc = mi_meta_fetch(&fo, &ctx.meta, why, sizeof(why));
    if (rc == 0)
        rc = mi_meta_decode(&ctx.meta);
    if (rc != 0) {
        /* No metadata: change nothing, so the last boot's files stay. */
        fflush(stdout);
        fprintf(stderr, "mdata-init: no metadata (%s); %s\n",
                why[0] ? why : mdata_strerror(rc),
                early ? "the previous boot's configuration stays in place"
                      : "no script run");
        mi_meta_free(&ctx.meta);
        mi_root_close(&ctx.root);
        return 1;
    }
    mi_warnings(&ctx.meta.warn);

    rc = 0;
    if (early && mi_early(&ctx) != 0)
        rc = 1;
    if (hostkeys && mi_hostkeys(&ctx) != 0)
        rc = 1;
    if (late && mi_late(&ctx) != 0)
        rc = 1;
    mi_meta_free(&ctx.meta);
    mi_root_close(&ctx.root);
    return rc;
}
