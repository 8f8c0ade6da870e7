/*
 * unmap.c - unmapping collections until the free blocks are back with the
 * OS.
 *
 * bdwgc 8.2.2 unmaps a block only once it has been free for two
 * collections (GC_unmap_old: GC_gcollect_and_unmap sets the threshold to
 * 1 and unmaps blocks free for more than that), and when GC_freehblk
 * coalesces a newly freed block with free neighbours it restarts the
 * whole run's age (its own FIXME says this prevents unmapping). So a few
 * blocks freed one collection late (garbage a stale word kept) restart
 * the clock for the large free runs around them, and no fixed number of
 * collections is enough (measured: 200 MiB of garbage, the old fixed two
 * extra collections gave back 74 MiB on one machine, 1 MiB when every
 * eighth block died a collection late). We go on until two rounds in a
 * row freed nothing: then every free block has aged past the threshold.
 * Bounded: each round either frees something or counts toward the two
 * quiet ones, and MAX_ROUNDS caps a program whose other threads keep
 * making garbage.
 */
#include "collect.h"
#include "unmap.h"

#define MAX_ROUNDS   8
#define QUIET_ROUNDS 2 /* GC_unmap_old's age, with the threshold at 1 */

int gcp__unmap_until_quiet(gcp__unmap_round round, void *ctx)
{
    int quiet = 0, freeing = 0;

    for (int i = 0; i < MAX_ROUNDS && quiet < QUIET_ROUNDS; i++) {
        if (GC_get_free_bytes() < GCP__UNMAP_WORTH_BYTES)
            break;
        if (round(ctx)) {
            freeing++;
            quiet = 0;
        } else {
            quiet++;
        }
    }
    return freeing;
}
