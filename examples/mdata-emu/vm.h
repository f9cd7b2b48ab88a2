/*
 * vm.h: the VM object the emulator serves, and the agent's key routing over
 * it (doc/protocol.md §5): GET, KEYS, the PUT/DELETE refusals and updates,
 * sdc:routes, and saving the object after an update.
 */
#ifndef EMU_VM_H
#define EMU_VM_H

#include <jansson.h>

#include "jsval.h"

typedef struct vm {
    json_t *obj;           /* the VM object as `vmadm get` prints it */
    const char *save_path; /* --save, or NULL */
} vm_t;

/*
 * Load VM.json. On failure returns -1 with a message naming the problem in
 * err (the caller exits 2).
 */
int vm_load(vm_t *vm, const char *path, char *err, size_t errlen);
void vm_free(vm_t *vm);

/* What a lookup produced, before the agent's returnit() renders it. */
typedef enum vm_res_kind {
    VM_RES_JSV,    /* a JS value (jsv): rendered by type (A.5) */
    VM_RES_STRING, /* a string built here (text): SUCCESS */
    VM_RES_ERROR,  /* an Error: FAILURE carrying text */
    VM_RES_CRASH   /* the real agent would throw and die; text says why */
} vm_res_kind_t;

typedef struct vm_result {
    vm_res_kind_t kind;
    jsv_t jsv;
    buf_t text;
} vm_result_t;

void vm_result_clear(vm_result_t *r);

/* GET of an already trimmed, non-empty key. */
void vm_get(vm_t *vm, const char *key, size_t n, vm_result_t *r);
/* KEYS (A.8). */
void vm_keys(vm_t *vm, vm_result_t *r);

/*
 * The synchronous checks of PUT and DELETE on a trimmed, non-empty key:
 * the "sdc" and internal-namespace refusals. Returns 0 when the update may
 * go ahead; else fills r (an error or a crash) and returns -1.
 */
int vm_check_update(vm_t *vm, const char *key, size_t n, vm_result_t *r);

/*
 * Apply a PUT (value_len > 0) or a DELETE / PUT of an empty value (remove)
 * to the store the key belongs to, then save if --save was given. Returns
 * 0, or -1 with err filled (the change is then undone).
 */
int vm_apply_update(vm_t *vm, const char *key, size_t n, const char *value,
                    size_t value_len, char *err, size_t errlen);

#endif
