/* SPDX-License-Identifier: MIT */
/*
 * fullvfs.c - a disk that fills up, for tests: an SQLite VFS wrapping the
 * default one, loaded into a real `flowzap` with LD_PRELOAD. Every write
 * (xWrite, and a truncate that grows a file) is counted; once
 * FZ_FULLVFS_AFTER writes went through, each later one fails with
 * SQLITE_FULL, as on a full file system, and stays failing; with
 * FZ_FULLVFS_FAILS=K only the K writes after them fail, then space is back
 * (another process freed some: the disk was full for a moment). Without
 * FZ_FULLVFS_AFTER it only counts; FZ_FULLVFS_COUNT=FILE writes the count
 * there at exit, so a test learns how many writes a whole run takes and
 * can fail it at every one of them. No mount, no privilege needed.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shim_file {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same block */
} shim_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static sqlite3_io_methods shim_io;
static long long writes, limit = -1, fails = -1;

static int full(void)
{
    writes++;
    return limit >= 0 && writes > limit && (fails < 0 || writes <= limit + fails);
}

static int x_close(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods ? s->real->pMethods->xClose(s->real) : SQLITE_OK;
}
static int x_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xRead(s->real, p, n, off);
}
static int x_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    shim_file *s = (shim_file *)f;
    if (full())
        return SQLITE_FULL;
    return s->real->pMethods->xWrite(s->real, p, n, off);
}
static int x_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xTruncate(s->real, size);
}
static int x_sync(sqlite3_file *f, int flags)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xSync(s->real, flags);
}
static int x_size(sqlite3_file *f, sqlite3_int64 *size)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xFileSize(s->real, size);
}
static int x_lock(sqlite3_file *f, int l)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xLock(s->real, l);
}
static int x_unlock(sqlite3_file *f, int l)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xUnlock(s->real, l);
}
static int x_check(sqlite3_file *f, int *out)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xCheckReservedLock(s->real, out);
}
static int x_fcntl(sqlite3_file *f, int op, void *arg)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xFileControl(s->real, op, arg);
}
static int x_sector(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xSectorSize(s->real);
}
static int x_dev(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xDeviceCharacteristics(s->real);
}
static int x_shm_map(sqlite3_file *f, int i, int sz, int ext, void volatile **pp)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xShmMap(s->real, i, sz, ext, pp);
}
static int x_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xShmLock(s->real, off, n, flags);
}
static void x_shm_barrier(sqlite3_file *f)
{
    shim_file *s = (shim_file *)f;
    s->real->pMethods->xShmBarrier(s->real);
}
static int x_shm_unmap(sqlite3_file *f, int del)
{
    shim_file *s = (shim_file *)f;
    return s->real->pMethods->xShmUnmap(s->real, del);
}
static int x_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    shim_file *s = (shim_file *)f;
    *pp = NULL; /* no memory-mapped reads or writes around the counter */
    (void)s;
    (void)off;
    (void)n;
    return SQLITE_OK;
}
static int x_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    shim_file *s = (shim_file *)f;
    (void)s;
    (void)off;
    (void)p;
    return SQLITE_OK;
}

static int x_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    shim_file *s = (shim_file *)f;
    s->real = (sqlite3_file *)(s + 1);
    memset(s->real, 0, (size_t)real_vfs->szOsFile);
    int rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
    f->pMethods = s->real->pMethods ? &shim_io : NULL;
    return rc;
}

static int x_delete(sqlite3_vfs *v, const char *n, int d)
{
    (void)v;
    return real_vfs->xDelete(real_vfs, n, d);
}
static int x_access(sqlite3_vfs *v, const char *n, int fl, int *o)
{
    (void)v;
    return real_vfs->xAccess(real_vfs, n, fl, o);
}
static int x_full(sqlite3_vfs *v, const char *n, int no, char *o)
{
    (void)v;
    return real_vfs->xFullPathname(real_vfs, n, no, o);
}
static int x_random(sqlite3_vfs *v, int n, char *o)
{
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, o);
}
static int x_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}
static int x_time(sqlite3_vfs *v, double *t)
{
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, t);
}
static int x_err(sqlite3_vfs *v, int n, char *o)
{
    (void)v;
    return real_vfs->xGetLastError(real_vfs, n, o);
}
static int x_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static void report(void)
{
    const char *path = getenv("FZ_FULLVFS_COUNT");
    FILE *f = path && *path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%lld\n", writes);
        fclose(f);
    }
}

__attribute__((constructor)) static void fullvfs_install(void)
{
    const char *after = getenv("FZ_FULLVFS_AFTER");
    if (after && *after)
        limit = atoll(after);
    const char *k = getenv("FZ_FULLVFS_FAILS");
    if (k && *k)
        fails = atoll(k);
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs)
        return;
    shim_io = (sqlite3_io_methods){
        3,          x_close,       x_read,      x_write, x_truncate, x_sync, x_size,
        x_lock,     x_unlock,      x_check,     x_fcntl, x_sector,   x_dev,  x_shm_map,
        x_shm_lock, x_shm_barrier, x_shm_unmap, x_fetch, x_unfetch,
    };
    shim_vfs = *real_vfs;
    shim_vfs.zName = "fullvfs";
    shim_vfs.szOsFile = (int)sizeof(shim_file) + real_vfs->szOsFile;
    shim_vfs.pNext = NULL;
    shim_vfs.xOpen = x_open;
    shim_vfs.xDelete = x_delete;
    shim_vfs.xAccess = x_access;
    shim_vfs.xFullPathname = x_full;
    shim_vfs.xRandomness = x_random;
    shim_vfs.xSleep = x_sleep;
    shim_vfs.xCurrentTime = x_time;
    shim_vfs.xGetLastError = x_err;
    shim_vfs.xCurrentTimeInt64 = x_time64;
    /* Later system calls of the unix VFS go to the real one's. */
    shim_vfs.xSetSystemCall = NULL;
    shim_vfs.xGetSystemCall = NULL;
    shim_vfs.xNextSystemCall = NULL;
    shim_vfs.iVersion = 2;
    sqlite3_vfs_register(&shim_vfs, 1);
    atexit(report);
}
