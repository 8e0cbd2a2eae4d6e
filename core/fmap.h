/* SPDX-License-Identifier: MIT */
/*
 * fmap.h - read-only file mappings that survive the file shrinking under
 * them. A file mapped with mmap() raises SIGBUS when a page past its new
 * end is read after another process truncated it; fz_fmap maps such a page
 * (and the rest of the mapping) to zeros instead, marks the mapping lost,
 * and lets the read go on, so the program never crashes on a file changed
 * while it was being read. The first mapping installs a SIGBUS handler for
 * the process; it passes every other SIGBUS on to the handler that was
 * there before (or to the default action, which ends the process).
 */
#ifndef FZ_CORE_FMAP_H
#define FZ_CORE_FMAP_H

#include <stddef.h>

/* Mappings guarded at once; past this fz_fmap_open fails and the caller
 * reads the file instead. */
#define FZ_FMAP_MAX 64

/* Maps the first size bytes (size > 0) of the open file fd read-only,
 * prefaulted. Returns 0 and the address in *out, or FZ_ESYS when it cannot
 * (every guard slot taken, mmap() or sigaction() failed): read the file
 * instead then. */
int fz_fmap_open(int fd, size_t size, const void **out);

/* Drops the pages of [p, p + size) of a mapping from the process (they
 * stay in the page cache); the next read of a page maps it again (with
 * the kernel's fault-around, 64 KiB about it). A reader done with a part
 * of the text calls it so that part stops counting in its memory. p need
 * not be page-aligned: the pages it touches are dropped. */
void fz_fmap_drop(const void *p, size_t size);

/* Maps the pages of [p, p + size) of a mapping ahead of reading them in
 * order (after a drop), where the kernel can; a hint, no error. */
void fz_fmap_load(const void *p, size_t size);

/* Unmaps a mapping from fz_fmap_open (size as given there). */
void fz_fmap_close(const void *map, size_t size);

/* 1 when a read past the end of the shrunk file was answered with zeros
 * (the text read from map is then not the file's), else 0. */
int fz_fmap_lost(const void *map);

#endif
