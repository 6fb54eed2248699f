/* Opening and reading external tensor data (data_location=EXTERNAL) in a
 * model folder someone else may control. */
#ifndef OBN_EXTERNAL_DATA_H
#define OBN_EXTERNAL_DATA_H

#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tensor.h"

/* Opens `loc` (the tensor's "location" key) inside base_dir for reading.
 * Refused: an empty, absolute or ".."-containing location, no base_dir, a
 * path that resolves (symlinks followed) outside the folder, a file that is
 * not regular. The check is made on the file actually opened: the path is
 * resolved before and again after open(), and the opened file's device and
 * inode must be those of the resolved path, so a symlink swapped in
 * between is caught. On success *fd (caller closes), path (PATH_MAX bytes:
 * the resolved path, for messages) and *sb (the opened file) are set.
 * `what` names the tensor in messages. */
obn_status obn_external_open(const char *base_dir, const char *loc, const char *what, int *fd, char *path,
                             struct stat *sb);

/* Points t's data at `length` bytes at `offset` of fd through a private,
 * copy-on-write mapping, released with the tensor. Done only where it pays
 * and is safe: at least OBN_EXTERNAL_MAP_MIN bytes whose address lands
 * 64-byte aligned (the kernels' vector loads), in a file owned by the
 * process's user and writable by no group or other user (so nobody else
 * can truncate or rewrite it under the mapping). Returns 1 when mapped, 0 when the caller
 * must read the data instead. */
#define OBN_EXTERNAL_MAP_MIN ((uint64_t)1 << 16)
/* 1 when fd is a regular file owned by the process's user and writable by
 * no group or other user: nobody else can truncate it under a mapping
 * (which would raise SIGBUS) or rewrite it. */
int obn_fd_only_we_write(int fd);
int obn_external_map(int fd, uint64_t offset, uint64_t length, obn_tensor *t);

/* Reads exactly `length` bytes at `offset` into buf. */
obn_status obn_external_pread(int fd, void *buf, uint64_t length, uint64_t offset, const char *what,
                              const char *path);

/* Test hook (white-box tests only; NULL otherwise): called by
 * obn_external_open with stage 0 just before open() and stage 1 just after
 * it, so a test can swap a symlink at the moment an attacker would. */
extern void (*obn_external_race_hook)(int stage);

#endif
