/*
 * mdata-netcfg: configure a SmartOS/Triton guest's network from metadata.
 *
 *   fetch (fetch.c: the metadata service; input_file.c: --from-file)
 *     -> model (input.c parses with libmdata, model.c normalises)
 *     -> one renderer per format (render_*.c)
 *     -> stdout, or files written atomically (output.c)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "ifname.h"
#include "input.h"
#include "model.h"
#include "output.h"
#include "render.h"

enum { OPT_FROM_FILE = 256, OPT_SYSFS, OPT_PRUNE, OPT_ALSO };

/* --also FORMAT:DIR: more outputs of the same run (one fetch, one model),
 * e.g. the network files and /etc/hostname from one boot-time run. */
#define NC_ALSO_MAX 4
typedef struct also {
    const nc_format_t *fmt;
    const char *dir;
} also_t;

/* Parse "FORMAT:DIR". Returns 0, or -1 with a message on stderr. */
static int parse_also(const char *arg, also_t *out)
{
    const char *colon = strchr(arg, ':');
    char name[32];

    if (colon == NULL || colon == arg || colon[1] == '\0' ||
        (size_t)(colon - arg) >= sizeof(name)) {
        fprintf(stderr, "mdata-netcfg: --also wants FORMAT:DIR, not '%s'\n",
                arg);
        return -1;
    }
    memcpy(name, arg, (size_t)(colon - arg));
    name[colon - arg] = '\0';
    out->fmt = nc_format_find(name);
    out->dir = colon + 1;
    if (out->fmt == NULL) {
        fprintf(stderr, "mdata-netcfg: unknown format '%s' in --also\n",
                name);
        return -1;
    }
    return 0;
}

/* Render one format and write it to dir (stdout when dir is NULL); prune
 * only for the main output. Returns 0, or MDATA_E* with why set. */
static int emit(const nc_model_t *model, const nc_format_t *fmt,
                const char *dir, int prune, int verbose, char *why,
                size_t cap)
{
    nc_files_t files;
    int rc, changed = 0, removed = 0;

    nc_files_init(&files);
    rc = fmt->render(model, &files);
    if (rc != 0) {
        snprintf(why, cap, "rendering %s: %s", fmt->name,
                 mdata_strerror(rc));
    } else if (dir != NULL) {
        rc = nc_output_dir(dir, &files, verbose, &changed, why, cap);
        if (rc == 0 && prune && fmt->own_prefix != NULL)
            rc = nc_output_prune(dir, &files, fmt->own_prefix,
                                 fmt->own_suffix, verbose, &removed, why,
                                 cap);
    } else if (nc_output_stream(stdout, &files) != 0) {
        rc = MDATA_EIO;
        snprintf(why, cap, "writing to stdout failed");
    }
    nc_files_free(&files);
    return rc;
}

/* A message that may quote the host's strings (interface names, the
 * parsers' words), with its control characters shown escaped. */
static void say(const char *what, const char *text)
{
    char buf[1024];

    mdata_text_escape(text, strlen(text), buf, sizeof(buf));
    fprintf(stderr, "mdata-netcfg: %s%s\n", what, buf);
}

static void usage(FILE *fp)
{
    const nc_format_t *f;

    fprintf(fp,
            "usage: mdata-netcfg [-f FORMAT] [-o DIR] [--from-file PATH]\n"
            "                    [--sysfs DIR] [-d DEVICE] [-t SECS] [-q] "
            "[-v]\n"
            "Read sdc:nics, sdc:routes, sdc:resolvers, sdc:hostname and\n"
            "sdc:dns_domain and render the guest's network configuration.\n"
            "  -f, --format FORMAT  output format (default json):\n");
    for (f = nc_formats; f->name != NULL; f++)
        fprintf(fp, "        %-9s %s\n", f->name, f->what);
    fprintf(fp,
            "  -o, --output DIR     write the files into DIR atomically, "
            "leaving\n"
            "                       unchanged files alone (default: "
            "stdout)\n"
            "      --also FORMAT:DIR  also write FORMAT into DIR from the "
            "same\n"
            "                       metadata (repeatable, up to %d)\n"
            "      --prune          with -o and a per-nic format: remove "
            "the files\n"
            "                       this tool wrote for nics that are gone\n"
            "      --from-file PATH saved metadata instead of the service: "
            "a\n"
            "                       directory of files named after the keys, "
            "or\n"
            "                       a JSON object mapping keys to values\n"
            "      --sysfs DIR      where to find interfaces by MAC "
            "(default %s;\n"
            "                       with --from-file: none, SmartOS names)\n"
            "  -d, --device PATH    metadata device or socket (default: "
            "MDATA_DEVICE,\n"
            "                       else auto-detection)\n"
            "  -t, --timeout SECS   total deadline of each request, in seconds\n"
            "  -q, --quiet          do not print warnings\n"
            "  -v, --verbose        report each file written\n"
            "  -h, --help           this text;  -V, --version\n"
            "Exit status: 0 done (warnings included), 1 failure, 2 usage.\n",
            NC_ALSO_MAX, NC_SYSFS_NET);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"from-file", required_argument, NULL, OPT_FROM_FILE},
        {"sysfs", required_argument, NULL, OPT_SYSFS},
        {"prune", no_argument, NULL, OPT_PRUNE},
        {"also", required_argument, NULL, OPT_ALSO},
        {"device", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const nc_format_t *fmt = nc_format_find("json");
    const char *outdir = NULL, *from = NULL, *sysfs = NC_SYSFS_NET;
    nc_fetch_opts_t fo = {NULL, 0};
    nc_model_t *model = NULL;
    also_t also[NC_ALSO_MAX];
    size_t nalso = 0;
    nc_raw_t raw;
    char why[512] = "";
    int c, quiet = 0, verbose = 0, prune = 0, rc, needs_ifname;
    int sysfs_given = 0;
    size_t i;

    while ((c = getopt_long(argc, argv, "f:o:d:t:qvhV", longopts, NULL)) !=
           -1) {
        switch (c) {
        case 'f':
            fmt = nc_format_find(optarg);
            if (fmt == NULL) {
                fprintf(stderr, "mdata-netcfg: unknown format '%s'\n",
                        optarg);
                usage(stderr);
                return 2;
            }
            break;
        case 'o':
            outdir = optarg;
            break;
        case OPT_FROM_FILE:
            from = optarg;
            break;
        case OPT_SYSFS:
            sysfs = optarg;
            sysfs_given = 1;
            break;
        case OPT_PRUNE:
            prune = 1;
            break;
        case OPT_ALSO:
            if (nalso == NC_ALSO_MAX) {
                fprintf(stderr, "mdata-netcfg: at most %d --also\n",
                        NC_ALSO_MAX);
                return 2;
            }
            if (parse_also(optarg, &also[nalso]) != 0)
                return 2;
            nalso++;
            break;
        case 'd':
            fo.device = optarg;
            break;
        case 't':
            if (nc_fetch_parse_timeout(optarg, &fo.timeout_ms) != 0) {
                fprintf(stderr, "mdata-netcfg: bad timeout '%s' (seconds, "
                                "0 < t <= 86400)\n", optarg);
                return 2;
            }
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("mdata-netcfg (libmdata %s)\n", mdata_version_string());
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    nc_raw_init(&raw);
    if (from != NULL)
        rc = nc_raw_from_file(from, &raw, why, sizeof(why));
    else
        rc = nc_raw_fetch(&fo, &raw, why, sizeof(why));
    if (rc == 0)
        rc = nc_model_from_raw(&raw, &model, why, sizeof(why));
    nc_raw_free(&raw);
    if (rc != 0) {
        say("", why);
        return 1;
    }
    needs_ifname = fmt->needs_ifname;
    for (i = 0; i < nalso; i++)
        needs_ifname |= also[i].fmt->needs_ifname;
    rc = 0;
    if (needs_ifname && from != NULL && !sysfs_given) {
        /* Offline (an image pipeline): this machine's interfaces are not
         * the guest's. Kernel names are the SmartOS names, unique and
         * never reserved by construction. */
        rc = nc_model_warn(model, "rendering offline (--from-file without "
                                  "--sysfs): interfaces are named by their "
                                  "SmartOS names");
    } else if (needs_ifname) {
        rc = nc_ifname_resolve(model, sysfs);
    }
    if (rc != 0) {
        if (rc == MDATA_EIO)
            fprintf(stderr, "mdata-netcfg: cannot read --sysfs %s\n", sysfs);
        else
            fprintf(stderr, "mdata-netcfg: %s\n", mdata_strerror(rc));
        nc_model_free(model);
        return 1;
    }
    if (!quiet)
        for (i = 0; i < model->nwarn; i++)
            say("warning: ", model->warn[i]);

    rc = emit(model, fmt, outdir, prune, verbose, why, sizeof(why));
    for (i = 0; i < nalso && rc == 0; i++)
        rc = emit(model, also[i].fmt, also[i].dir, 0, verbose, why,
                  sizeof(why));
    nc_model_free(model);
    if (rc != 0) {
        say("", why);
        return 1;
    }
    return 0;
}
