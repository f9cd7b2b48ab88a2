#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (f == NULL)
        return NULL;
    do {
        if (n + 4096 + 1 > cap) {
            char *nb;

            cap = cap ? cap * 2 : 8192;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, 4096, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

const char *tu_vector_path(const char *name)
{
    static char path[4096];

    snprintf(path, sizeof(path), "%s/%s", MDATA_VECTORS_DIR, name);
    return path;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint8_t *tu_unescape(const char *text, size_t *len)
{
    size_t n = strlen(text), o = 0, i;
    uint8_t *out = malloc(n + 1);

    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (text[i] != '\\' || i + 1 == n) {
            out[o++] = (uint8_t)text[i];
            continue;
        }
        switch (text[++i]) {
        case 'n':
            out[o++] = '\n';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 'x':
            if (i + 2 < n + 1 && hexval(text[i + 1]) >= 0 &&
                hexval(text[i + 2]) >= 0) {
                out[o++] = (uint8_t)(hexval(text[i + 1]) * 16 +
                                     hexval(text[i + 2]));
                i += 2;
            }
            break;
        default:
            out[o++] = (uint8_t)text[i];
        }
    }
    out[o] = 0;
    *len = o;
    return out;
}

void tu_fill_random(uint8_t *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ull;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x >> 24);
    }
}
