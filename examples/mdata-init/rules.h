/*
 * rules.h: the decisions of mdata-init as pure functions of the metadata
 * and of file contents, with no I/O, so each rule is tested on its own
 * (tests/init/test-rules.c). The steps (early.c, late.c) apply them.
 */
#ifndef MI_RULES_H
#define MI_RULES_H

#include <stddef.h>

#include "buf.h"

/* The longest host name mdata-init sets: one DNS label (sethostname(2)
 * takes 64 bytes on Linux; a label is at most 63). */
#define MI_SHORTNAME_MAX 64
#define MI_FQDN_MAX 254

/* "true", "1", "on", "yes" in any case, surrounding white space ignored
 * (cloud-init's is_true). */
int mi_is_true(const char *text, size_t len);

/*
 * The host name rule: the customer's `hostname` wins over `sdc:hostname`,
 * which wins over the instance uuid. Each candidate is trimmed of white
 * space and used only when it is an RFC 1123 name (letters, digits, '-',
 * dots between labels); a rejected candidate adds a warning to warn.
 * Candidates may be NULL (absent). On success short gets the first label
 * and fqdn the full name when the chosen value holds dots, else
 * short.domain when domain is a valid name, else "" (no FQDN). Returns the
 * index of the winner (0 hostname, 1 sdc:hostname, 2 uuid) or -1 when no
 * candidate is usable.
 */
int mi_choose_hostname(const char *hostname, const char *sdc_hostname,
                       const char *uuid, const char *domain,
                       char short_out[MI_SHORTNAME_MAX],
                       char fqdn_out[MI_FQDN_MAX], nc_buf_t *warn);

/*
 * Managed blocks (root's authorized_keys, /etc/hosts): the lines between a
 * line equal to begin and a line equal to end belong to mdata-init, every
 * other line to the user. The result is old with its first block replaced
 * by begin, content, end (content: whole lines, possibly empty), later
 * blocks and stray begin lines removed, and no block at all when content
 * is NULL. A file without a block gets it appended (after a newline if the
 * file's last line had none). Returns 0 or -1 (out of memory).
 */
int mi_block_merge(const char *old, size_t old_len, const char *begin,
                   const char *end, const char *content, nc_buf_t *out);

/*
 * The accepted lines of root_authorized_keys, one per line into out: a
 * line is kept only when it holds a key type (ssh-*, ecdsa-*, sk-*)
 * followed by a base64 blob whose embedded type names the same type
 * (authorized_keys options and a comment may surround them), and no
 * control character. Blank lines and '#' comments are dropped quietly,
 * every other rejected line adds a warning. Returns the number of keys
 * kept, or -1 when out of memory.
 */
int mi_filter_keys(const char *value, size_t len, nc_buf_t *out,
                   nc_buf_t *warn);

/*
 * A script as it is written to disk: unchanged when it starts with "#!",
 * else with "#!/bin/sh\n" in front (cloud-init adds bash; images without
 * cloud-init are often without bash too). Returns 0 or -1.
 */
int mi_script_text(const char *value, size_t len, nc_buf_t *out);

/* Serial-line base64 markers (cloud-init's legacy serial client). */
typedef struct mi_b64_rules {
    int all;                /* base64_all is true */
    const char *keys;       /* base64_keys: comma list, may be NULL */
    size_t keys_len;
} mi_b64_rules_t;

/*
 * 1 when key's value is to be base64-decoded: key is not exempt (the
 * exemptions cloud-init applies in effect: iptables_disable,
 * motd_sys_info, root_authorized_keys, sdc:datacenter_name, user-script)
 * and either base64_all is true, or b64_marker (the value of b64-<key>,
 * NULL when absent) is true, or key is in base64_keys and b64_marker is not
 * a false value.
 */
int mi_b64_wanted(const mi_b64_rules_t *rules, const char *key,
                  const char *b64_marker, size_t marker_len);

/*
 * Decode a marked value: white space (line breaks of wrapped base64) is
 * ignored, the rest must be strict base64. Returns 0 with the bytes in out,
 * or -1 when the value is not base64 (the caller then keeps it as it is)
 * or memory ran out (*oom set).
 */
int mi_b64_decode(const char *value, size_t len, nc_buf_t *out, int *oom);

/* Trim white space at both ends: *start and *len updated in place. */
void mi_trim(const char **start, size_t *len);

#endif
