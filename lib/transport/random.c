/*
 * The OS's randomness for request ids (the engine takes it through its
 * config and opens nothing itself): getrandom on Linux, /dev/urandom on
 * other Unix systems, rand_s (RtlGenRandom, in every msvcrt) on Windows.
 * Read 16 words at a time, so a request costs a syscall only now and then.
 */
#ifdef _WIN32
#define _CRT_RAND_S /* declares rand_s in stdlib.h */
#include <process.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "transport/transport.h"

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

uint32_t mdata__random_next(void *ctx)
{
    mdata__random_t *r = ctx;

    if (r->left == 0) {
        if (os_random(r->batch, sizeof(r->batch)) < 0) {
            /* No OS randomness: a clock-seeded xorshift still gives ids
             * that differ per attempt, which is what matching needs. */
            static const size_t n = MDATA__ARRAY_SIZE(r->batch);
            uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
                         (uint64_t)(uintptr_t)r ^ r->batch[0];
            size_t i;

            for (i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                r->batch[i] = (uint32_t)(x >> 16);
            }
        }
        r->left = MDATA__ARRAY_SIZE(r->batch);
    }
    return r->batch[--r->left];
}
