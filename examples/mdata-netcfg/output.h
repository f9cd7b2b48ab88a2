/* output.h: where rendered files go. */
#ifndef NC_OUTPUT_H
#define NC_OUTPUT_H

#include <stdio.h>

#include "render.h"

/* Print the files to fp; with more than one file each is preceded by a
 * "### <name>" line. Returns 0 or MDATA_EIO. */
int nc_output_stream(FILE *fp, const nc_files_t *files);

/*
 * Write each file into dir atomically (a temporary file in dir, fsync,
 * rename), leaving a file alone (not even its timestamps) when its content
 * and mode are already right. dir is created (one level) when missing.
 * *changed gets the number of files written. verbose: report each file
 * on stderr. Returns 0 or a negative code with a message in why.
 */
int nc_output_dir(const char *dir, const nc_files_t *files, int verbose,
                  int *changed, char *why, size_t cap);

/*
 * --prune: remove the files of dir named <prefix>*<suffix> that are not in
 * files and whose first line is this tool's header (so only files it wrote
 * itself, for nics that are gone). *removed gets their number. Returns 0
 * or a negative code with a message in why.
 */
int nc_output_prune(const char *dir, const nc_files_t *files,
                    const char *prefix, const char *suffix, int verbose,
                    int *removed, char *why, size_t cap);

/* Read from fd until want bytes, end of file or an error (EINTR retried);
 * returns how many bytes were read. */
size_t nc_read_upto(int fd, void *buf, size_t want);

#endif
