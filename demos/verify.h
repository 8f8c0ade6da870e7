/*
 * verify.h - the demos' --verify mode: the program's own record of the
 * objects a closure made, and a check of each report against it.
 *
 * A closure calls verify_watch() on each object it builds (a no-op unless
 * --verify was given). After the profile, verify_report() asks the
 * collector which watched objects died (their mark bits after the
 * profiler's last collection: an independent verdict, not the profiler's
 * count), and verify_counts() checks the report: when a closure kept
 * nothing, everything it allocated was garbage, so gc_objects_collected
 * must equal objects_allocated.
 */
#ifndef GCP_DEMO_VERIFY_H
#define GCP_DEMO_VERIFY_H

#include <stddef.h>

#include "gcprof.h"

/* Turn verification on (from main, for --verify). */
void verify_enable(void);
int verify_enabled(void);

/* Record obj (addresses are kept where the collector cannot see them). */
void verify_watch(const void *obj);

/* The watched objects died, but for `kept` meant to stay alive: prints
 * one "verify:" line and forgets them. 0 when right, 1 when not (and 0
 * without printing when verification is off). */
int verify_deaths(size_t kept);

/* r's count against what the closure kept (kept objects it allocated and
 * left reachable): collected = allocated when it kept nothing; at most
 * allocated - kept otherwise. One "verify:" line; 0 when right. */
int verify_counts(const gcp_report *r, size_t kept);

/* Both, for a profile whose closure's objects are all watched. */
int verify_report(const gcp_report *r, size_t kept);

#endif
