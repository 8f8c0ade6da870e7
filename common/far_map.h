/*
 * far_map.h - memory of ours far from where a program's mappings go.
 *
 * The kernel places mappings top down from below the stack, and the
 * executable's heap grows up from its brk. bdwgc scans conservatively, so
 * where its heap lands decides which stray words look like pointers into
 * it: a mapping of ours among the program's moves its heap, and what it
 * keeps. poke, with address randomisation off, collected 836 times instead
 * of 834 when 8 MiB were mapped the usual way (the preload reader's stack),
 * and 834 with them far away.
 */
#ifndef GCP_FAR_MAP_H
#define GCP_FAR_MAP_H

#include <stddef.h>

/* mmap(size, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags) at 16 TiB, or 256
 * GiB where the address space is smaller (39-bit arm64), plus `part`
 * quarters of that (each user of this takes its own part: the preload's
 * state 0, the heap sampler's tables 1); else wherever the kernel puts it.
 * MAP_FAILED when nothing could be mapped. */
void *gcp__map_far(size_t size, int prot, int flags, unsigned part);

#endif
