/*
 * Codec speed next to memcpy on the same buffer: CRC-32 (mdata_crc32) and
 * strict base64 decoding (mdata_base64_decode) of base64 text, the bytes
 * a GET reply carries. Each figure is the median of REPS timed rounds of
 * at least 50 ms each.
 *
 *   bench-codec SIZE_BYTES REPS
 *
 * Prints "memcpy_MBps=... crc32_MBps=... b64dec_MBps=..." (MB = 10^6
 * bytes of input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdata.h"

static volatile uint32_t sink;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

enum { OP_MEMCPY, OP_CRC, OP_B64 };

static char *src;
static uint8_t *dst;
static size_t size;

static void once(int op)
{
    size_t n;

    switch (op) {
    case OP_MEMCPY:
        memcpy(dst, src, size);
        sink ^= dst[size / 2];
        break;
    case OP_CRC:
        sink ^= mdata_crc32(0, src, size);
        break;
    default:
        if (mdata_base64_decode(src, size, dst, &n, 0, NULL) != 0) {
            fprintf(stderr, "bench-codec: decode failed\n");
            exit(2);
        }
        sink ^= (uint32_t)n;
        break;
    }
}

static double mbps(int op, int reps)
{
    double *r = calloc((size_t)reps, sizeof(*r)), med;
    int i;

    once(op); /* warm the caches and page tables */
    for (i = 0; i < reps; i++) {
        double t0 = now_s(), t;
        long k = 0;

        do {
            once(op);
            k++;
            t = now_s() - t0;
        } while (t < 0.05);
        r[i] = (double)size * (double)k / t / 1e6;
    }
    qsort(r, (size_t)reps, sizeof(*r), cmp_double);
    med = r[reps / 2];
    free(r);
    return med;
}

int main(int argc, char **argv)
{
    size_t raw, i;
    uint8_t *bytes;
    int reps;

    if (argc < 3)
        return 3;
    size = strtoull(argv[1], NULL, 10) / 4 * 4;
    reps = atoi(argv[2]);
    if (size < 4 || reps < 1)
        return 3;
    /* base64 text of pseudo-random bytes */
    raw = size / 4 * 3;
    bytes = malloc(raw);
    src = malloc(size + 1);
    dst = malloc(size);
    if (bytes == NULL || src == NULL || dst == NULL)
        return 2;
    for (i = 0; i < raw; i++)
        bytes[i] = (uint8_t)((i * 2654435761u) >> 13);
    mdata_base64_encode(bytes, raw, src);
    free(bytes);
    printf("memcpy_MBps=%.0f crc32_MBps=%.0f b64dec_MBps=%.0f\n",
           mbps(OP_MEMCPY, reps), mbps(OP_CRC, reps), mbps(OP_B64, reps));
    return 0;
}
