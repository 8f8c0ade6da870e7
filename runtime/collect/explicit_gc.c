/*
 * explicit_gc.c - telling, inside the event hook, a collection the program
 * asked for (GC_gcollect, GC_gcollect_and_unmap, GC_try_to_collect) from
 * one the collector started in an allocation. Nothing the hook can read
 * tells them apart in bdwgc 8.2.2 (both hold the lock, both call the
 * default stop function, the allocation thresholds may be met either way),
 * and interposing GC_gcollect would export a non-gcp_ symbol. Where the
 * collection was called from does tell (alloc.c, v8.2.2):
 *
 *   GC_gcollect, GC_gcollect_and_unmap, GC_try_to_collect
 *     -> GC_try_to_collect_general -> GC_try_to_collect_inner -> START
 *   GC_collect_or_expand, GC_maybe_gc, GC_gcollect_inner (allocation,
 *   GC_init, finalizer tables) -> GC_try_to_collect_inner -> START
 *
 * So the hook looks one frame above GC_try_to_collect_inner. That return
 * address is learnt once, without collecting: GC_try_to_collect(probe),
 * whose stop function is called by GC_try_to_collect_inner before
 * anything else and returns 1, so no collection runs (pending finalizers
 * do run first, as at any GC_try_to_collect). GC_try_to_collect_general is
 * static, and in Debian's build GC_gcollect_and_unmap and GC_try_to_collect
 * jump to it: no symbol names that frame, the probe finds it. A build that
 * inlines it into the entry points instead is caught by the entry points'
 * own address ranges (dladdr1's symbol sizes).
 *
 * The stack is walked with libgcc's unwinder (_Unwind_Backtrace), which
 * needs only the unwind tables every x86-64 and AArch64 object carries:
 * it allocates nothing and, with glibc 2.35 and later and GCC 12's libgcc
 * (_dl_find_object), takes no lock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr1 */
#endif
#include "collect.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <unwind.h>

#define MAX_FRAMES 32 /* ours, then the collector's: a handful */

typedef struct walk {
    uintptr_t from;  /* a return address into GC_try_to_collect_inner */
    uintptr_t found; /* the one above it, or 0 */
    int seen, frames;
} walk;

static _Unwind_Reason_Code step(struct _Unwind_Context *ctx, void *arg)
{
    walk *w = arg;
    uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx);

    if (w->seen) {
        w->found = ip;
        return _URC_END_OF_STACK;
    }
    w->seen = ip == w->from;
    return ++w->frames < MAX_FRAMES ? _URC_NO_REASON : _URC_END_OF_STACK;
}

/* The return address of the frame above the one that `from` returns into:
 * who called the function that called us. 0 if the walk misses it. */
static inline __attribute__((always_inline)) uintptr_t caller_above(uintptr_t from)
{
    walk w = {from, 0, 0, 0};

    _Unwind_Backtrace(step, &w);
    return w.found;
}

typedef struct range {
    uintptr_t lo, hi;
} range;

static uintptr_t general_site; /* return address into GC_try_to_collect_general */
static range entries[3];       /* GC_gcollect & co, when sizes are known */
static int probed;             /* under learn_lock */
static _Atomic int learnt;
static pthread_mutex_t learn_lock = PTHREAD_MUTEX_INITIALIZER;

static int GC_CALLBACK probe(void)
{
    probed = 1;
    general_site = caller_above((uintptr_t)__builtin_return_address(0));
    return 1; /* stop before anything is done */
}

static range body_of(void *fn)
{
    range r = {0, 0};
    Dl_info info;
    const ElfW(Sym) *sym = NULL;

    if (fn && dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size &&
        info.dli_saddr == fn) {
        r.lo = (uintptr_t)fn;
        r.hi = r.lo + sym->st_size;
    }
    return r;
}

void gcp__explicit_learn(void)
{
    if (atomic_load(&learnt))
        return;
    pthread_mutex_lock(&learn_lock);
    if (!atomic_load(&learnt)) {
        entries[0] = body_of((void *)(uintptr_t)GC_gcollect);
        entries[1] = body_of((void *)(uintptr_t)GC_gcollect_and_unmap);
        entries[2] = body_of((void *)(uintptr_t)GC_try_to_collect);
        /* While collection is disabled (GC_disable) the stop function is
         * never called: then the next caller tries again. */
        probed = 0;
        (void)GC_try_to_collect(probe);
        if (probed)
            atomic_store(&learnt, 1);
    }
    pthread_mutex_unlock(&learn_lock);
}

int gcp__explicit_learnt(void)
{
    return atomic_load(&learnt) && general_site != 0;
}

/* In the hook, at START; ra is the hook's own return address (into
 * GC_try_to_collect_inner). */
int gcp__explicit_collection(const void *ra)
{
    if (!atomic_load_explicit(&learnt, memory_order_acquire))
        return 0;
    uintptr_t above = caller_above((uintptr_t)ra);
    if (!above)
        return 0;
    if (above == general_site)
        return 1;
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (above > entries[i].lo && above <= entries[i].hi)
            return 1;
    return 0;
}
