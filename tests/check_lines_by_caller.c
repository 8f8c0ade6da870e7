/*
 * check_lines_by_caller.c - gcp_profile_lines_by_caller: every allocation
 * of a closure, gcp_alloc's and the program's own GC_MALLOC's, charged to
 * the line of the caller's file its call stack passes through, against
 * the test's own counts: objects, GC_size sums, and what it kept.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <check.h>
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gcprof.h"
#include "lines_other.h"
#include "testutil.h"

/* What one line of this file allocated, by the test's own count. */
typedef struct line_count {
    int line;
    uint64_t objects, bytes, live;
} line_count;

static line_count helper_call, raw_malloc, local_call;
static void *volatile raw_kept[256];
static void *volatile local_kept[64];

/* A helper in this file: its allocations are charged to its own line
 * (the innermost frame in the file), not to the line that called it. */
__attribute__((noinline)) static void local_helper(void)
{
    for (int i = 0; i < 128; i++) {
        local_call.line = __LINE__ + 1;
        void *p = GC_MALLOC_ATOMIC(200);
        local_call.objects++;
        local_call.bytes += GC_size(p);
        if (i < 64) {
            local_kept[i] = p;
            local_call.live += GC_size(p);
        }
    }
}

/* Three kinds of line: a call of a helper in another file (lines_other.c,
 * 600 gcp_alloc objects, 200 of them kept), a loop of the program's own
 * GC_MALLOC, and a call of a helper in this file. */
static int mixed(void *env)
{
    (void)env;
    helper_call.line = __LINE__ + 1;
    tu_other_helper(600, 48, 200);
    helper_call.objects = tu_other.kept_objects + tu_other.dropped_objects;
    helper_call.bytes = tu_other.kept_bytes + tu_other.dropped_bytes;
    helper_call.live = tu_other.kept_bytes;
    for (int i = 0; i < 1000; i++) {
        raw_malloc.line = __LINE__ + 1;
        void *p = GC_MALLOC(24);
        raw_malloc.objects++;
        raw_malloc.bytes += GC_size(p);
        if (i % 4 == 0) {
            raw_kept[i / 4] = p;
            raw_malloc.live += GC_size(p);
        } else {
            tu_sink = p;
        }
    }
    tu_sink = NULL;
    local_helper();
    return 0;
}

static char *render(const gcp_line_report *lines)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(gcp_line_report_print(fp, lines), 0);
    fclose(fp);
    return text;
}

static void assert_row(const char *text, const line_count *c, const char *what)
{
    char want[160];

    snprintf(want, sizeof want, "\n%7d %12llu B %12llu B %11llu  ", c->line,
             (unsigned long long)c->bytes, (unsigned long long)c->live,
             (unsigned long long)c->objects);
    ck_assert_msg(strstr(text, want), "%s: no row '%s' in:\n%s", what, want + 1, text);
}

START_TEST(test_helpers_charged_to_the_callers_line)
{
    gcp_line_report *lines = NULL;
    gcp_line_summary sum;
    gcp_report r;

    helper_call = raw_malloc = local_call = (line_count){0};
    int rc = GCP_PROFILE_LINES_BY_CALLER("mixed", mixed, NULL, NULL, &r, &lines);
    ck_assert_msg(rc == 0, "%s", gcp_last_error());
    ck_assert_ptr_nonnull(lines);
    char *text = render(lines);
    assert_row(text, &helper_call, "the call of the helper in lines_other.c");
    assert_row(text, &raw_malloc, "the program's own GC_MALLOC");
    assert_row(text, &local_call, "the helper in this file, at its own line");
    ck_assert_msg(!strstr(text, tu_other_file), "lines_other.c has rows:\n%s", text);
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum), 0);
    ck_assert_uint_eq(sum.flags & GCP_LINES_FILE_UNMATCHED, 0);
    ck_assert_uint_eq(sum.file_allocations,
                      helper_call.objects + raw_malloc.objects + local_call.objects);
    ck_assert_uint_eq(sum.file_bytes_allocated,
                      helper_call.bytes + raw_malloc.bytes + local_call.bytes);
    ck_assert_uint_eq(sum.file_bytes_live, helper_call.live + raw_malloc.live + local_call.live);
    /* The profile report counts runtime allocations only: the helper's. */
    ck_assert_uint_eq(r.objects_allocated, helper_call.objects);
    free(text);
    gcp_line_report_free(lines);
}
END_TEST

/* The table needs a profile of its own: one that runs is left as it was. */
START_TEST(test_refused_while_a_heap_profile_samples)
{
    gcp_line_report *lines = (gcp_line_report *)1;
    gcp_report r;

    ck_assert_int_eq(gcp_heap_profile_start(NULL), 0);
    ck_assert_int_eq(GCP_PROFILE_LINES_BY_CALLER("x", tu_other_closure, &(size_t){1}, NULL, &r,
                                                 &lines),
                     GCP_ESTATE);
    ck_assert_ptr_null(lines);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "already samples"));
    ck_assert_int_eq(gcp_heap_profile_stop(), 0); /* still the program's, still running */
}
END_TEST

/* Its samples were its own: a later write finds no profile. */
START_TEST(test_leaves_no_profile_behind)
{
    gcp_line_report *lines = NULL;
    gcp_report r;
    size_t keep = 10;

    ck_assert_int_eq(GCP_PROFILE_LINES_BY_CALLER("other", tu_other_closure, &keep, NULL, &r, &lines),
                     0);
    gcp_line_report_free(lines);
    ck_assert_int_eq(gcp_heap_profile_write("never-written.raw", GCP_HEAP_FORMAT_RAW), GCP_ESTATE);
    ck_assert_int_ne(access("never-written.raw", F_OK), 0);
    tu_assert_heap_profile_free(); /* a profile can start afresh */
}
END_TEST

/* The closure's file is not the caller's: its rows are shown at their
 * own lines, and the report says the caller's file allocated nothing. */
START_TEST(test_closure_in_another_file)
{
    gcp_line_report *lines = NULL;
    gcp_line_summary sum;
    gcp_report r;
    size_t keep = 50;

    ck_assert_int_eq(GCP_PROFILE_LINES_BY_CALLER("other", tu_other_closure, &keep, NULL, &r, &lines),
                     0);
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum), 0);
    ck_assert_uint_ne(sum.flags & GCP_LINES_FILE_UNMATCHED, 0);
    ck_assert_uint_eq(sum.allocations, tu_other.kept_objects + tu_other.dropped_objects);
    ck_assert_uint_eq(sum.bytes_allocated, tu_other.kept_bytes + tu_other.dropped_bytes);
    ck_assert_uint_eq(sum.bytes_live, tu_other.kept_bytes);
    char *text = render(lines);
    ck_assert_msg(strstr(text, tu_other_file), "no rows of lines_other.c:\n%s", text);
    free(text);
    gcp_line_report_free(lines);
}
END_TEST

START_TEST(test_bad_arguments)
{
    gcp_line_report *lines = NULL;
    gcp_report r;

    ck_assert_int_eq(gcp_profile_lines_by_caller("x", tu_other_closure, NULL, NULL, NULL, &r,
                                                 &lines),
                     GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "file is NULL"));
    ck_assert_int_eq(gcp_profile_lines_by_caller("x", tu_other_closure, NULL, NULL, __FILE__, NULL,
                                                 &lines),
                     GCP_EINVAL);
    ck_assert_int_eq(
        gcp_profile_lines_by_caller("x", tu_other_closure, NULL, NULL, __FILE__, &r, NULL),
        GCP_EINVAL);
    ck_assert_int_eq(gcp_profile_lines_by_caller("x", NULL, NULL, NULL, __FILE__, &r, &lines),
                     GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "fn is NULL"));
}
END_TEST

/* The profile is the library's while the closure runs: the program's stop
 * and write are refused, and the table is whole. */
static int stop_rc, write_rc;

static int tries_to_stop(void *env)
{
    stop_rc = gcp_heap_profile_stop();
    write_rc = gcp_heap_profile_write("never-written.raw", GCP_HEAP_FORMAT_RAW);
    return tu_other_closure(env);
}

START_TEST(test_the_profile_is_not_the_programs)
{
    gcp_line_report *lines = NULL;
    gcp_line_summary sum;
    gcp_report r;
    size_t keep = 20;

    ck_assert_int_eq(
        GCP_PROFILE_LINES_BY_CALLER("stopper", tries_to_stop, &keep, NULL, &r, &lines), 0);
    ck_assert_int_eq(stop_rc, GCP_ESTATE);
    ck_assert_int_eq(write_rc, GCP_ESTATE);
    ck_assert_int_ne(access("never-written.raw", F_OK), 0);
    ck_assert_int_eq(gcp_line_report_summary(lines, &sum, sizeof sum), 0);
    ck_assert_uint_eq(sum.bytes_allocated, tu_other.kept_bytes + tu_other.dropped_bytes);
    gcp_line_report_free(lines);
}
END_TEST

/* Without the pprof module the closure does not run at all: the error
 * comes first, not after the work. */
static int runs;

static int counted(void *env)
{
    (void)env;
    runs++;
    return 0;
}

START_TEST(test_no_module_is_said_before_the_closure_runs)
{
    gcp_line_report *lines = NULL;
    gcp_report r;

    tu_pprof_module_away();
    runs = 0;
    int rc = GCP_PROFILE_LINES_BY_CALLER("x", counted, NULL, NULL, &r, &lines);
    tu_pprof_module_back();
    ck_assert_int_eq(rc, GCP_ENOTFOUND);
    ck_assert_int_eq(runs, 0);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), TU_NO_PPROF_MODULE));
    tu_assert_heap_profile_free(); /* none left sampling */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lines_by_caller");
    TCase *core = tcase_create("core");

    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_helpers_charged_to_the_callers_line);
    tcase_add_test(core, test_refused_while_a_heap_profile_samples);
    tcase_add_test(core, test_leaves_no_profile_behind);
    tcase_add_test(core, test_closure_in_another_file);
    tcase_add_test(core, test_bad_arguments);
    tcase_add_test(core, test_the_profile_is_not_the_programs);
    tcase_add_test(core, test_no_module_is_said_before_the_closure_runs);
    suite_add_tcase(s, core);
    return tu_run(s);
}
