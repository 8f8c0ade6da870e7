/*
 * preload_stash.c - the stash's set-up (preload_stash.h): how deep a
 * sample writes below the stack pointer, measured once at start, and each
 * thread's stack bounds, learnt at its first sample.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "heap_sampler.h"
#include "walk_depth.h"
#include "preload.h"

preload_stash *preload_heap_stash;
__thread uintptr_t preload_stack_low __attribute__((tls_model("initial-exec")));
__thread uintptr_t preload_stack_high __attribute__((tls_model("initial-exec")));

void preload_stash_learn_stack(void)
{
    pthread_attr_t a;
    void *low;
    size_t size;

    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return;
    if (pthread_attr_getstack(&a, &low, &size) == 0) {
        preload_stack_high = (uintptr_t)low + size;
        preload_stack_low = (uintptr_t)low;
    }
    pthread_attr_destroy(&a);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* As preload_heap_take's frame and walk, without a sample. */
__attribute__((noinline)) static void probe_walk(void)
{
    void *pcs[GCP__HS_DEPTH + 8];
    int first;

    preload_heap_walk(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first);
}

void preload_stash_setup(void)
{
    preload_stash_learn_stack();
    preload_state->stash.depth =
        gcp__walk_depth(probe_walk, preload_stack_low, preload_stack_high, PRELOAD_STASH_MAX);
    atomic_store(&preload_state->stash.busy, 0);
    if (preload_state->stash.depth)
        preload_heap_stash = &preload_state->stash;
}
#else
void preload_stash_setup(void)
{
}
#endif

int preload_stack_has_room(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    size_t need = preload_heap_stash ? preload_heap_stash->depth : 0;

    if (!need)
        return 1;
    return sp < preload_stack_high && sp >= preload_stack_low + need + 4096;
}

/* A forked child: another thread of the parent may have held it. */
void preload_stash_forked(void)
{
    if (preload_state)
        atomic_store(&preload_state->stash.busy, 0);
}
