/*
 * prom_text.h - the Prometheus text exposition format (version 0.0.4) and
 * OpenMetrics 1.0.0, written into a buffer of the caller's.
 *
 * Bounded: nothing is ever written past cap. What does not fit marks the
 * text full, and a full text must not be served (a cut exposition would
 * read as counters going back). Knows nothing of the collector: the
 * runtime and the gcprof command share it.
 *
 * The two formats differ in three places, all handled here: a counter's
 * family is named without "_total" in OpenMetrics (its sample keeps it),
 * OpenMetrics adds a "# UNIT" line for a family whose name ends in its
 * unit, and ends with "# EOF".
 */
#ifndef GCP_PROM_TEXT_H
#define GCP_PROM_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* What a scraper's Accept header gets: OpenMetrics when it names
 * application/openmetrics-text, else the Prometheus text format. */
#define GCP__PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define GCP__OM_CONTENT_TYPE   "application/openmetrics-text; version=1.0.0; charset=utf-8"
int gcp__prom_wants_openmetrics(const char *accept);

typedef enum { GCP__COUNTER, GCP__GAUGE, GCP__HISTOGRAM } gcp__prom_type;

typedef struct gcp__prom {
    char *buf;       /* the caller's; always NUL-terminated */
    size_t len, cap; /* cap counts the NUL */
    int openmetrics;
    int full; /* something did not fit: the text is cut */
} gcp__prom;

void gcp__prom_init(gcp__prom *p, char *buf, size_t cap, int openmetrics);

/* A family's header: HELP and TYPE (and UNIT in OpenMetrics when unit is
 * not NULL). name is the family's: a counter's without "_total". */
void gcp__prom_family(gcp__prom *p, const char *name, gcp__prom_type type, const char *unit,
                      const char *help);

/* One label, or none (name NULL). The value is escaped, and a byte that
 * is not valid UTF-8 becomes U+FFFD: a label never breaks a scrape. */
typedef struct gcp__prom_label {
    const char *name, *value;
} gcp__prom_label;

/* A sample of a counter (name_total) or a gauge (name): integers exact. */
void gcp__prom_counter(gcp__prom *p, const char *name, gcp__prom_label l, uint64_t v);
void gcp__prom_gauge(gcp__prom *p, const char *name, gcp__prom_label l, double v);
void gcp__prom_gauge_u64(gcp__prom *p, const char *name, gcp__prom_label l, uint64_t v);

/* A histogram's samples from non-cumulative counts: n bounds, counts[n]
 * the observations above the last; bounds and sum divided by unit (1e9
 * turns nanoseconds into seconds: a division, so 1500000 ns prints as
 * 0.0015, which a multiplication by 1e-9 would not give exactly). count is the sum of counts, so
 * the +Inf bucket and _count always agree. */
void gcp__prom_histogram(gcp__prom *p, const char *name, gcp__prom_label l, const uint64_t *bounds,
                         const uint64_t *counts, unsigned n, uint64_t sum, double unit);

/* "# EOF" in OpenMetrics. Returns 0, or -1 when the text is full. */
int gcp__prom_end(gcp__prom *p);

#endif /* GCP_PROM_TEXT_H */
