/*
 * preload_stash.c - the stash's set-up (preload_stash.h): how deep a
 * sample writes below the stack pointer, measured once at start, and each
 * thread's stack bounds, learnt at its first sample.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "heap_sampler.h"
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
#define PAINT 0xa5

/* Fills the PRELOAD_STASH_MAX bytes below `top` (dead stack: the caller's
 * frame is above it) with PAINT; then one stack walk runs from the same
 * depth, and the lowest byte it changed gives its depth. */
__attribute__((noinline, no_sanitize_address)) static void paint(uintptr_t top)
{
    volatile unsigned char *p = (volatile unsigned char *)(top - PRELOAD_STASH_MAX);
    for (size_t i = 0; i < PRELOAD_STASH_MAX - 512; i++) /* not our own frame */
        p[i] = PAINT;
}

__attribute__((noinline, no_sanitize_address)) static size_t lowest_change(uintptr_t top)
{
    volatile unsigned char *p = (volatile unsigned char *)(top - PRELOAD_STASH_MAX);
    size_t i = 0;

    while (i < PRELOAD_STASH_MAX - 512 && p[i] == PAINT)
        i++;
    return PRELOAD_STASH_MAX - i; /* bytes below top */
}

/* As preload_heap_take's frame and walk, without a sample. */
__attribute__((noinline)) static int probe_walk(void)
{
    void *pcs[GCP__HS_DEPTH + 8];
    int first;

    return preload_heap_walk(pcs, (int)(sizeof pcs / sizeof pcs[0]), &first);
}

/* The depth a walk writes below its caller's stack pointer, plus a page
 * for the table insert after it; 0 when this thread's stack has no room
 * to measure it (a program dlopen'ing us from a small thread) or it does
 * not fit the stash. */
__attribute__((noinline)) static size_t measure_depth(void)
{
    uintptr_t top = (uintptr_t)__builtin_frame_address(0) - 256; /* below our frame */

    if (!preload_stack_low || top < preload_stack_low + PRELOAD_STASH_MAX + 4096 ||
        top >= preload_stack_high)
        return 0;
    paint(top);
    probe_walk();
    size_t d = lowest_change(top) + 4096;
    return d <= PRELOAD_STASH_MAX ? d : 0;
}

void preload_stash_setup(void)
{
    preload_stash_learn_stack();
    preload_state->stash.depth = measure_depth();
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
