/*
 * profile_carry.c - inside gcp_profile_many, the previous task's last
 * census as the next task's baseline, instead of a collection.
 *
 * The baseline is a full collection and a census of what survived it. When
 * the previous task's last collection (forced, or its last unmapping
 * round) is still the latest, nothing was allocated since and no program
 * code ran since, a new collection would mark exactly the same objects:
 * its census is that census. Collections per task go from 2 (plus the
 * unmapping rounds) to 1 (issue 18: on demos/pipeline's consecutive calls,
 * 143 of 144 baselines would have qualified). One difference remains, the
 * conservative collector's: a stale word that kept garbage through the
 * previous task's last collection may be gone at a new baseline's; that
 * garbage is then counted in the next task rather than by no task (the
 * profiler clears the dead stack before each of its collections, so
 * such words are rare; GCP_NOTE_RETAINED's rounds catch most of them).
 *
 * The proof needs all of:
 * - no collection since: GC_get_gc_no unchanged, and the census is the
 *   one the event hook took at the end of that collection;
 * - nothing allocated since: the runtime's exact all-threads totals equal
 *   those the census read (under the collector's lock, with the marks),
 *   and the collector's own counter (GC_get_total_bytes) unchanged;
 * - nobody made garbage without allocating (by dropping a reference).
 *   Outside a batch the caller's own code runs between two profiles, so
 *   this never holds there. Between two tasks of a batch, on this thread,
 *   only the library runs, except three ways into program code, each
 *   checked: finalizers due after that collection (bdwgc runs them on the
 *   thread that asked; the census notes them), the log hook (counted),
 *   the event hook chained to ours (it runs only inside a collection,
 *   which the first condition excludes). Another thread could drop a
 *   reference at any moment, e.g. in an environment the batch's tasks
 *   share: so the carry is armed only while this is the process's one
 *   thread besides the collector's markers (the kernel's count of the
 *   process's threads against GC_get_parallel), and checked again when
 *   taken. With one thread only, no other can start in between but by
 *   the library, which the second count sees.
 * Any doubt (no /proc, another thread, a count off) means a collection,
 * as outside a batch. A signal handler that drops a reference is
 * program code this cannot see; it would move that object's death into
 * the next task's count.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile_frame.h"

/* Threads of this process, from /proc/self/stat (field 20), or -1. */
static long process_threads(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold anything */
    for (int field = 2; p && field < 20; field++)
        p = strchr(p + 1, ' ');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

/* This thread is the only one that can run program code: the others are
 * bdwgc's parallel markers (GC_get_parallel of them). */
static int alone(void)
{
    long n = process_threads();

    return n > 0 && n <= 1 + (long)GC_get_parallel();
}

void gcp__carry_arm(gcp__carry *c)
{
    c->armed = 0;
    if (!alone() || !gcp__census_latest_whole(&c->gc_no, &c->live, &c->allocated))
        return;
    gcp__counts now;
    gcp__heap_totals(&now, NULL);
    /* allocated after the census: a finalizer of an earlier collection */
    if (now.objects != c->allocated.objects || now.bytes != c->allocated.bytes)
        return;
    c->total_bytes = GC_get_total_bytes();
    c->log_calls = gcp__log_hook_calls();
    c->armed = 1;
}

int gcp__carry_take(gcp__carry *c, gcp__counts *live, gcp__counts *allocated)
{
    if (!c || !c->armed)
        return 0;
    c->armed = 0;
    gcp__counts now;
    gcp__heap_totals(&now, NULL);
    if (GC_get_gc_no() != c->gc_no || GC_get_total_bytes() != c->total_bytes ||
        now.objects != c->allocated.objects || now.bytes != c->allocated.bytes ||
        gcp__log_hook_calls() != c->log_calls || !alone())
        return 0;
    *live = c->live;
    *allocated = c->allocated;
    return 1;
}
