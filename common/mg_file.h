/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Files that must never be seen half written (persisted images, bindings, caches, datastores,
 * state files read by operators' scripts): written to PATH.tmp.PID, flushed to disk, renamed
 * over PATH, then the directory is flushed so the rename itself survives a power cut.
 * Thread-safe (no shared state); blocking: callers on an event loop write small files only.
 */
#ifndef MG_FILE_H
#define MG_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * Write the concatenation of iov[0..n) to path atomically with permissions mode. Returns 0 or
 * a negative errno (-ENAMETOOLONG, or that of open/write/fsync/rename); on error path is left
 * as it was and the temporary file is removed.
 */
int mg_write_file_atomicv(const char *path, const struct iovec *iov, int n, mode_t mode);

static inline int
mg_write_file_atomic(const char *path, const void *buf, size_t size, mode_t mode)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = size};

	return mg_write_file_atomicv(path, &iov, 1, mode);
}

#endif /* MG_FILE_H */
