/*
 * walk_depth.c - measuring a stack walk's depth (walk_depth.h): paint the
 * dead stack, walk, and look for the lowest byte that changed.
 *
 * The painted region is alloca'd, so that every store is to stack in use,
 * and written from the top down: a main thread's stack that has not grown
 * that far yet grows page by page (under valgrind, a store far below the
 * stack pointer is a fault, not a growth). The walk then runs from the
 * same depth, over the region, now dead; the scan alloca's it again.
 */
#include <alloca.h>

#include "walk_depth.h"

#define PAINT 0xa5

/* Paints max bytes right below this frame; returns their lowest address. */
__attribute__((noinline, no_sanitize_address)) static uintptr_t paint(size_t max)
{
    volatile unsigned char *p = alloca(max);

    for (size_t i = max; i-- > 0;)
        p[i] = PAINT;
    return (uintptr_t)p;
}

/* The lowest byte of [low, low + n) that is no longer PAINT; low + n when
 * none. The alloca keeps the region below the stack pointer while it is
 * read (memcheck may call those bytes undefined: they were dead). */
__attribute__((noinline, no_sanitize_address)) static uintptr_t lowest_change(uintptr_t low,
                                                                              size_t n)
{
    volatile unsigned char *guard = alloca(n + 4096);
    const volatile unsigned char *p = (const volatile unsigned char *)low;
    size_t i = 0;

    guard[0] = 0;
    while (i < n && p[i] == PAINT)
        i++;
    return low + i;
}

__attribute__((noinline)) size_t gcp__walk_depth(void (*walk)(void), uintptr_t low, uintptr_t high,
                                                 size_t max)
{
    uintptr_t top = (uintptr_t)__builtin_frame_address(0); /* our frame's top */

#if defined(__x86_64__) || defined(__aarch64__)
    if (!low || top < low + GCP__WALK_DEPTH_ROOM(max) || top >= high)
        return 0;
    uintptr_t region = paint(max);
    walk();
    uintptr_t changed = lowest_change(region, max);
    if (changed == region) /* the walk went below the region: deeper than max */
        return 0;
    size_t d = (size_t)(top - changed) + 4096;
    return d <= max ? d : 0;
#else
    (void)walk, (void)low, (void)high, (void)max, (void)top;
    return 0;
#endif
}
