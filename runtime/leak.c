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
 * The slope is over the whole measured window: growth that stops partway
 * (a cache filling up to its cap) still counts. Warm such caches up
 * with opt->warmup so that they are full before measuring begins.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "leak_sites.h"

void gcp_leak_options_init(gcp_leak_options *opt)
{
    if (!opt)
        return;
    opt->iterations = 30;
    opt->warmup = 3;
    opt->threshold_bytes = 16;
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

/* ---- measuring ----------------------------------------------------- */

/* A full collection (marked forced for the monitor), then the census. The
 * caller has cleared the dead stack. */
static void collect_and_count(gcp__counts *live)
{
    gcp__forced_begin();
    GC_gcollect();
    gcp__forced_end();
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
    return 0;
}

static void report_init(gcp_leak_report *out, const char *name)
{
    uint64_t *live_bytes = out->live_bytes; /* the caller's array, kept */

    memset(out, 0, sizeof *out);
    out->live_bytes = live_bytes;
    if (!name)
        name = "(anonymous)";
    size_t len = gcp__utf8_cut(name, sizeof out->name - 1);
    memcpy(out->name, name, len);
    out->name[len] = '\0';
}

/* out->live_bytes, when not NULL, must have opt->iterations slots. */
int gcp_leak_check(const char *name, gcp_fn fn, void *env, const gcp_leak_options *opt,
                   gcp_leak_report *out)
{
    gcp_leak_options defaults;
    fit bytes = {0}, objects = {0};
    gcp__site_growth sites;
    int by_site;

    if (!fn)
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: fn is NULL");
    if (!out)
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: out is NULL");
    if (!opt) {
        gcp_leak_options_init(&defaults);
        opt = &defaults;
    }
    int rc = check_options(opt);
    if (rc < 0)
        return rc;
    gcp_init();
    if (GC_is_disabled())
        return gcp__fail(GCP_EINVAL, "gcp_leak_check: collection is disabled (GC_disable), "
                                     "nothing can be measured");
    report_init(out, name);
    gcp__site_growth_init(&sites);
    by_site = gcp_sites_track(-1);

    size_t n = opt->iterations;
    for (size_t i = 0; i < opt->warmup + n; i++) {
        int status = fn(env);
        if (status != 0 && out->status == 0)
            out->status = status;
        if (i < opt->warmup)
            continue;
        /* Here, right where fn's frames were: wipe what it left there. */
        gcp__clear_dead_stack();
        if (GC_is_disabled()) { /* by fn: the census would repeat stale marks */
            gcp__site_growth_free(&sites);
            return gcp__fail(GCP_EINVAL, "gcp_leak_check: collection was disabled during run %zu",
                             i + 1);
        }
        gcp__counts live;
        collect_and_count(&live);
        size_t k = i - opt->warmup;
        if (out->live_bytes)
            out->live_bytes[k] = live.bytes;
        if (k == 0)
            out->live_bytes_first = live.bytes;
        out->live_bytes_last = live.bytes;
        fit_add(&bytes, (double)live.bytes);
        fit_add(&objects, (double)live.objects);
        if (by_site && gcp__site_growth_add(&sites, k) < 0)
            by_site = 0; /* out of memory: the verdict stands, unnamed */
    }

    double unused_r2;
    out->iterations = n;
    fit_result(&bytes, &out->bytes_per_iteration, &out->r_squared);
    fit_result(&objects, &out->objects_per_iteration, &unused_r2);
    out->has_leak = out->bytes_per_iteration > opt->threshold_bytes;
    if (by_site)
        gcp__site_growth_result(&sites, opt->threshold_bytes, out);
    gcp__site_growth_free(&sites);
    return 0;
}
