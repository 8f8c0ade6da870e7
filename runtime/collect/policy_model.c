/*
 * policy_model.c - when a collection pays. The adaptive auto_gc mode and
 * gcp_gc_point() ask the same question from cheap signals: how much was
 * allocated since the last collection against the live heap it left
 * (garbage can be at most that), what a collection would cost now (the
 * recent collections' time per MiB of heap, times the heap), how close RSS
 * is to threshold_mb or to what the cgroup's memory limit leaves this
 * process (the limit less what the rest of the cgroup uses), how long
 * ago the last collection was (a cost paid rarely is cheap per second of
 * work), and at a gc point whether the heap has room for what the
 * program allocates until the next one (the most it allocated between
 * recent gc points).
 *
 * Room is what keeps the peak down: garbage that fits in free space the
 * heap already has costs no RSS and can wait, while a collection that
 * saves the heap from growing lowers the peak. A gc point marks the end of
 * a unit of work, where the live heap is smallest and a collection
 * cheapest, and the units' allocation predicts the next one's. Inside a
 * profile nothing says what comes next, so the room rule is not used
 * there (measured on demos/pipeline: it added collections and saved no
 * peak).
 *
 * A GC-time budget bounds what all this costs: collections (bdwgc's
 * automatic ones and the policy's) take at most a share of wall time;
 * the policy's own rules for the peak run only while it lasts, the pacer
 * spends the rest on bdwgc's divisor (policy_pacer.c), and past it only a
 * memory bound makes it collect, saying "over budget" (measured before the budget, on
 * a request loop with a gc point after each request: 1030 collections at
 * 2000 points, 11.2x the time of auto_gc off).
 *
 * The event hook leaves each collection's figures in policy_note.c.
 * Collections it did not see (no profile was running) are noticed through GC_get_gc_no;
 * their live heap is then estimated as the heap in use minus what was
 * allocated since.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "collect.h"
#include "cgroup.h"
#include "units.h"
#include "policy.h"

/* Below this, a heap's ratios mean nothing: a collection costs ~0.1 ms. */
#define LIVE_FLOOR (4 * GCP__MIB)
/* Less garbage than this is not worth a collection at all. */
#define TRIVIAL_BYTES (256 * 1024)
/* Allocated this many times the live heap: collect even with room. */
#define GROWTH_RATIO 4.0
/* Room wanted for the expected allocation: blocks do not fill perfectly
 * (measured on demos/pipeline: 1.0 let the heap ratchet up, 1.5 held the
 * peak with fewer collections than 2.0). */
#define ROOM_MARGIN 1.5
/* Stretches between decisions whose allocation predicts the next one's
 * (the most of them). */
#define HISTORY 8
/* Allocated at least this share of the live heap, and a collection costs
 * at most CHEAP_SHARE of the time since the last one: collect. */
#define CHEAP_RATIO 0.25
#define CHEAP_SHARE 0.02
/* RSS this close to threshold_mb: collect whatever it costs. */
#define THRESHOLD_NEAR 0.9
/* Least growth a hold allows in adaptive mode. */
#define HOLD_MIN_GROWTH (8 * GCP__MIB)
/* Idle this long since the last collection: also give memory back. */
#define IDLE_S 1.0

/* A collection the hook missed: when we first noticed it. And how much
 * was allocated between recent decisions. */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

void gcp__gc_policy_after_fork(void)
{
    pthread_mutex_init(&state_lock, NULL);
}
static uint64_t unseen_gc_no, unseen_since_ns;

/* The bytes allocated in the last HISTORY stretches between two readings
 * of the allocation total, a ring (under state_lock). */
typedef struct spans {
    uint64_t bytes[HISTORY], from;
    unsigned next;
} spans;

/* Between two gc points: what the next interval is expected to allocate
 * (the room rule). Between two decisions that read RSS (a profile's two
 * edges, two gc points): what the next unit of work may add to the heap's
 * RSS before anyone decides again, however bdwgc finds the room (RSS
 * stays flat while the heap has free space, then one refill past it maps
 * a third of the heap at once, which the program fills). */
static spans between_points, between_rss_decisions;

/* Close the stretch since sp's previous reading at total; the most of the
 * recent ones. */
static uint64_t close_span(spans *sp, uint64_t total)
{
    uint64_t most = 0;

    pthread_mutex_lock(&state_lock);
    if (sp->from != 0 && total > sp->from)
        sp->bytes[sp->next++ % HISTORY] = total - sp->from;
    sp->from = total;
    for (int i = 0; i < HISTORY; i++)
        most = sp->bytes[i] > most ? sp->bytes[i] : most;
    pthread_mutex_unlock(&state_lock);
    return most;
}

/* The last GCP__GROWTH_KEPT profiles' RSS growth, a ring. */
static _Atomic uint64_t growths[GCP__GROWTH_KEPT];
static _Atomic unsigned growth_next;

void gcp__gc_policy_growth(uint64_t rss_before, uint64_t rss_after)
{
    unsigned i = atomic_fetch_add_explicit(&growth_next, 1, memory_order_relaxed);

    atomic_store_explicit(&growths[i % GCP__GROWTH_KEPT],
                          rss_after > rss_before ? rss_after - rss_before : 0,
                          memory_order_relaxed);
}

static uint64_t recent_growth(void)
{
    uint64_t most = 0;

    for (int i = 0; i < GCP__GROWTH_KEPT; i++) {
        uint64_t g = atomic_load_explicit(&growths[i], memory_order_relaxed);
        most = g > most ? g : most;
    }
    return most;
}

static double predicted_cost(uint64_t live)
{
    double mib = (double)live / (double)GCP__MIB;

    return gcp__gc_cost_per_mib_s() * (mib > 1.0 ? mib : 1.0);
}

/* When the collection numbered gc_no was first noticed here. */
static uint64_t noticed_at(uint64_t gc_no, uint64_t now)
{
    uint64_t since;

    pthread_mutex_lock(&state_lock);
    if (unseen_gc_no != gc_no) {
        unseen_gc_no = gc_no;
        unseen_since_ns = now;
    }
    since = unseen_since_ns;
    pthread_mutex_unlock(&state_lock);
    return since;
}

void gcp__gc_signals_read(gcp__gc_signals *s, uint64_t rss, const gcp__gc_goals *g, int at_point)
{
    uint64_t gc_no = GC_get_gc_no(), now;

    gcp__fast_clock_init();
    now = gcp__fast_ns();
    memset(s, 0, sizeof *s);
    s->allocated = (uint64_t)GC_get_bytes_since_gc();
    s->free = (uint64_t)GC_get_free_bytes();
    /* One reading of the allocation total (a plain read in bdwgc 8.2.2)
     * closes both stretches. */
    uint64_t total = at_point || rss > 0 ? (uint64_t)GC_get_total_bytes() : 0;
    s->expected = at_point ? close_span(&between_points, total) : 0;
    s->disabled = GC_is_disabled();
    s->rss = rss;
    s->threshold = rss > 0 ? g->threshold : 0;
    s->limit = rss > 0 ? g->limit : 0;
    s->budget = g->budget;
    if (rss > 0) {
        gcp__cgroup_reading cg;
        gcp__cgroup_now(now, rss, &cg); /* the clock read once */
        s->cgroup_limit = cg.limit;
        s->cgroup_usage = cg.usage;
        s->cgroup_others = cg.others;
    }
    uint64_t end, live;
    if (gcp__gc_policy_seen(gc_no, &end, &live)) {
        s->live = live;
        s->since_s = now > end ? (double)(now - end) / 1e9 : 0;
    } else {
        uint64_t in_use = gcp__heap_in_use();
        s->live = in_use > s->allocated ? in_use - s->allocated : 0;
        s->since_s = (double)(now - noticed_at(gc_no, now)) / 1e9;
    }
    s->predicted_s = predicted_cost(s->live);
    if (g->budget > 0)
        s->budget_left_s = gcp__gc_budget_left(g->budget, s->predicted_s, now);
    if (rss > 0) {
        uint64_t grew = recent_growth(), span = close_span(&between_rss_decisions, total);
        s->rss_growth = grew > span ? grew : span;
    }
}

static int say(int verdict, char *reason, size_t n, const char *fmt, ...) GCP_PRINTF(4, 5);
static int say(int verdict, char *reason, size_t n, const char *fmt, ...)
{
    va_list ap;

    if (n > 0) {
        va_start(ap, fmt);
        vsnprintf(reason, n, fmt, ap);
        va_end(ap);
    }
    return verdict;
}

/* MiB to one decimal, rounded down or up: a printed comparison then reads
 * the way it went ("14.9 MiB free is short of the 15.0 MiB needed", never
 * 15.0 of 15.0). */
static double mib_down(uint64_t bytes)
{
    return floor((double)bytes / (double)GCP__MIB * 10) / 10;
}

static double mib_up(uint64_t bytes)
{
    return ceil((double)bytes / (double)GCP__MIB * 10) / 10;
}

/* The RSS to stay under, in *bound: the lowest of threshold_mb,
 * memory_limit_mb and what the cgroup's limit leaves this process (*cgroup
 * set when that one), with the setting's name in *name. Returns 0 when
 * none is known (a cgroup limit is read only with RSS). */
static int rss_bound(const gcp__gc_signals *s, uint64_t *bound, int *cgroup, const char **name)
{
    uint64_t left = s->cgroup_limit > s->cgroup_others ? s->cgroup_limit - s->cgroup_others : 0;

    *bound = UINT64_MAX;
    *cgroup = 0;
    *name = "";
    if (s->threshold > 0)
        *bound = s->threshold, *name = "threshold_mb=";
    if (s->limit > 0 && s->limit < *bound)
        *bound = s->limit, *name = "memory_limit_mb=";
    if (s->cgroup_limit > 0 && left < *bound)
        *bound = left, *cgroup = 1, *name = "the cgroup's ";
    return *bound != UINT64_MAX;
}

/* The budget allows a collection now: it has what one is expected to
 * cost, or is full (a collection dearer than a full bucket would
 * otherwise never run: it runs, and the bucket pays it back). A full
 * bucket holds exactly its cap (policy_budget.c clamps to the same
 * product). */
static int affordable(const gcp__gc_signals *s)
{
    return s->budget <= 0 || s->budget_left_s >= s->predicted_s ||
           s->budget_left_s >= gcp__gc_budget_cap(s->budget);
}

/* Near a bound it collects whatever a collection is thought to reach:
 * an estimate of that (the RSS the last one left outside the heap in
 * use) counted free blocks still mapped as out of reach, stopped
 * collecting under a cgroup limit and let the pipeline be OOM-killed (3
 * of 5 runs). Rule 2 already keeps it to one collection per 256 KiB
 * allocated, and page cache no longer reads as the others' share. The
 * budget does not hold it back; the phrase says when it is spent.
 * Returns -1 when no bound is near. */
static int bound_rule(const gcp__gc_signals *s, char *reason, size_t n)
{
    uint64_t bound;
    int cgroup;
    const char *name;
    if (!rss_bound(s, &bound, &cgroup, &name))
        return -1;
    const char *verb = affordable(s) ? "collected" : "collected over budget";
    double rss = (double)s->rss / (double)GCP__MIB, b = (double)bound / (double)GCP__MIB;
    /* Within one profile's growth of the bound: decisions come at
     * profiles' edges, so the next one may pass it before anyone looks. */
    if ((double)s->rss < THRESHOLD_NEAR * (double)bound && s->rss + s->rss_growth >= bound)
        return say(GCP__COLLECT_AND_UNMAP, reason, n,
                   "%s: RSS %.1f + %.1f MiB recent growth passes %s%.1f%s", verb, rss,
                   (double)s->rss_growth / (double)GCP__MIB, name, b, cgroup ? " MiB" : "");
    if ((double)s->rss < THRESHOLD_NEAR * (double)bound)
        return -1;
    if (!cgroup)
        return say(GCP__COLLECT_AND_UNMAP, reason, n,
                   "%s: RSS %.1f MiB is at or above 90%% of %s%.1f", verb, rss, name, b);
    if (affordable(s))
        return say(GCP__COLLECT_AND_UNMAP, reason, n,
                   "collected: RSS %.1f MiB is within 10%% of its %.1f MiB under the cgroup limit "
                   "%.1f MiB",
                   rss, b, (double)s->cgroup_limit / (double)GCP__MIB);
    return say(GCP__COLLECT_AND_UNMAP, reason, n,
               "collected over budget: RSS %.1f MiB is within 10%% of the %.1f MiB the cgroup "
               "leaves it",
               rss, b);
}

/* Each phrase says which way the decision went ("collected" or "no
 * collection"), then what was compared with what; every one fits the
 * reports' 96 bytes with figures up to 99999.9 (tests/check_policy). */
int gcp__gc_decide(const gcp__gc_signals *s, char *reason, size_t n)
{
    uint64_t base = s->live > LIVE_FLOOR ? s->live : LIVE_FLOOR;
    double ratio = (double)s->allocated / (double)base;
    double ms = s->predicted_s * 1e3;

    if (s->disabled)
        return say(GCP__SKIP, reason, n, "%s", GCP__REASON_DISABLED);
    if (s->allocated < TRIVIAL_BYTES)
        return say(GCP__SKIP, reason, n,
                   "no collection: only %llu KiB allocated since the last collection, under %d KiB",
                   (unsigned long long)(s->allocated / 1024), TRIVIAL_BYTES / 1024);
    int bounded = bound_rule(s, reason, n);
    if (bounded >= 0)
        return bounded;
    if (!affordable(s))
        return say(GCP__SKIP, reason, n,
                   "no collection: ~%.2f ms to collect, %.2f ms left of the %.3g%% GC budget", ms,
                   s->budget_left_s * 1e3, s->budget * 100);
    /* The heap would grow, and the garbage could make up at least half
     * of what is missing. */
    /* Under LIVE_FLOOR the heap is small enough to let grow: collecting
     * every few calls to save it a MiB costs more than the MiB (the soak
     * test's gc points collected 8 times in 10 for a 2.3 MiB live heap). */
    uint64_t want = (uint64_t)(ROOM_MARGIN * (double)s->expected);
    if (s->live >= LIVE_FLOOR && s->free < want && 2 * s->allocated >= want - s->free)
        return say(GCP__COLLECT, reason, n,
                   "collected: %.1f MiB free is short of the %.1f MiB needed until the next gc "
                   "point",
                   mib_down(s->free), mib_up(want));
    if (ratio >= GROWTH_RATIO)
        return say(GCP__COLLECT, reason, n,
                   "collected: allocated %.1fx the live heap since the last collection (%.0fx or "
                   "more)",
                   ratio, GROWTH_RATIO);
    if (ratio >= CHEAP_RATIO && s->predicted_s <= CHEAP_SHARE * s->since_s)
        return say(s->since_s >= IDLE_S ? GCP__COLLECT_AND_UNMAP : GCP__COLLECT, reason, n,
                   "collected: ~%.2f ms to collect is at most %.0f%% of the %.1f s since the last "
                   "collection",
                   ms, CHEAP_SHARE * 100, s->since_s);
    if (s->expected > 0 && s->free >= want)
        return say(GCP__SKIP, reason, n,
                   "no collection: %.1f MiB free covers the %.1f MiB needed until the next gc "
                   "point",
                   mib_down(s->free), mib_down(want));
    if (s->expected > 0 && s->live < LIVE_FLOOR)
        return say(GCP__SKIP, reason, n,
                   "no collection: short of room, but the %.1f MiB live heap is under %llu MiB: "
                   "let it grow",
                   mib_down(s->live), (unsigned long long)(LIVE_FLOOR / GCP__MIB));
    if (s->expected > 0)
        return say(GCP__SKIP, reason, n,
                   "no collection: heap %.1f MiB short, and the %.1f MiB allocated could not "
                   "cover half",
                   mib_up(want - s->free), mib_down(s->allocated));
    if (ratio < CHEAP_RATIO)
        return say(GCP__SKIP, reason, n,
                   "no collection: allocated %.2fx the live heap since the last collection, "
                   "under %.2fx",
                   floor(ratio * 100) / 100, CHEAP_RATIO);
    return say(GCP__SKIP, reason, n,
               "no collection: ~%.2f ms to collect is over %.0f%% of the %.1f s since the last "
               "collection",
               ms, CHEAP_SHARE * 100, s->since_s);
}

uint64_t gcp__gc_hold_growth(const gcp__gc_signals *s, uint64_t hold_limit_bytes)
{
    uint64_t growth = s->live > HOLD_MIN_GROWTH ? s->live : HOLD_MIN_GROWTH;

    if (growth > hold_limit_bytes)
        growth = hold_limit_bytes;
    uint64_t bound;
    int cgroup;
    const char *name;
    if (s->rss > 0 && rss_bound(s, &bound, &cgroup, &name)) {
        uint64_t room = bound > s->rss ? bound - s->rss : 0;
        if (room < GCP__MIB)
            room = GCP__MIB;
        if (growth > room)
            growth = room;
    }
    return growth;
}
