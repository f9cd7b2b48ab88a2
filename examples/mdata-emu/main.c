/*
 * mdata-emu: a byte-exact SmartOS metadata host emulator with fault
 * injection. See doc/mdata-emu.1.
 *
 *   mdata-emu [options] VM.json
 *
 * Exit status: 0 after SIGINT/SIGTERM, 1 when a transport cannot be set
 * up, 2 for bad usage or a VM.json that is not a JSON object.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "transcript.h"
#include "util.h"

static void usage(FILE *f)
{
    fputs(
        "usage: mdata-emu [options] VM.json\n"
        "Serve a VM object (as `vmadm get` prints it) the way the SmartOS\n"
        "metadata agent does, byte for byte.\n"
        "\n"
        "Topologies (at least one, any combination):\n"
        "  --socket PATH         listen on a unix socket (zone)\n"
        "  --pty [--link PATH]   create a pseudo-terminal (VM seen from the\n"
        "                        guest); its path is the first line on stdout\n"
        "  --connect PATH        connect to a qemu -chardev socket,server=on\n"
        "                        (VM seen from the hypervisor)\n"
        "Options:\n"
        "  --save PATH           write the VM here after each PUT/DELETE\n"
        "  --update-delay-ms N   answer PUT/DELETE N ms late (default 0)\n"
        "  --transcript FILE     log every byte in and out, with times\n"
        "  --fault SPEC          inject faults (repeatable; see the man page):\n"
        "                        drop=N corrupt=N junk=N wrongid=N damaged=N\n"
        "                        hostile=N delay=MS slow=MS v1-slow=MS\n"
        "                        bytewise[=MS] v1only ignore-probes=N\n"
        "                        hangup=N gone=N crlf upper-crc\n"
        "  --max-line BYTES      ignore longer request lines (default 1 GiB)\n"
        "  --raw KEY=FILE        answer GET KEY with FILE's bytes, whatever\n"
        "                        the VM holds (a broken or hostile host)\n"
        "  -v, --verbose         log every request and connection\n"
        "  -q, --quiet           log errors only\n"
        "  -V, --version         print the version\n"
        "  -h, --help            this text\n",
        f);
}

static void on_signal(uv_signal_t *s, int signum)
{
    emu_t *emu = s->data;

    emu_log(2, "signal %d: stopping", signum);
    emu->stopping = 1;
    uv_close((uv_handle_t *)&emu->sig_int, NULL);
    uv_close((uv_handle_t *)&emu->sig_term, NULL);
    transport_stop(emu);
}

/* --raw KEY=FILE: read FILE whole into the next slot. */
static int add_raw(host_opts_t *o, const char *spec)
{
    const char *eq = strchr(spec, '=');
    host_raw_t *r = &o->raw[o->nraw];
    FILE *f;
    long size;

    if (eq == NULL || eq == spec || o->nraw == HOST_RAW_MAX) {
        emu_log(0, "--raw needs KEY=FILE (at most %d)", HOST_RAW_MAX);
        return -1;
    }
    f = fopen(eq + 1, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        emu_log(0, "--raw: cannot read %s: %s", eq + 1, strerror(errno));
        if (f != NULL)
            fclose(f);
        return -1;
    }
    r->len = (size_t)size;
    r->value = xmalloc(r->len + 1);
    if (fread(r->value, 1, r->len, f) != r->len) {
        emu_log(0, "--raw: short read of %s", eq + 1);
        fclose(f);
        free(r->value);
        return -1;
    }
    fclose(f);
    r->key = xmalloc((size_t)(eq - spec) + 1);
    memcpy(r->key, spec, (size_t)(eq - spec));
    r->key[eq - spec] = '\0';
    o->nraw++;
    return 0;
}

static void free_raw(host_opts_t *o)
{
    while (o->nraw > 0) {
        o->nraw--;
        free(o->raw[o->nraw].key);
        free(o->raw[o->nraw].value);
    }
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    *out = strtoul(s, &end, 10);
    return *end == '\0' && *out <= max ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"pty", no_argument, NULL, 'p'},
        {"link", required_argument, NULL, 'l'},
        {"connect", required_argument, NULL, 'c'},
        {"save", required_argument, NULL, 'S'},
        {"update-delay-ms", required_argument, NULL, 'u'},
        {"transcript", required_argument, NULL, 't'},
        {"fault", required_argument, NULL, 'f'},
        {"max-line", required_argument, NULL, 'm'},
        {"raw", required_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    emu_t emu;
    char err[512];
    const char *transcript = NULL;
    unsigned long n;
    int opt, rc = 0;

    memset(&emu, 0, sizeof(emu));
    emu.pty_slave = -1;
    emu.gone_master = -1;
    emu.max_line = (size_t)1 << 30;
    while ((opt = getopt_long(argc, argv, "vqhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': emu.socket_path = optarg; break;
        case 'p': emu.pty = 1; break;
        case 'l': emu.link_path = optarg; break;
        case 'c': emu.connect_path = optarg; break;
        case 'S': emu.vm.save_path = optarg; break;
        case 't': transcript = optarg; break;
        case 'v': emu_verbosity++; break;
        case 'q': emu_verbosity = 0; break;
        case 'h': usage(stdout); return 0;
        case 'V':
            printf("mdata-emu (libmdata %s)\n", mdata_version_string());
            return 0;
        case 'u':
            if (parse_uint(optarg, 86400000ul, &n) < 0) {
                emu_log(0, "--update-delay-ms needs milliseconds");
                return 2;
            }
            emu.update_delay_ms = (unsigned)n;
            break;
        case 'm':
            if (parse_uint(optarg, (unsigned long)-1, &n) < 0 || n == 0) {
                emu_log(0, "--max-line needs a positive number of bytes");
                return 2;
            }
            emu.max_line = (size_t)n;
            break;
        case 'r':
            if (add_raw(&emu.hopts, optarg) < 0) {
                free_raw(&emu.hopts);
                return 2;
            }
            break;
        case 'f':
            if (fault_parse(&emu.faults, optarg, err, sizeof(err)) < 0) {
                emu_log(0, "--fault %s: %s", optarg, err);
                return 2;
            }
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (emu.socket_path == NULL && !emu.pty && emu.connect_path == NULL) {
        emu_log(0, "give at least one of --socket, --pty, --connect");
        return 2;
    }
    if (emu.link_path != NULL && !emu.pty) {
        emu_log(0, "--link needs --pty");
        return 2;
    }
    if (vm_load(&emu.vm, argv[optind], err, sizeof(err)) < 0) {
        emu_log(0, "%s", err);
        return 2;
    }
    if (transcript != NULL && transcript_open(transcript) < 0) {
        emu_log(0, "cannot open %s: %s", transcript, strerror(errno));
        vm_free(&emu.vm);
        return 2;
    }
    emu.hopts.v1only = emu.faults.v1only;

    signal(SIGPIPE, SIG_IGN); /* a guest going away is an EPIPE, not death */
    emu.loop = uv_default_loop();
    uv_signal_init(emu.loop, &emu.sig_int);
    uv_signal_init(emu.loop, &emu.sig_term);
    emu.sig_int.data = emu.sig_term.data = &emu;
    uv_signal_start(&emu.sig_int, on_signal, SIGINT);
    uv_signal_start(&emu.sig_term, on_signal, SIGTERM);

    if ((emu.socket_path != NULL && transport_socket_start(&emu) < 0) ||
        (emu.pty && transport_pty_start(&emu) < 0) ||
        (emu.connect_path != NULL && transport_connect_start(&emu) < 0)) {
        rc = 1;
        on_signal(&emu.sig_int, 0);
    }
    uv_run(emu.loop, UV_RUN_DEFAULT);
    uv_loop_close(emu.loop);
    vm_free(&emu.vm);
    free_raw(&emu.hopts);
    transcript_close();
    return rc;
}
