/*
 * unmap.h - returning free heap blocks to the OS until none is left that
 * could go (unmap.c), for the profiler and for gc points.
 */
#ifndef GCP_UNMAP_H
#define GCP_UNMAP_H

/* Free and mapped bytes below which unmapping collections are not worth
 * their cost. */
#define GCP__UNMAP_WORTH_BYTES ((uint64_t)1 << 20)

/* One unmapping collection, run by the caller's way (its census, its
 * timing); returns whether it freed anything (heap blocks, objects). */
typedef int (*gcp__unmap_round)(void *ctx);

/* Run rounds until two in a row freed nothing, at most 8, none while
 * under GCP__UNMAP_WORTH_BYTES lie free and mapped. Returns how many
 * rounds freed something (garbage that had outlived an earlier
 * collection). */
int gcp__unmap_until_quiet(gcp__unmap_round round, void *ctx);

#endif
