/*
 * init.c - one-time set-up of the collector and the runtime's kinds.
 */
#include "internal.h"

#include <gc/gc_mark.h>
#include <pthread.h>

int gcp__kinds[GCP__N_KINDS] = {-1, -1, -1, -1};
size_t gcp__extra_bytes = 1;
int gcp__mmap_hint_excluded;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_collector(void)
{
    GC_INIT();
    /* Threads the collector did not create may still allocate once they
     * register themselves (GC_register_my_thread). */
    GC_allow_register_threads();
    gcp__extra_bytes = GC_get_all_interior_pointers() ? 1 : 0;

    /* Scanned whole (length descriptor 0 + object size), cleared on reuse. */
    for (int k = GCP__NORMAL; k <= GCP__NORMAL_SITED; k += 2)
        gcp__kinds[k] = (int)GC_new_kind(GC_new_free_list(), GC_DS_LENGTH, 1, 1);
    /* Only the first word is scanned: it links a parked object to the next
     * one in our free lists, which must stay marked while parked. Once
     * handed out, one word of its data is scanned conservatively. The sited
     * variant is cleared on reuse, so a parked slot's last word (where a
     * live object keeps its site id) reads 0. */
    gcp__kinds[GCP__ATOMIC] =
        (int)GC_new_kind(GC_new_free_list(), sizeof(void *) | GC_DS_LENGTH, 0, 0);
    gcp__kinds[GCP__ATOMIC_SITED] =
        (int)GC_new_kind(GC_new_free_list(), sizeof(void *) | GC_DS_LENGTH, 0, 1);
    /* Before anything of ours is allocated (see false_root.c). */
    gcp__mmap_hint_excluded = gcp__exclude_mmap_hint_root();
    if (!gcp__mmap_hint_excluded)
        gcp__log(GCP_LOG_INFO, "bdwgc's mmap-hint static was not found; an object starting "
                               "a heap section may stay pinned (doc/profiler.md)");
}

int gcp__kind_index(int collector_kind)
{
    for (int k = 0; k < GCP__N_KINDS; k++)
        if (gcp__kinds[k] == collector_kind)
            return k;
    return -1;
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* What the environment asks for: site tracking, a monitor. No caller
 * sees its failures: they are logged (gcp__env_starting). */
static void start_from_env(void)
{
    gcp__env_startup(1);
    gcp__sites_from_env();
    gcp__monitor_from_env();
    gcp__env_startup(0);
}

void gcp__init_collector(void)
{
    pthread_once(&init_once, init_collector);
}

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
    gcp__init_collector();
    /* Apart from the collector's set-up: starting a monitor calls back in. */
    pthread_once(&env_once, start_from_env);
    atomic_store_explicit(&initialised, 1, memory_order_release);
    return 0;
}

const char *gcp_version(void)
{
    return GCP_VERSION_STRING;
}
