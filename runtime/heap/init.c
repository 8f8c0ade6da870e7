/*
 * init.c - gcp_init, which every entry point that allocates or collects
 * calls first: this thread known to the collector (threads.c), the
 * collector set up (collector.c).
 */
#include "heap.h"

static _Atomic int initialised; /* both onces ran: every profile asks */

int gcp_init(void)
{
    /* every entry point that allocates or collects comes through here
     * (or heap.c's first allocation on a thread, which calls it) */
    if (!gcp__thread_known())
        return gcp__fail(GCP_ESTATE, "this thread cannot be registered with the collector "
                                     "(GC_register_my_thread failed): it must not allocate");
    if (atomic_load_explicit(&initialised, memory_order_acquire))
        return 0;
    gcp__fast_clock_init(); /* profiles time closures with it */
    if (gcp__init_collector())
        atomic_store_explicit(&initialised, 1, memory_order_release);
    return 0;
}

const char *gcp_version(void)
{
    return GCP_VERSION_STRING;
}
