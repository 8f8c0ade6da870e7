/*
 * prom_text.c - the exposition writer (prom_text.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include "prom_text.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int gcp__prom_wants_openmetrics(const char *accept)
{
    return accept && strcasestr(accept, "application/openmetrics-text") != NULL;
}

void gcp__prom_init(gcp__prom *p, char *buf, size_t cap, int openmetrics)
{
    p->buf = buf;
    p->cap = cap;
    p->len = 0;
    p->openmetrics = openmetrics;
    p->full = cap == 0;
    if (cap)
        buf[0] = '\0';
}

static void put(gcp__prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(gcp__prom *p, const char *fmt, ...)
{
    va_list ap;

    if (p->full)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= p->cap - p->len) {
        p->full = 1;
        p->buf[p->len] = '\0'; /* no half line */
        return;
    }
    p->len += (size_t)n;
}

static const char *type_name(gcp__prom_type t)
{
    return t == GCP__COUNTER ? "counter" : t == GCP__GAUGE ? "gauge" : "histogram";
}

void gcp__prom_family(gcp__prom *p, const char *name, gcp__prom_type type, const char *unit,
                      const char *help)
{
    /* The Prometheus format names a counter's family as its sample. */
    const char *total = type == GCP__COUNTER && !p->openmetrics ? "_total" : "";

    put(p, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, total, help, name, total, type_name(type));
    if (p->openmetrics && unit)
        put(p, "# UNIT %s %s\n", name, unit);
}

/* A label value: backslash, quote and newline escaped, and what is not
 * valid UTF-8 (a C string may hold anything) made U+FFFD. */
static void put_value(gcp__prom *p, const char *s)
{
    while (*s && !p->full) {
        uint32_t cp;
        size_t n = gcp__utf8_decode((const unsigned char *)s, &cp);
        if (n == 0) {
            put(p, "\xEF\xBF\xBD");
            s++;
        } else if (*s == '\\' || *s == '"') {
            put(p, "\\%c", *s);
            s++;
        } else if (*s == '\n') {
            put(p, "\\n");
            s++;
        } else {
            put(p, "%.*s", (int)n, s);
            s += n;
        }
    }
}

/* name+suffix{label="...",le="..."} : everything before the value. */
static void put_series(gcp__prom *p, const char *name, const char *suffix, gcp__prom_label l,
                       const char *le)
{
    put(p, "%s%s", name, suffix);
    if (!l.name && !le) {
        put(p, " ");
        return;
    }
    put(p, "{");
    if (l.name) {
        put(p, "%s=\"", l.name);
        put_value(p, l.value ? l.value : "");
        put(p, "\"%s", le ? "," : "");
    }
    if (le)
        put(p, "le=\"%s\"", le);
    put(p, "} ");
}

/* A float as both formats read it: shortest exact form, integers with
 * ".0" in OpenMetrics' canonical style, infinities and NaN spelt out. */
static void format_double(char *out, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(out, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 6; prec <= 17; prec++) { /* the shortest that reads back */
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strpbrk(out, ".eE"))
        strncat(out, ".0", size - strlen(out) - 1);
}

void gcp__prom_counter(gcp__prom *p, const char *name, gcp__prom_label l, uint64_t v)
{
    put_series(p, name, "_total", l, NULL);
    put(p, "%llu\n", (unsigned long long)v);
}

void gcp__prom_gauge(gcp__prom *p, const char *name, gcp__prom_label l, double v)
{
    char num[40];

    format_double(num, sizeof num, v);
    put_series(p, name, "", l, NULL);
    put(p, "%s\n", num);
}

void gcp__prom_gauge_u64(gcp__prom *p, const char *name, gcp__prom_label l, uint64_t v)
{
    put_series(p, name, "", l, NULL);
    put(p, "%llu\n", (unsigned long long)v);
}

void gcp__prom_histogram(gcp__prom *p, const char *name, gcp__prom_label l, const uint64_t *bounds,
                         const uint64_t *counts, unsigned n, uint64_t sum, double unit)
{
    char le[40], total[40];
    uint64_t below = 0;

    for (unsigned i = 0; i <= n; i++) {
        below += counts[i];
        if (i < n)
            format_double(le, sizeof le, (double)bounds[i] / unit);
        put_series(p, name, "_bucket", l, i < n ? le : "+Inf");
        put(p, "%llu\n", (unsigned long long)below);
    }
    format_double(total, sizeof total, (double)sum / unit);
    put_series(p, name, "_sum", l, NULL);
    put(p, "%s\n", total);
    put_series(p, name, "_count", l, NULL);
    put(p, "%llu\n", (unsigned long long)below);
}

int gcp__prom_end(gcp__prom *p)
{
    if (p->openmetrics)
        put(p, "# EOF\n");
    return p->full ? -1 : 0;
}
