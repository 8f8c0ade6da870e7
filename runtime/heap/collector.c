/*
 * collector.c - one-time set-up of the collector and the runtime's kinds,
 * at the first call into the library that needs them (gcp_init).
 *
 * What the environment asks for (a monitor, site tracking) is started by
 * the top layer (start/start.c), which registers it here from a load-time
 * constructor when, and only when, a variable asks: it then runs once,
 * right after the set-up. Not in the constructor itself: a program may
 * configure bdwgc before GC_INIT (GC_set_all_interior_pointers,
 * GC_set_handle_fork...), and starting the collector at load would take
 * that from it. This layer knows only a function pointer, not the layer.
 */
#include "heap.h"

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

static void (*after_setup)(void); /* set before main, by one constructor */
static pthread_once_t after_once = PTHREAD_ONCE_INIT;
/* This thread runs after_setup: what it starts calls back in (a monitor
 * allocates, profiles), and must not wait for its own once. */
static __thread int in_after_setup __attribute__((tls_model("initial-exec")));

void gcp__after_collector_setup(void (*fn)(void))
{
    after_setup = fn;
}

static void run_after_setup(void)
{
    in_after_setup = 1;
    after_setup();
    in_after_setup = 0;
}

int gcp__init_collector(void)
{
    pthread_once(&init_once, init_collector);
    if (in_after_setup)
        return 0; /* called back from inside: not done yet */
    if (after_setup)
        pthread_once(&after_once, run_after_setup);
    return 1;
}
