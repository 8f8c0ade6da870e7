/*
 * walk_depth.c - measuring a stack walk's depth (walk_depth.h): paint the
 * dead stack, walk, and look for the lowest byte that changed.
 */
#include "walk_depth.h"

#define PAINT 0xa5
#define OWN   512 /* bytes kept clear below the measuring frame: paint's own */

/* Fills [top - max, top - OWN) with PAINT: dead stack, below the caller. */
__attribute__((noinline, no_sanitize_address)) static void paint(uintptr_t top, size_t max)
{
    volatile unsigned char *p = (volatile unsigned char *)(top - max);

    for (size_t i = 0; i < max - OWN; i++)
        p[i] = PAINT;
}

__attribute__((noinline, no_sanitize_address)) static size_t lowest_change(uintptr_t top,
                                                                           size_t max)
{
    volatile unsigned char *p = (volatile unsigned char *)(top - max);
    size_t i = 0;

    while (i < max - OWN && p[i] == PAINT)
        i++;
    return max - i; /* bytes below top */
}

__attribute__((noinline)) size_t gcp__walk_depth(void (*walk)(void), uintptr_t low, uintptr_t high,
                                                 size_t max)
{
    uintptr_t top = (uintptr_t)__builtin_frame_address(0) - 256; /* below our frame */

#if defined(__x86_64__) || defined(__aarch64__)
    if (!low || max <= OWN || top < low + max + 4096 || top >= high)
        return 0;
    paint(top, max);
    walk();
    size_t d = lowest_change(top, max) + 4096;
    return d <= max ? d : 0;
#else
    (void)walk, (void)low, (void)high, (void)max, (void)top;
    return 0;
#endif
}
