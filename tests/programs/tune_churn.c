/*
 * tune_churn.c - a bdwgc program (not built against libgcprof) for
 * tests/check_gcprof_tune.sh: a live set of 32 MiB in 4000-byte scanned
 * objects (one heap block each), a few of them replaced as it goes, and
 * 200 MiB of garbage in lists of small scanned objects, dropped every MiB.
 * Deterministic (its own xorshift), single-threaded, about 0.2 s. Its
 * peak RSS follows the collector's settings: GC_FREE_SPACE_DIVISOR 2 to 8
 * moves it by about 35 MiB, GC_INITIAL_HEAP_SIZE=256M by 210 MiB.
 *
 *     tune_churn [GARBAGE_MIB]
 *
 * Output, one line at its end, its own measures of what gcprof tune
 * reports: "gc_no N wall W cpu C gc G", the collector's own count of
 * collections (GC_get_gc_no); the seconds from main's start (monotonic);
 * its user + system time (getrusage); and the seconds its own collection
 * event hook saw between each collection's START and END, added up (a
 * full collection's: incremental ones send neither).
 */
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define LIVE_MIB    32
#define CHUNK       4000 /* with bdwgc's extra byte, still one 4 KiB block */
#define GARBAGE_MIB 200

struct node {
    struct node *next;
    size_t size;
};

/* Globals: the live set is reachable from the roots, and no store to it
 * can be left out by the compiler. */
void **live;
struct node *volatile head;

static unsigned long long state = 88172645463325252ull;
static double gc_started, gc_seconds;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Under the collector's lock: a clock read and two stores. */
static void on_collection_event(GC_EventType event)
{
    if (event == GC_EVENT_START)
        gc_started = now();
    else if (event == GC_EVENT_END && gc_started > 0)
        gc_seconds += now() - gc_started;
}

static double cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static unsigned long long next_random(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int main(int argc, char **argv)
{
    size_t garbage = (size_t)(argc > 1 ? atol(argv[1]) : GARBAGE_MIB) << 20;
    size_t nlive = ((size_t)LIVE_MIB << 20) / CHUNK, made = 0, in_list = 0;
    double start = now();

    GC_set_on_collection_event(on_collection_event); /* before GC_INIT: its collection too */
    GC_INIT();
    live = GC_MALLOC(nlive * sizeof *live);
    for (size_t i = 0; i < nlive; i++)
        live[i] = GC_MALLOC(CHUNK);
    while (made < garbage) {
        size_t size = 32 + next_random() % 2048;
        struct node *n = GC_MALLOC(size);
        n->next = head;
        n->size = size;
        head = n;
        made += size;
        in_list += size;
        if (in_list > (1u << 20)) { /* the list becomes garbage */
            head = NULL;
            in_list = 0;
        }
        if ((next_random() & 255) == 0) { /* the live set changes a little */
            live[next_random() % nlive] = GC_MALLOC(CHUNK);
            made += CHUNK;
        }
    }
    printf("gc_no %lu wall %.6f cpu %.6f gc %.6f\n", (unsigned long)GC_get_gc_no(), now() - start,
           cpu_seconds(), gc_seconds);
    return 0;
}
