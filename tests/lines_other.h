/*
 * lines_other.h - code of check_sites.c's line-report tests that lives in
 * another source file, as a closure or a helper often does.
 */
#ifndef GCP_LINES_OTHER_H
#define GCP_LINES_OTHER_H

#include <stddef.h>
#include <stdint.h>

extern const char *const tu_other_file; /* __FILE__ of lines_other.c */

/* What the code below allocated at its lines (collector sizes). */
typedef struct tu_other_counts {
    int line_kept, line_dropped;
    uint64_t kept_bytes, dropped_bytes; /* GC_size sums */
    uint64_t kept_objects, dropped_objects;
} tu_other_counts;
extern tu_other_counts tu_other;

/* A closure: env is a size_t *, how many objects to keep (the same number
 * are dropped). Fills tu_other; keeps them in tu_other_kept. */
int tu_other_closure(void *env);
/* A helper: allocates n objects of size bytes, keeps `keep` of them (in
 * tu_other_kept), and fills tu_other. */
void tu_other_helper(size_t n, size_t size, size_t keep);
extern void *tu_other_kept[4096];

#endif
