/*
 * testutil.h - helpers shared by the Check suites: independent
 * measurements (the tests' own /proc reads) and a capturing log hook.
 */
#ifndef GCP_TESTUTIL_H
#define GCP_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <check.h>

#include "gcprof.h"

/* RSS in bytes, read by the test itself from /proc/self/status (VmRSS),
 * a different file and parser than the library uses. */
uint64_t tu_rss_bytes(void);
/* VmHWM from /proc/self/status, in bytes. */
uint64_t tu_hwm_bytes(void);

/* A log hook that keeps the latest messages for assertions. */
typedef struct tu_log {
    int count;
    int warnings;
    int errors;
    char last[512];
} tu_log;
void tu_log_capture(tu_log *log); /* installs it (and clears *log) */
void tu_log_restore(void);        /* back to the default hook */

/* The test's own record of objects it allocated, kept where the collector
 * cannot see it (addresses stored complemented, in malloc'd memory), so it
 * can ask the collector afterwards which of them it freed. */
typedef struct tu_hidden {
    uintptr_t *addr;
    size_t n, cap;
} tu_hidden;
void tu_hidden_add(tu_hidden *h, const void *obj); /* one writer per set */
/* How many recorded objects the latest collection found dead (mark bit
 * clear): an independent count of what it collected. */
size_t tu_hidden_collected(const tu_hidden *h);
void tu_hidden_free(tu_hidden *h);

/* What the library must leave as it found it: the collector's enabled
 * state, its automatic-collection setting and its event hook. */
typedef struct tu_collector_state {
    int disabled, no_auto;
    void (*hook)(int); /* compared as an address only */
} tu_collector_state;
tu_collector_state tu_collector_state_now(void);
/* Fails the test when anything differs from before. */
void tu_assert_collector_state(const tu_collector_state *before);

/* The built-in defaults with auto_gc (a gcp_auto_gc) and track_peak set. */
gcp_config tu_config(int auto_gc, int track_peak);

/* Zero 64 KiB of stack below the caller, so stale words left by finished
 * helpers keep no garbage alive through conservative scanning. */
void tu_clear_dead_stack(void);

/* A passing ck_assert writes its location to Check's log (a system call):
 * hot loops check plainly and call Check only on failure. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg("Assertion '%s' failed", #cond);                                          \
    } while (0)
#define REQUIRE_EQ(x, y)                                                                           \
    do {                                                                                           \
        intmax_t x_ = (x), y_ = (y);                                                               \
        if (x_ != y_)                                                                              \
            ck_abort_msg("Assertion '%s == %s' failed: %jd != %jd", #x, #y, x_, y_);               \
    } while (0)

/* The rows of a loop test's table, as the end of its loop:
 * tcase_add_loop_test(tc, test, 0, TU_ROWS(table)) runs test with _i each row. */
#define TU_ROWS(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* Helpers that must stay separate calls (their frames, their stores). */
#define NOINLINE __attribute__((noinline))

/* A checked fixture for tests whose state is the process's (the GC-time
 * budget, the pacer): each needs a process of its own, as Check gives
 * unless CK_FORK=no, which it refuses with a message. */
void tu_needs_own_process(void);

/* The test's own clock (CLOCK_MONOTONIC), in seconds. */
double tu_seconds(void);

/* Whether, within bound_s, every other thread of the process was seen
 * asleep in the kernel at once (state S in /proc/self/task). A test that
 * forks while a thread of the library's starts (the endpoint's server)
 * waits for this first: ASan's allocator (GCC 12) takes no lock across
 * fork(), so a child whose parent's thread was inside malloc at the fork
 * waits for ever on the first malloc of the same size class (measured: 2
 * hangs in 452 runs of check_metrics_life under load, the child's new
 * server thread in calloc from ASan's thread start-up). glibc's malloc
 * is fork-safe: programs without ASan never see this. */
int tu_others_asleep(double bound_s);

/* Whether child pid ended within seconds (by the test's clock: the
 * collector's signals cut sleeps short), its wait status in *status (may
 * be NULL). If not, it is killed and reaped: a child that waits on a lock
 * its parent's thread held at the fork ends as a failure, not a hang. */
int tu_wait_within(pid_t pid, double seconds, int *status);

/* The test's own account of every collection: its own hook (the library
 * chains to it while its hook is in) timing START to END on the test's
 * clock. tu_time_collections installs it and zeroes the totals, which are
 * read between collections. */
void tu_time_collections(void);
double tu_gc_seconds(void);
long tu_gc_seen(void);

/* Keeps test structures from being optimised away (see BDWGC-NOTES). */
extern void *volatile tu_sink;

/* Run a suite as configured by CK_* variables (CK_FORK=no, CK_RUN_CASE,
 * ...) and turn the result into main()'s exit status. Frees the suite. */
int tu_run(Suite *suite);

/* With no pprof module where the library looks for it (GCPROF_PPROF_MODULE
 * at a missing file, TU_NO_PPROF_MODULE), until tu_pprof_module_back puts the
 * variable back as it was (unset if it was), so a test run unforked leaves
 * the next one the module. */
#define TU_NO_PPROF_MODULE "/nonexistent/libgcprof-pprof.so"
void tu_pprof_module_away(void);
void tu_pprof_module_back(void);
/* The heap profile is free again: one starts and stops (no feature left it
 * sampling or owned). */
void tu_assert_heap_profile_free(void);

#endif
