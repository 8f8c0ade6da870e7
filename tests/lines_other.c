/*
 * lines_other.c - a closure and a helper for check_sites.c's line-report
 * tests, in a file of their own (see lines_other.h).
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include "lines_other.h"

#include "gcprof.h"
#include "testutil.h"

const char *const tu_other_file = __FILE__;
tu_other_counts tu_other;
void *tu_other_kept[4096]; /* not static: a root the compiler must keep */

void tu_other_helper(size_t n, size_t size, size_t keep)
{
    tu_other = (tu_other_counts){0};
    for (size_t i = 0; i < n; i++) {
        if (i < keep) {
            tu_other.line_kept = __LINE__ + 1;
            tu_other_kept[i] = gcp_alloc(size);
            tu_other.kept_bytes += GC_size(GC_base(tu_other_kept[i]));
            tu_other.kept_objects++;
        } else {
            tu_other.line_dropped = __LINE__ + 1;
            void *p = gcp_alloc_atomic(size);
            tu_other.dropped_bytes += GC_size(GC_base(p));
            tu_other.dropped_objects++;
            tu_sink = p;
        }
    }
    tu_sink = NULL;
}

int tu_other_closure(void *env)
{
    size_t keep = *(size_t *)env;

    tu_other_helper(2 * keep, 48, keep);
    return 0;
}
