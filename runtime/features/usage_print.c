/*
 * usage_print.c - gcp_memory_usage's samples as a table and as JSON, from
 * the public accessors only (usage.c keeps the samples).
 */
#include "collect.h"
#include "units.h"
#include "json_num.h"

#include <stdio.h>


static int args(FILE *fp, const gcp_usage *u, const char *who)
{
    if (!fp || !u)
        return gcp__fail(GCP_EINVAL, "%s: %s is NULL", who, fp ? "usage" : "fp");
    return 0;
}

/* The last sample's time: the call's duration. */
static double duration(const gcp_usage *u)
{
    gcp_usage_sample s;

    return gcp_usage_get(u, gcp_usage_count(u) - 1, &s) == 0 ? s.t : 0;
}

int gcp_usage_print(FILE *fp, const gcp_usage *u)
{
    int rc = args(fp, u, "gcp_usage_print");

    if (rc < 0)
        return rc;
    size_t n = gcp_usage_count(u);
    fprintf(fp,
            "memory usage: %zu samples (%llu readings), %g s apart, over %.3f s; status %d\n",
            n, (unsigned long long)gcp_usage_readings(u), gcp_usage_interval(u), duration(u),
            gcp_usage_status(u));
    fprintf(fp, "%10s %12s %18s %16s\n", "time (s)", "RSS (MiB)", "heap in use (MiB)",
            "heap size (MiB)");
    for (size_t i = 0; i < n; i++) {
        gcp_usage_sample s;
        gcp_usage_get(u, i, &s);
        fprintf(fp, "%10.3f ", s.t);
        if (s.has_rss)
            fprintf(fp, "%12.3f ", (double)s.rss / GCP__MIB_F);
        else
            fprintf(fp, "%12s ", "-");
        fprintf(fp, "%18.3f %16.3f\n", (double)s.heap_in_use / GCP__MIB_F, (double)s.heap_size / GCP__MIB_F);
    }
    uint64_t max_rss = gcp_usage_max_rss(u);
    if (max_rss)
        fprintf(fp, "max RSS %.3f MiB", (double)max_rss / GCP__MIB_F);
    else
        fputs("max RSS - (not read)", fp);
    fprintf(fp, ", max heap in use %.3f MiB\n", (double)gcp_usage_max_heap(u) / GCP__MIB_F);
    return gcp__write_done(fp, "gcp_usage_print");
}

int gcp_usage_write_json(FILE *fp, const gcp_usage *u)
{
    int rc = args(fp, u, "gcp_usage_write_json");

    if (rc < 0)
        return rc;
    size_t n = gcp_usage_count(u);
    uint64_t max_rss = gcp_usage_max_rss(u);
    fprintf(fp, "{\"status\": %d, \"interval\": ", gcp_usage_status(u));
    gcp__json_double(fp, gcp_usage_interval(u));
    fprintf(fp, ", \"count\": %zu, \"readings\": %llu", n,
            (unsigned long long)gcp_usage_readings(u));
    if (max_rss)
        fprintf(fp, ", \"max_rss\": %llu", (unsigned long long)max_rss);
    else
        fputs(", \"max_rss\": null", fp);
    fprintf(fp, ", \"max_heap_in_use\": %llu, \"samples\": [",
            (unsigned long long)gcp_usage_max_heap(u));
    for (size_t i = 0; i < n; i++) {
        gcp_usage_sample s;
        gcp_usage_get(u, i, &s);
        fputs(i ? ", {\"t\": " : "{\"t\": ", fp);
        gcp__json_double(fp, s.t);
        fputs(", \"rss\": ", fp);
        if (s.has_rss)
            fprintf(fp, "%llu", (unsigned long long)s.rss);
        else
            fputs("null", fp);
        fprintf(fp, ", \"heap_in_use\": %llu, \"heap_size\": %llu}",
                (unsigned long long)s.heap_in_use, (unsigned long long)s.heap_size);
    }
    fputs("]}\n", fp);
    return gcp__write_done(fp, "gcp_usage_write_json");
}
