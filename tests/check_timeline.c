/*
 * check_timeline.c - the per-collection line is formatted by hand for
 * speed: it must be byte-for-byte what printf writes (white-box: links the
 * library's internals).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "timeline.h"

START_TEST(test_gc_line_matches_printf)
{
    srand(1);
    for (int i = 0; i < 200000; i++) {
        gcp_tl_gc g = {(uint64_t)rand(),
                       1795318880.0 + rand() / 1000.0 + (rand() % 1000000) / 1e6,
                       rand() / 1e12,
                       rand() / 1e13,
                       rand() / 1e14,
                       rand() / 1e11,
                       (uint64_t)rand(),
                       (uint64_t)rand(),
                       i & 1, 0, 0, 0};
        g.pid = i % 3 ? rand() % 4194304 + 1 : 0; /* none: the version-1 line */
        g.has_live = g.pid && i % 2;
        g.live = (uint64_t)rand() * 4096;
        if (i % 7 == 0) { /* rounding that carries into the whole seconds */
            g.pause = 0;
            g.t = 1795318880.9999996;
        }
        char ours[256], want[256], tail[64] = "";
        FILE *f = fmemopen(ours, sizeof ours, "w");
        gcp__tl_gc(f, GCP_TL_DAT, &g);
        fclose(f);
        if (g.has_live)
            snprintf(tail, sizeof tail, " %llu %ld", (unsigned long long)g.live, g.pid);
        else if (g.pid)
            snprintf(tail, sizeof tail, " - %ld", g.pid);
        snprintf(want, sizeof want, "GCPROF_GC %llu %.6f %.3f %.3f %.3f %.3f %llu %llu %d%s\n",
                 (unsigned long long)g.n, g.t, g.pause * 1e3, g.mark * 1e3, g.reclaim * 1e3,
                 g.total * 1e3, (unsigned long long)g.heap_before, (unsigned long long)g.heap_after,
                 g.forced, tail);
        if (strcmp(ours, want) != 0)
            ck_abort_msg("ours: %s printf: %s", ours, want);
    }
}
END_TEST

static Suite *make_timeline_suite(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("format");

    tcase_add_test(tc, test_gc_line_matches_printf);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(make_timeline_suite());
}
