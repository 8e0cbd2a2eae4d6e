/* SPDX-License-Identifier: MIT */
/*
 * fmap.c - guarded read-only file mappings (see fmap.h).
 * The guard is a table of mapped ranges read by a SIGBUS handler. On a
 * fault inside a range the handler maps anonymous zero pages over the rest
 * of it (MAP_FIXED replaces the file pages in place), marks the range lost
 * and returns: the faulting read is retried and sees zeros. The table is
 * written with atomics only, so the handler never sees half a record.
 */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_POPULATE */
#include "core/fmap.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/status.h"

typedef struct fmap_slot {
    uintptr_t base; /* 0: free; written last on open, first on close */
    size_t size;    /* bytes, rounded up to whole pages */
    int lost;
} fmap_slot;

static fmap_slot slots[FZ_FMAP_MAX];
static struct sigaction previous;
static int guard_lock; /* held while the handler is checked or set */

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int k = 0; k < FZ_FMAP_MAX; k++) {
        uintptr_t base = __atomic_load_n(&slots[k].base, __ATOMIC_ACQUIRE);
        size_t size = __atomic_load_n(&slots[k].size, __ATOMIC_RELAXED);
        if (!base || a < base || a >= base + size)
            continue;
        uintptr_t page = a & ~(uintptr_t)(page_size() - 1);
        void *r = mmap((void *)page, base + size - page, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (r != MAP_FAILED) {
            __atomic_store_n(&slots[k].lost, 1, __ATOMIC_RELEASE);
            return; /* the read is retried and sees zeros */
        }
        break;
    }
    /* Not ours (or not fixable): whatever handled SIGBUS before. */
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
        previous.sa_sigaction(sig, si, uc);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    /* The default action: reset it and raise again; the signal is blocked
     * in here, so it arrives (and ends the process) when this returns. */
    signal(SIGBUS, SIG_DFL);
    raise(SIGBUS);
}

/* Puts the handler in place, unless it already is: checked on every open,
 * since a program (or a test framework) may have set its own SIGBUS
 * handler since; that one becomes the handler passed on to. A spin lock
 * keeps two threads from saving each other's handler as the previous. */
static int install(void)
{
    while (__atomic_exchange_n(&guard_lock, 1, __ATOMIC_ACQUIRE))
        ; /* another thread is checking */
    struct sigaction cur;
    int ok = sigaction(SIGBUS, NULL, &cur) == 0;
    if (ok && !((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        ok = sigaction(SIGBUS, &sa, &previous) == 0;
    }
    __atomic_store_n(&guard_lock, 0, __ATOMIC_RELEASE);
    return ok ? 0 : -1;
}

int fz_fmap_open(int fd, size_t size, const void **out)
{
    *out = NULL;
    if (size == 0 || install() != 0)
        return FZ_ESYS;
    size_t ps = page_size(), span = (size + ps - 1) & ~(ps - 1);
    /* Claim a slot before mapping: base stays 0 (free to the handler) and
     * size is set before base is published. */
    int k;
    for (k = 0; k < FZ_FMAP_MAX; k++) {
        size_t zero = 0;
        if (__atomic_compare_exchange_n(&slots[k].size, &zero, span, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            break;
    }
    if (k == FZ_FMAP_MAX)
        return FZ_ESYS;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) {
        __atomic_store_n(&slots[k].size, 0, __ATOMIC_RELEASE);
        return FZ_ESYS;
    }
    __atomic_store_n(&slots[k].lost, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&slots[k].base, (uintptr_t)map, __ATOMIC_RELEASE);
    *out = map;
    return FZ_OK;
}

static int find(const void *map)
{
    for (int k = 0; k < FZ_FMAP_MAX; k++)
        if (map && __atomic_load_n(&slots[k].base, __ATOMIC_ACQUIRE) == (uintptr_t)map)
            return k;
    return -1;
}

/* The whole pages that [p, p + size) touches. */
static void *page_range(const void *p, size_t *size)
{
    uintptr_t ps = page_size(), a = (uintptr_t)p & ~(ps - 1);
    *size = ((uintptr_t)p + *size - a + ps - 1) & ~(ps - 1);
    return (void *)a;
}

void fz_fmap_drop(const void *p, size_t size)
{
    if (!p || !size)
        return;
    void *a = page_range(p, &size);
    madvise(a, size, MADV_DONTNEED);
}

void fz_fmap_load(const void *p, size_t size)
{
#ifdef MADV_POPULATE_READ
    if (p && size) {
        void *a = page_range(p, &size);
        madvise(a, size, MADV_POPULATE_READ);
    }
#else
    (void)p;
    (void)size;
#endif
}

void fz_fmap_close(const void *map, size_t size)
{
    if (!map)
        return;
    int k = find(map);
    if (k >= 0)
        __atomic_store_n(&slots[k].base, 0, __ATOMIC_RELEASE);
    munmap((void *)(uintptr_t)map, size);
    if (k >= 0)
        __atomic_store_n(&slots[k].size, 0, __ATOMIC_RELEASE); /* free the slot */
}

int fz_fmap_lost(const void *map)
{
    int k = find(map);
    return k >= 0 && __atomic_load_n(&slots[k].lost, __ATOMIC_ACQUIRE);
}
