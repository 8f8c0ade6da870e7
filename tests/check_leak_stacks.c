/*
 * check_leak_stacks.c - the leak check by call stack (GCP_LEAK_BY_STACK):
 * a leak of the program's own GC_MALLOC, through a helper that a leaking
 * and a clean caller share, is found and named by its stack, with the
 * growth the test kept (GC_size per run), where the check by site sees no
 * leak at all.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <check.h>
#include <gc/gc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcprof.h"
#include "leak_helper.h"
#include "testutil.h"

#define OBJ_BYTES 1000

static void *volatile kept[1024];
static size_t n_kept;

/* Keeps one helper object per run: the leak. */
__attribute__((noinline)) static void leak_via_a(void)
{
    kept[n_kept++ % 1024] = tu_leak_helper(OBJ_BYTES);
}

/* Drops one per run: the same line of the helper, no leak. */
__attribute__((noinline)) static void drop_via_b(void)
{
    tu_sink = tu_leak_helper(OBJ_BYTES);
    tu_sink = NULL;
}

static int leaky_operation(void *env)
{
    (void)env;
    leak_via_a();
    drop_via_b();
    return 0;
}

/* A cache of 3 objects, filled in the warmup runs (3 by default) and then
 * kept as is; each run makes garbage too. */
void *volatile tu_cache[3]; /* not static: a root the compiler must keep */

static int filling_cache(void *env)
{
    static size_t runs;

    (void)env;
    if (runs < 3)
        tu_cache[runs] = tu_leak_helper(OBJ_BYTES);
    runs++;
    tu_sink = tu_leak_helper(64);
    tu_sink = NULL;
    return 0;
}

static const gcp_leak_options by_stack = {.flags = GCP_LEAK_BY_STACK};

START_TEST(test_raw_malloc_leak_named_by_its_stack)
{
    gcp_leak_report r = {0};
    uint64_t live[30]; /* the default iterations */

    n_kept = 0;
    r.live_bytes = live;
    int rc = gcp_leak_check("leaky", leaky_operation, NULL, &by_stack, &r);
    ck_assert_msg(rc == 0, "%s", gcp_last_error());
    size_t one = GC_size(kept[0]); /* what each run keeps, by the collector's size */
    /* Live, by stack, is what the check's runs allocated and kept: after
     * measured run k, the 3 warm-up runs' objects and k + 1 more. */
    ck_assert_uint_eq(r.iterations, 30);
    for (size_t k = 0; k < 30; k++)
        ck_assert_msg(live[k] == (3 + k + 1) * one, "run %zu: %llu live, kept %zu", k,
                      (unsigned long long)live[k], (3 + k + 1) * one);
    ck_assert_msg(r.has_leak, "no leak found");
    ck_assert_double_eq_tol(r.persistent_per_iteration, (double)one, 1e-9);
    ck_assert_uint_ge(r.n_sites, 1);
    ck_assert_double_eq_tol(r.sites[0].bytes_per_iteration, (double)one, 1e-6);
    ck_assert_str_eq(r.sites[0].func, "tu_leak_helper");
    ck_assert_msg(strstr(r.sites[0].file, "leak_helper.c"), "site file %s", r.sites[0].file);
    const char *stack = gcp_leak_report_stack(&r, 0);
    ck_assert_ptr_nonnull(stack);
    ck_assert_msg(strncmp(stack, "tu_leak_helper (", 16) == 0, "stack:\n%s", stack);
    ck_assert_msg(strstr(stack, "\nleak_via_a ("), "not through leak_via_a:\n%s", stack);
    ck_assert_msg(strstr(stack, "\nleaky_operation ("), "no operation frame:\n%s", stack);
    ck_assert_msg(!strstr(stack, "drop_via_b"), "the clean caller's stack:\n%s", stack);
    ck_assert_msg(!strstr(stack, "leak_run") && !strstr(stack, "main"),
                  "frames beyond the operation:\n%s", stack);
    for (size_t i = 1; i < r.n_sites; i++) /* any other: slower, and not the leak's stack */
        ck_assert(r.sites[i].bytes_per_iteration < r.sites[0].bytes_per_iteration);

    char *text = NULL, *json = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    ck_assert_int_eq(gcp_leak_report_print(fp, &r), 0);
    fclose(fp);
    ck_assert_msg(strstr(text, "\n        at leak_via_a ("), "print:\n%s", text);
    fp = open_memstream(&json, &len);
    ck_assert_int_eq(gcp_leak_report_write_json(fp, &r), 0);
    fclose(fp);
    ck_assert_msg(strstr(json, "\"stack\": [\"tu_leak_helper ("), "json:\n%s", json);
    free(text);
    free(json);

    gcp_leak_report_release(&r);
    ck_assert_ptr_null(gcp_leak_report_stack(&r, 0));
    ck_assert_uint_eq(r.n_sites, 0);
    gcp_leak_report_release(&r); /* twice is fine */
    gcp_leak_report_release(NULL);
}
END_TEST

/* The control: by site, the runtime's census does not see GC_MALLOC. */
START_TEST(test_by_site_is_blind_to_raw_malloc)
{
    gcp_leak_report r = {0};

    n_kept = 0;
    ck_assert_int_eq(gcp_leak_check("leaky", leaky_operation, NULL, NULL, &r), 0);
    ck_assert_int_eq(r.has_leak, 0);
    ck_assert_ptr_null(gcp_leak_report_stack(&r, 0));
}
END_TEST

START_TEST(test_filled_cache_is_no_leak)
{
    gcp_leak_report r = {0};

    ck_assert_int_eq(gcp_leak_check("cache", filling_cache, NULL, &by_stack, &r), 0);
    ck_assert_int_eq(r.has_leak, 0);
    ck_assert_uint_eq(r.n_sites, 0);
    gcp_leak_report_release(&r);
}
END_TEST

START_TEST(test_bad_options_and_state)
{
    gcp_leak_report r = {0};
    gcp_leak_options o = {.flags = 1u << 7};

    ck_assert_int_eq(gcp_leak_check("x", filling_cache, NULL, &o, &r), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "unknown flags 0x80"));
    o = (gcp_leak_options){.reserved32_ = 1};
    ck_assert_int_eq(gcp_leak_check("x", filling_cache, NULL, &o, &r), GCP_EINVAL);
    ck_assert_int_eq(gcp_heap_profile_start(NULL), 0);
    ck_assert_int_eq(gcp_leak_check("x", filling_cache, NULL, &by_stack, &r), GCP_ESTATE);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "already samples"));
    ck_assert_int_eq(gcp_heap_profile_stop(), 0); /* the program's, still running till here */
    ck_assert_ptr_null(gcp_leak_report_stack(NULL, 0));
}
END_TEST

/* Without the pprof module the check says so before any run. */
static int runs;

static int counted(void *env)
{
    (void)env;
    runs++;
    return 0;
}

START_TEST(test_no_module_is_said_before_any_run)
{
    gcp_leak_report r = {0};

    tu_pprof_module_away();
    ck_assert_int_eq(gcp_leak_check("x", counted, NULL, &by_stack, &r), GCP_ENOTFOUND);
    tu_pprof_module_back();
    ck_assert_int_eq(runs, 0);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), TU_NO_PPROF_MODULE));
    tu_assert_heap_profile_free();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("leak_stacks");
    TCase *core = tcase_create("core");

    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_raw_malloc_leak_named_by_its_stack);
    tcase_add_test(core, test_by_site_is_blind_to_raw_malloc);
    tcase_add_test(core, test_filled_cache_is_no_leak);
    tcase_add_test(core, test_bad_options_and_state);
    tcase_add_test(core, test_no_module_is_said_before_any_run);
    suite_add_tcase(s, core);
    return tu_run(s);
}
