/*
 * threads.c - threads the collector did not start. bdwgc aborts the
 * process ("Collecting from unknown thread") when a thread it does not know
 * allocates or collects, and a program that only includes <gcprof.h> starts
 * its threads with plain pthread_create. So every thread that calls into
 * the library is registered with the collector on its first call
 * (GC_register_my_thread, allowed since collector.c's
 * GC_allow_register_threads) and unregistered when it exits, by a key's
 * destructor: a thread the collector still lists after its exit would be
 * signalled at the next collection and never answer.
 *
 * Threads the program registered itself, or started with GC_pthread_create,
 * are left as they are. One more is ours: when the first call into the
 * library comes from a thread other than main, our GC_INIT runs there,
 * and bdwgc makes that thread its initial one, registered, which nobody
 * would unregister: after the thread's exit, the next collection
 * signalled it for ever ("Signals delivery fails constantly", abort).
 * That thread gets the same destructor.
 */
#include "heap.h"

#include <pthread.h>

static __thread int known __attribute__((tls_model("initial-exec"))); /* checked, maybe ours */
/* Set by the event hook (collect/gc_events.c) while it runs: kept here, in
 * the bottom layer, because the allocator and containers ask. */
_Thread_local int gcp__hook_here __attribute__((tls_model("initial-exec")));
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_made;

/* At the thread's exit. A later destructor that calls into the library
 * registers the thread again, and this runs again (up to the system's
 * PTHREAD_DESTRUCTOR_ITERATIONS). */
static void forget_thread(void *arg)
{
    (void)arg;
    known = 0;
    GC_unregister_my_thread();
}

static void make_key(void)
{
    key_made = pthread_key_create(&key, forget_thread) == 0;
}

/* Registers the calling thread; 0 when it could not be. */
static int register_thread(void)
{
    struct GC_stack_base sb;

    pthread_once(&key_once, make_key);
    if (!key_made || GC_get_stack_base(&sb) != GC_SUCCESS)
        return 0;
    /* The base is the first byte past the stack's mapping (glibc's
     * pthread_getattr_np), and the collector keeps it in its thread record,
     * which it scans: when a heap block is mapped right above the stack, that
     * word is a pointer to its first object, kept alive for the thread's
     * life (99,999 of 100,000 collected). One word lower is still the top of
     * the stack: what is left out is the end of glibc's thread descriptor,
     * which frames never reach. */
    sb.mem_base = (char *)sb.mem_base - sizeof(void *);
    int r = GC_register_my_thread(&sb);
    if (r != GC_SUCCESS && r != GC_DUPLICATE)
        return 0;
    if (r == GC_SUCCESS)
        pthread_setspecific(key, &known); /* any non-NULL: the destructor runs */
    return 1;
}

/* The collector registered this thread in the GC_INIT we just ran on it:
 * unregistered at its exit as the ones we register. */
static void adopt_initial_thread(void)
{
    pthread_once(&key_once, make_key);
    if (key_made)
        pthread_setspecific(key, &known);
}

int gcp__thread_known(void)
{
    if (known)
        return 1;
    int was_set_up = GC_is_init_called();
    gcp__init_collector();
    if (GC_thread_is_registered()) {
        if (!was_set_up)
            adopt_initial_thread(); /* maybe ours: harmless on the one that was */
    } else if (!register_thread()) {
        return 0;
    }
    known = 1;
    return 1;
}
