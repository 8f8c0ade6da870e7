/*
 * leak.c - does an operation leave memory behind each time it runs?
 *
 * Run it warmup + iterations times. After each measured run: clear the
 * dead stack the run left, collect fully, and take a census of the live
 * runtime objects (exact, see doc/profiler.md). Then fit a least-squares
 * line to live bytes (and objects) against the run index: its slope is
 * the growth per run. The census counts exactly what the collector kept,
 * so an operation that keeps nothing gives a flat line (slope 0) and one
 * that keeps k bytes per run gives slope k, not an estimate.
 *
 * The slope describes the growth; it does not decide the verdict. A
 * least-squares slope moves with anything that varies: a live set that
 * alternates between 0 and 100 KiB has a slope of +-342 B over 30 runs,
 * by phase alone, and a bounded cache with entries of random sizes wanders
 * above the default threshold of 16 B in one run of three. A leak is
 * memory kept for good, so the verdict asks for growth that persists:
 *
 *   split the n measurements into quarters (q = max(1, n / 4) each):
 *   the first is left for caches to fill; E is the second quarter
 *   (the q measurements just before n / 2), L the last q.
 *   grew = min(L) - max(E), over span d = first of L - last of E;
 *   fall = the largest drop of live bytes from E on (max over i < j of
 *          live[i] - live[j], both from E's first on);
 *   has_leak  <=>  grew - fall > 0  and  grew - fall >= threshold * d.
 *
 * Every late measurement must sit above every early one by the threshold
 * per run in between, and by more than the live set was seen to give
 * back. A leak never gives anything back, so a fall is the bounded part
 * of the live set moving, and a rise no larger than a fall may be that
 * part moving too: a cache of random-size entries replaced at random
 * wanders like a random walk over a 30-run window, flagged in 15% of runs
 * without this term and 4% with it (doc/profiler.md).
 *
 * A steady leak of k bytes gives grew = k * d and fall = 0 exactly, so it
 * is found when k >= threshold (>=: a leak of exactly the threshold is
 * found). Anything that stops growing by n / 2 (a cache filling, a
 * plateau, an alternation, a shrinking set) has min(L) <= max(E) and is
 * never flagged. A leak under a live set varying by R is found when
 * (k - threshold) * d >= 2R or so; more iterations widen d. Measurements
 * with no trend, in random order, pass the ordering with chance at most
 * 1 / C(2q, q) (1 / 3432 at n = 30): reported as p_value.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "collect.h"
#include "gate.h"
#include "leak_sites.h"
#include "leak_stacks.h"

#define DEFAULT_ITERATIONS 30
#define DEFAULT_WARMUP     3
#define DEFAULT_THRESHOLD  16.0

void gcp_leak_options_init(gcp_leak_options *opt)
{
    if (opt)
        memset(opt, 0, sizeof *opt); /* zero is every field's default */
}

/* The options with each 0 replaced by its default (opt NULL: all). */
static gcp_leak_options resolve_options(const gcp_leak_options *opt)
{
    gcp_leak_options o = {0};

    if (opt)
        o = *opt;
    if (o.iterations == 0)
        o.iterations = DEFAULT_ITERATIONS;
    if (o.warmup == 0)
        o.warmup = DEFAULT_WARMUP;
    else if (o.warmup == GCP_LEAK_NO_WARMUP)
        o.warmup = 0;
    if (o.threshold_bytes == 0)
        o.threshold_bytes = DEFAULT_THRESHOLD;
    return o;
}

/* ---- the line ------------------------------------------------------ */

/* A running least-squares fit of y against x = 0, 1, 2, ...: Welford's
 * updates of the means and centred sums, in long double, so large
 * baselines (a big live heap) do not swamp small slopes. */
typedef struct fit {
    long double n, mean_x, mean_y;
    long double sxx, syy, sxy; /* centred sums of squares and products */
} fit;

static void fit_add(fit *f, double y)
{
    long double x = f->n; /* the index of this point */

    f->n += 1;
    long double dx = x - f->mean_x, dy = (long double)y - f->mean_y;
    f->mean_x += dx / f->n;
    f->mean_y += dy / f->n;
    f->sxx += dx * (x - f->mean_x);
    f->syy += dy * ((long double)y - f->mean_y);
    f->sxy += dx * ((long double)y - f->mean_y);
}

/* Slope and R² of the fitted line. When y does not vary, the flat line
 * fits perfectly: slope 0, R² 1. */
static void fit_result(const fit *f, double *slope, double *r2)
{
    if (f->syy == 0 || f->sxx == 0) {
        *slope = 0;
        *r2 = 1;
        return;
    }
    long double r = f->sxy * f->sxy / (f->sxx * f->syy);
    *slope = (double)(f->sxy / f->sxx);
    *r2 = r > 1 ? 1.0 : r < 0 ? 0.0 : (double)r;
}

/* ---- the verdict: growth that persists --------------------------- */

/* The two windows of the rule above, for n >= 3 measurements. */
typedef struct persist {
    size_t e0, e1, l0; /* E = [e0, e1), L = [l0, n) */
    uint64_t max_e, min_l;
    uint64_t high, fall; /* highest from E on, and the largest drop below it */
} persist;

static void persist_init(persist *p, size_t n)
{
    size_t q = n / 4 > 1 ? n / 4 : 1;

    p->e1 = n / 2;
    p->e0 = p->e1 - q;
    p->l0 = n - q;
    p->max_e = 0;
    p->min_l = UINT64_MAX;
    p->high = p->fall = 0;
}

static void persist_add(persist *p, size_t k, uint64_t live)
{
    if (k >= p->e0 && k < p->e1 && live > p->max_e)
        p->max_e = live;
    if (k >= p->l0 && live < p->min_l)
        p->min_l = live;
    if (k < p->e0)
        return;
    if (live > p->high)
        p->high = live;
    if (p->high - live > p->fall)
        p->fall = p->high - live;
}

/* 1 / C(2q, q): the chance that 2q exchangeable values put the last q
 * above the first q. 0 once it underflows. */
static double ordering_chance(size_t q)
{
    double c = 1;

    for (size_t i = 1; i <= q; i++) {
        c = c * (double)(q + i) / (double)i;
        if (c > 1e300)
            return 0;
    }
    return 1 / c;
}

static void persist_result(const persist *p, double threshold, gcp_leak_report *out)
{
    uint64_t span = p->l0 - (p->e1 - 1);
    int64_t grew = p->min_l >= p->max_e ? (int64_t)(p->min_l - p->max_e)
                                        : -(int64_t)(p->max_e - p->min_l);

    /* Live byte counts are far below 2^62: no overflow in the difference. */
    int64_t kept = grew - (int64_t)p->fall;

    out->persistent_bytes = grew;
    out->fall_bytes = p->fall;
    out->persistent_span = (size_t)span;
    out->persistent_per_iteration = (double)kept / (double)span;
    out->p_value = ordering_chance(p->e1 - p->e0);
    /* kept against threshold * span, not the quotient: no rounding, so a
     * steady leak of exactly the threshold is found. */
    out->has_leak = kept > 0 && (double)kept >= threshold * (double)span;
}

/* ---- measuring ----------------------------------------------------- */

/* A full collection (marked forced for the monitor, on cleared stack),
 * then the census, after it. The one collect step itself, without
 * gcp__collect's timing and in-collection census: under ASan, those
 * extra live values in this frame made the check keep one or two dead
 * 64-byte objects (check_assertions, test_growth_exact); the leak check
 * runs no hook of its own for an in-collection census anyway. */
static void collect_and_count(gcp__counts *live)
{
    gcp__collect_forced(0);
    gcp__census(live, NULL);
}

static int check_options(const gcp_leak_options *opt)
{
    if (opt->iterations < 3)
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: iterations must be >= 3, got %zu",
                         opt->iterations);
    if (!isfinite(opt->threshold_bytes) || opt->threshold_bytes < 0)
        return gcp__fail(GCP_EINVAL,
                         "gcp_leak_check: threshold_bytes must be finite and >= 0, got %g",
                         opt->threshold_bytes);
    if (opt->warmup > SIZE_MAX - opt->iterations)
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: warmup + iterations overflows size_t");
    if (opt->flags & ~(uint32_t)GCP_LEAK_BY_STACK)
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: unknown flags 0x%x in opt->flags",
                         (unsigned)(opt->flags & ~(uint32_t)GCP_LEAK_BY_STACK));
    if (opt->reserved32_ || !gcp__zero(opt->reserved_, sizeof opt->reserved_))
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: opt->reserved_ is not zero (start from {0})");
    return 0;
}

static void report_init(gcp_leak_report *out, const char *name)
{
    uint64_t *live_bytes = out->live_bytes; /* the caller's array, kept */

    memset(out, 0, sizeof *out);
    out->live_bytes = live_bytes;
    if (!name)
        name = "(anonymous)";
    gcp__utf8_copy(out->name, sizeof out->name, name);
}

/* The check proper, in a frame of its own that gcp_leak_check creates only
 * after clearing the dead stack (as gcp_profile does with gcp__profile_run).
 * This frame stays live through every measured collection, and the slots
 * it never writes (defaults when opt is given, alignment, ASan's redzones)
 * keep whatever earlier code left there: measured under ASan, block
 * addresses that bdwgc's allocator stored while the caller's own calls of
 * fn ran just before us pinned the ring later built in that block (16 KiB
 * counted live, never dropped), or a slot the operation then dropped. */
static __attribute__((noinline)) int leak_run(const char *name, gcp_fn fn, void *env,
                                              const gcp_leak_options *opt, gcp_leak_report *out)
{
    fit bytes = {0}, objects = {0};
    persist growth;
    gcp__site_growth sites;
    gcp__stack_growth stacks;
    int by_stack = (opt->flags & GCP_LEAK_BY_STACK) != 0, by_site, rc;
    gcp__gated gated = {fn, env};

    report_init(out, name);
    gcp__site_growth_init(&sites);
    by_site = !by_stack && gcp_sites_track(-1);
    if (by_stack && (rc = gcp__stack_growth_start(&stacks)) != 0)
        return rc;

    size_t n = opt->iterations;
    persist_init(&growth, n);
    for (size_t i = 0; i < opt->warmup + n; i++) {
        /* Through the gate when stacks are read: they end there. */
        int status = by_stack ? gcp__gate_run(&gated) : fn(env);
        if (status != 0 && out->status == 0)
            out->status = status;
        if (i < opt->warmup)
            continue;
        /* Here, right where fn's frames were: wipe what it left there. */
        gcp__clear_own_frames();
        if (GC_is_disabled()) { /* by fn: the census would repeat stale marks */
            gcp__site_growth_free(&sites);
            if (by_stack)
                gcp__stack_growth_finish(&stacks, 0, NULL);
            return gcp__fail(GCP_EINVAL, "gcp_leak_check: collection was disabled during run %zu",
                             i + 1);
        }
        gcp__counts live;
        collect_and_count(&live);
        size_t k = i - opt->warmup;
        if (by_stack && gcp__stack_growth_add(&stacks, k, &live.bytes, &live.objects) < 0) {
            gcp__stack_growth_finish(&stacks, 0, NULL);
            return gcp__fail(GCP_ENOMEM, "gcp_leak_check: no memory for the stacks' counts");
        }
        if (out->live_bytes)
            out->live_bytes[k] = live.bytes;
        if (k == 0)
            out->live_bytes_first = live.bytes;
        out->live_bytes_last = live.bytes;
        fit_add(&bytes, (double)live.bytes);
        fit_add(&objects, (double)live.objects);
        persist_add(&growth, k, live.bytes);
        if (by_site && gcp__site_growth_add(&sites, k) < 0) {
            by_site = 0; /* out of memory: the verdict stands, unnamed */
            gcp__log(GCP_LOG_WARN,
                     "gcp_leak_check '%s': out of memory for the site records: "
                     "the verdict names no site",
                     out->name);
        }
    }

    double unused_r2;
    out->iterations = n;
    fit_result(&bytes, &out->bytes_per_iteration, &out->r_squared);
    fit_result(&objects, &out->objects_per_iteration, &unused_r2);
    persist_result(&growth, opt->threshold_bytes, out);
    if (by_site)
        gcp__site_growth_result(&sites, opt->threshold_bytes, out);
    gcp__site_growth_free(&sites);
    return by_stack ? gcp__stack_growth_finish(&stacks, opt->threshold_bytes, out) : 0;
}

/* out->live_bytes, when not NULL, must have opt->iterations slots. */
int gcp_leak_check(const char *name, gcp_fn fn, void *env, const gcp_leak_options *opt,
                   gcp_leak_report *out)
{
    GCP__REFUSE_IN_HOOK("gcp_leak_check");
    if (!fn)
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: fn is NULL");
    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: out is NULL");
    gcp_leak_options o = resolve_options(opt);
    int rc = check_options(&o);
    if (rc < 0)
        return rc;
    gcp_init();
    if (GC_is_disabled())
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: collection is disabled (GC_disable), "
                                     "nothing can be measured");
    gcp__clear_own_frames(); /* where leak_run's frame goes */
    rc = leak_run(name, fn, env, &o, out);
    __asm__ volatile("" : : : "memory"); /* a call, not a jump into our frame */
    return rc;
}

/* Both collections run while this frame is live: made after the clearing,
 * as leak_run's is, so its unwritten slots (ASan's redzones around live)
 * hold nothing from before. */
static __attribute__((noinline)) int live_growth_run(gcp_fn fn, void *env, gcp_live_counts *before,
                                                     gcp_live_counts *after, int *status)
{
    gcp__counts live;

    collect_and_count(&live);
    memset(before, 0, sizeof *before);
    before->objects = live.objects;
    before->bytes = live.bytes;
    int rc = fn(env);
    gcp__clear_own_frames(); /* right where fn's frames were */
    if (status)
        *status = rc; /* fn ran: its status stands whatever follows */
    if (GC_is_disabled())
        return gcp__fail(GCP_EINVAL, "gcp_live_growth: collection was disabled by fn");
    collect_and_count(&live);
    memset(after, 0, sizeof *after);
    after->objects = live.objects;
    after->bytes = live.bytes;
    return 0;
}

int gcp_live_growth(gcp_fn fn, void *env, gcp_live_counts *before, gcp_live_counts *after,
                    int *status)
{
    GCP__REFUSE_IN_HOOK("gcp_live_growth");
    if (!fn)
        return gcp__fail(GCP_EINVAL, "gcp_live_growth: fn is NULL");
    if (!before || !after)
        return gcp__fail(GCP_EINVAL, "gcp_live_growth: %s is NULL", before ? "after" : "before");
    gcp_init();
    if (GC_is_disabled())
        return gcp__fail(GCP_EINVAL, "gcp_live_growth: collection is disabled (GC_disable), "
                                     "nothing can be measured");
    gcp__clear_own_frames(); /* what earlier code left where fn and our frame will run */
    int rc = live_growth_run(fn, env, before, after, status);
    __asm__ volatile("" : : : "memory"); /* a call, not a jump into our frame */
    return rc;
}
