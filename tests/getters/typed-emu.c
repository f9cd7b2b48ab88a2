/* VM.json files for the typed getter tests; see typed-emu.h. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "typed-emu.h"

const char *temu_write_vm(char dir[64], const char *name, const char *text)
{
    static char path[160];
    FILE *f;

    snprintf(dir, 64, "/tmp/mdata-typed-vm-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        return NULL;
    fputs(text, f);
    if (fclose(f) != 0)
        return NULL;
    return path;
}

void temu_remove_vm(const char *dir, const char *name)
{
    char path[160];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    rmdir(dir);
}
