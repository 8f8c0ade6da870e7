/*
 * preload_stash.h - a sample leaves the program's dead stack as it was.
 *
 * bdwgc scans a thread's stack conservatively, and the words below the
 * stack pointer are the next frames' uninitialised slots: what a sample's
 * stack walk writes there (libunwind's cursor and register copies, several
 * KiB) changes what later collections find, and so what they keep. Seen:
 * ECL collected 90 times instead of 77 in 2 runs of 8 at the default rate;
 * wiping the region instead (zeros) changed it the other way (98 at rate
 * 1). So the region is copied away before the sample and copied back
 * after, with no call in between that could write there first: the stack
 * pointer is read, the bytes moved and the lock taken inline.
 *
 * x86-64 only (the asm); elsewhere the sample writes there as it must.
 * The region's depth is measured at start (preload_stash.c). A sample goes
 * without it (and may leave words there) when: the thread's stack bounds
 * are not known yet (its first sample), the stack pointer is not within
 * them with that much room below (a coroutine's or signal stack), or
 * another thread's sample holds the stash (never waited for). The depth is
 * that of one walk at start: a walk through deeper unwind information may
 * write below it.
 */
#ifndef GCPROF_PRELOAD_STASH_H
#define GCPROF_PRELOAD_STASH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PRELOAD_STASH_MAX (64 << 10)

typedef struct preload_stash {
    atomic_int busy; /* one sample at a time uses it */
    size_t depth;    /* bytes below the stack pointer a sample writes; 0: off */
    char bytes[PRELOAD_STASH_MAX];
} preload_stash;

extern preload_stash *preload_heap_stash; /* in our mapping; NULL: off */
/* this thread's stack, [low, high); 0: not known yet */
extern __thread uintptr_t preload_stack_low __attribute__((tls_model("initial-exec")));
extern __thread uintptr_t preload_stack_high __attribute__((tls_model("initial-exec")));

void preload_stash_setup(void);         /* at start, on the main thread */
void preload_stash_learn_stack(void);   /* this thread's bounds */
void preload_stash_forked(void);        /* in a forked child */
/* Whether this thread's stack has room below here for a stack walk (as
 * measured); 1 where nothing was measured (not x86-64). */
int preload_stack_has_room(void);

#if defined(__x86_64__) && defined(__GNUC__)
/* Inline in the caller's frame, before the call that samples. 1: saved. */
static inline __attribute__((always_inline)) int preload_stash_save(void)
{
    preload_stash *st = preload_heap_stash;
    uintptr_t sp;

    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    if (!st || !st->depth || sp >= preload_stack_high ||
        sp < preload_stack_low + st->depth + 4096) /* unknown bounds: high is 0 */
        return 0;
    if (atomic_exchange_explicit(&st->busy, 1, memory_order_acquire))
        return 0; /* another thread's sample: no waiting here */
    void *src = (void *)(sp - st->depth), *dst = st->bytes;
    size_t n = st->depth;
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    return 1;
}

/* Inline in the same frame, after the sample: the bytes back. */
static inline __attribute__((always_inline)) void preload_stash_restore(void)
{
    preload_stash *st = preload_heap_stash;
    uintptr_t sp;

    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    void *dst = (void *)(sp - st->depth), *src = st->bytes;
    size_t n = st->depth;
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    atomic_store_explicit(&st->busy, 0, memory_order_release);
}
#else
static inline int preload_stash_save(void)
{
    return 0;
}

static inline void preload_stash_restore(void)
{
}
#endif

#endif
