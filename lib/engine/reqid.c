/*
 * Request ids: 8 lower-case hex digits of fresh randomness per attempt,
 * never equal to one in flight. Randomness comes from getrandom (or
 * /dev/urandom), read in small batches; a test can supply its own source.
 */
#ifdef _WIN32
#define _CRT_RAND_S /* rand_s: RtlGenRandom through msvcrt */
#include <process.h>
#include <stdlib.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "codec/codec.h"
#include "engine/engine_int.h"

static int os_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t got = 0;

#if defined(__linux__)
    while (got < len) {
        ssize_t n = getrandom(p + got, len - got, GRND_NONBLOCK);

        if (n <= 0)
            break;
        got += (size_t)n;
    }
#endif
#ifdef _WIN32
    while (got < len) {
        unsigned int v;
        size_t k = len - got < sizeof(v) ? len - got : sizeof(v);

        if (rand_s(&v) != 0)
            break;
        memcpy(p + got, &v, k);
        got += k;
    }
#else
    if (got < len) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NONBLOCK);

        if (fd >= 0) {
            while (got < len) {
                ssize_t n = read(fd, p + got, len - got);

                if (n <= 0)
                    break;
                got += (size_t)n;
            }
            close(fd);
        }
    }
#endif
    return got == len ? 0 : -1;
}

static uint32_t next_random(mdata__engine_t *e)
{
    if (e->cfg.random != NULL)
        return e->cfg.random(e->cfg.random_ctx);
    if (e->rnd_left == 0) {
        if (os_random(e->rnd, sizeof(e->rnd)) < 0) {
            /* No OS randomness: a clock-seeded xorshift still gives ids
             * that differ per attempt, which is what matching needs. */
            static const size_t n = MDATA__ARRAY_SIZE(e->rnd);
            uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
                         (uint64_t)(uintptr_t)e ^ e->rnd[0];
            size_t i;

            for (i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                e->rnd[i] = (uint32_t)(x >> 16);
            }
        }
        e->rnd_left = MDATA__ARRAY_SIZE(e->rnd);
    }
    return e->rnd[--e->rnd_left];
}

void mdata__new_reqid(mdata__engine_t *e, char out[9])
{
    mdata__req_t *r;
    int clash;

    do {
        mdata__hex8(next_random(e), out);
        out[8] = '\0';
        clash = 0;
        for (r = e->inflight.head; r != NULL; r = r->next)
            if (memcmp(r->reqid, out, 8) == 0)
                clash = 1;
    } while (clash);
}
