/*
 * check_heap_profile_sampled.c - the runtime's heap profiles
 * (gcp_heap_profile_start/stop/write, include/gcprof.h) sampled, as a
 * program takes them, at a rate of 4096 bytes: each site's estimates of
 * what it allocated, and the retaining site's of what is in use, within
 * five standard errors computed from the sampling probabilities of the
 * test's own allocations. The dump is read back by the test's own parser
 * (heap_profile_dump.h).
 *
 * A site is a function of this file (noinline, no clones, exported with
 * -export-dynamic): a stack belongs to it when dladdr names it for the
 * innermost return address, minus one.
 *
 * Built twice: check_heap_profile_sampled links the shared library;
 * check_heap_profile_sampled_static links the library's code itself
 * (libgcprof_core.la), whose own GC_* calls are then redirected too.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "gcprof.h"
#include "heap_profile_util.h"
#include "testutil.h"

/* ---- the default way, sampled: within five standard errors ----------------------------- */

struct stat_blob {
    void *link;
    char bytes[72];
};

/* The truth of a sampled site: exact figures, and the variance of their
 * estimates: an allocation of `requested` bytes is sampled with chance
 * p = 1 - exp(-requested / rate) and then stands for 1/p of itself, so it
 * adds size^2 (1-p)/p to the byte estimate's variance and (1-p)/p to the
 * object estimate's. */
typedef struct stat_truth {
    const char *site;
    double objects, bytes, var_objects, var_bytes, expected_samples;
    double kept_objects, kept_bytes, var_kept_bytes;
} stat_truth;

#define STAT_RATE 4096

static void stat_note(stat_truth *s, size_t requested, size_t size, int kept)
{
    double p = -expm1(-(double)requested / STAT_RATE), z = (double)size;

    s->objects += 1;
    s->bytes += z;
    s->var_objects += (1 - p) / p;
    s->var_bytes += z * z * (1 - p) / p;
    s->expected_samples += p;
    if (kept) {
        s->kept_objects += 1;
        s->kept_bytes += z;
        s->var_kept_bytes += z * z * (1 - p) / p;
    }
}

void hp_stat_sixty(stat_truth *s, int i);
void hp_stat_thirty(stat_truth *s, int i);
void hp_stat_ten(stat_truth *s, int i);

SITE void hp_stat_sixty(stat_truth *s, int i)
{
    void *p = GC_MALLOC(480);
    ck_assert_ptr_nonnull(p);
    int kept = i % 4 == 0;
    stat_note(s, 480, GC_size(p), kept);
    if (kept)
        keep_add(p);
}

SITE void hp_stat_thirty(stat_truth *s, int i)
{
    char *p = gcp_alloc_atomic(240);
    (void)i;
    ck_assert_ptr_nonnull(p);
    p[0] = 1;
    stat_note(s, 240, GC_size(p), 0);
}

SITE void hp_stat_ten(stat_truth *s, int i)
{
    struct stat_blob *p = GCP_NEW(struct stat_blob);
    (void)i;
    ck_assert_ptr_nonnull(p);
    stat_note(s, sizeof *p, GC_size(p), 0);
}

START_TEST(test_sampled_within_five_standard_errors)
{
    stat_truth st[3] = {
        {.site = "hp_stat_sixty"}, {.site = "hp_stat_thirty"}, {.site = "hp_stat_ten"}};
    hp_dump d;
    /* 800 bytes asked a round: 64 MiB in all. */
    const int rounds = (64 << 20) / 800;

    ck_assert_uint_eq(sizeof(struct stat_blob), 80);
    keep_clear();
    start_rate(STAT_RATE, 0);
    for (int i = 0; i < rounds; i++) {
        hp_stat_sixty(&st[0], i);
        hp_stat_thirty(&st[1], i);
        hp_stat_ten(&st[2], i);
    }
    collect();
    write_named("sampled.raw", &d);
    ck_assert_uint_eq(d.rate, STAT_RATE);
    for (int s = 0; s < 3; s++) {
        tally g = site_tally(&d, st[s].site, NULL);
        double se_b = sqrt(st[s].var_bytes), se_o = sqrt(st[s].var_objects);
        double db = ((double)g.v[ALLOC_BYTES] - st[s].bytes) / se_b;
        double dob = ((double)g.v[ALLOC_OBJECTS] - st[s].objects) / se_o;
        /* the relative error expected, against 1/sqrt(samples) */
        ck_assert_msg(se_b / st[s].bytes < 1.5 / sqrt(st[s].expected_samples),
                      "%s: standard error %.4f of %.0f samples", st[s].site, se_b / st[s].bytes,
                      st[s].expected_samples);
        ck_assert_msg(fabs(db) <= 5,
                      "[%s] %s: %" PRId64 " bytes estimated, %.0f true: %.2f standard errors "
                      "(%.0f)",
                      VARIANT, st[s].site, g.v[ALLOC_BYTES], st[s].bytes, db, se_b);
        ck_assert_msg(fabs(dob) <= 5,
                      "[%s] %s: %" PRId64 " objects estimated, %.0f true: %.2f standard errors",
                      VARIANT, st[s].site, g.v[ALLOC_OBJECTS], st[s].objects, dob);
    }
    /* The retaining site's in use against what the test kept. */
    tally g = site_tally(&d, st[0].site, NULL);
    double se_k = sqrt(st[0].var_kept_bytes);
    double dk = ((double)g.v[INUSE_BYTES] - st[0].kept_bytes) / se_k;
    ck_assert_msg(fabs(dk) <= 5,
                  "[%s] %s: %" PRId64 " bytes in use estimated, %.0f kept: %.2f standard errors",
                  VARIANT, st[0].site, g.v[INUSE_BYTES], st[0].kept_bytes, dk);
    hp_dump_free(&d);
    keep_clear();
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

int main(void)
{
    Suite *s = suite_create("heap_profile_sampled");
    TCase *sampled = hp_tcase(s, "sampled", 120);

    tcase_add_test(sampled, test_sampled_within_five_standard_errors);
    return tu_run(s);
}
