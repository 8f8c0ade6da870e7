/*
 * collect.c - the one way the library collects: gcp_collect, the
 * profiler's baseline and forced collections, gc points, the leak check.
 *
 * Every such collection is marked forced for the monitor (the program did
 * not ask for it), runs on stack cleared of what finished code left (a
 * stale word there would keep garbage alive, and the census would then
 * count it live), and can take the census inside the collection itself,
 * from the event hook, exact while other threads allocate.
 */
#include "collect.h"

__attribute__((noinline)) void gcp__collect_(gcp__collection *c)
{
    uint64_t t = gcp__now_ns(), gc_no = GC_get_gc_no();

    if (c->census)
        gcp__census_request(1);
    gcp__collect_forced(c->unmap);
    if (c->census) {
        gcp__census_request(0);
        /* The latest census: this collection's, or a later one's on
         * another thread. None when the hook is not ours (not installed,
         * or replaced): taken after the fact, under the collector's lock. */
        if (!gcp__census_taken(gc_no + 1, &c->live, &c->allocated))
            gcp__census(&c->live, &c->allocated);
    }
    c->ns = gcp__now_ns() - t;
}

int gcp_collect(void)
{
    gcp__collection c = {0};

    GCP__REFUSE_IN_HOOK("gcp_collect");
    gcp_init();
    if (GC_is_disabled())
        return 0;
    gcp__collect(&c); /* stale words below us keep nothing alive */
    return 1;
}
