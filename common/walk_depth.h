/*
 * walk_depth.h - how far below its caller's stack pointer a stack walk
 * writes: the region a sampler must put back (the preload) or wipe (the
 * runtime), so that the words the unwinder leaves on the dead stack keep
 * nothing alive and change nothing the collector later scans.
 */
#ifndef GCP_WALK_DEPTH_H
#define GCP_WALK_DEPTH_H

#include <stddef.h>
#include <stdint.h>

/* Paints up to `max` bytes below the caller's frame, runs walk() once from
 * there, and returns the depth of the lowest byte it changed plus a page
 * (for what runs after the walk: a table insert). 0 when the stack
 * [low, high) has no room for the measure below here (twice max and two
 * pages), or the depth does not fit in max. x86-64 and aarch64 stacks grow down; elsewhere 0. */
size_t gcp__walk_depth(void (*walk)(void), uintptr_t low, uintptr_t high, size_t max);
/* The stack below the caller the measure needs for a given max: the
 * painted region, the scan's own alloca of it and a page, and a page. */
#define GCP__WALK_DEPTH_ROOM(max) (2 * (size_t)(max) + 8192)

#endif
