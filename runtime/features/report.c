/*
 * report.c - the printed forms of a report: the one-line ProfileReport
 * (as in docs/FORMATS.md), a multi-line description, and JSON.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"

static const struct {
    unsigned bit;
    const char *name;
} note_names[] = {
    {GCP_NOTE_BASELINE_SKIPPED, "baseline_skipped"},
    {GCP_NOTE_FORCED_GC_SKIPPED, "forced_gc_skipped"},
    {GCP_NOTE_HOLD_RELEASED, "hold_released"},
    {GCP_NOTE_BELOW_CLOCK_RESOLUTION, "below_clock_resolution"},
    {GCP_NOTE_COLLECTED_UNKNOWN, "collected_unknown"},
    {GCP_NOTE_NO_BASELINE, "no_baseline"},
    {GCP_NOTE_HEAP_ONLY, "heap_only"},
    {GCP_NOTE_OVERLAPPED, "overlapped"},
    {GCP_NOTE_UNWOUND, "unwound"},
    {GCP_NOTE_OUT_OF_MEMORY, "out_of_memory"},
    {GCP_NOTE_RETAINED, "retained"},
    {GCP_NOTE_EXPLICIT_FREES, "explicit_frees"},
    {GCP_NOTE_ALLOCATED_IN_COLLECTION, "allocated_in_collection"},
};

static const char *auto_gc_name(int mode)
{
    switch (mode) {
    case GCP_AUTO_GC_DEFAULT: /* a report holds the mode applied: never this */
    case GCP_AUTO_GC_ALWAYS:
        return "always";
    case GCP_AUTO_GC_ADAPTIVE:
        return "adaptive";
    case GCP_AUTO_GC_OFF:
        return "off";
    default:
        return "unknown";
    }
}
#define N_NOTES (sizeof note_names / sizeof note_names[0])

/* Characters Python's str.isprintable() rejects in the Latin-1 range and
 * the line/paragraph separators; repr() escapes them. */
static int python_escapes(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad || cp == 0x2028 || cp == 0x2029;
}

/* A string as Python's repr() writes it: single quotes unless the text
 * has ' and no ", then double; \n \r \t and \xNN / \uNNNN escapes.
 * Bytes that are not UTF-8 come out as \xNN. */
static void put_python_str(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char quote = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

    fputc(quote, fp);
    while (*p) {
        uint32_t cp;
        size_t len = gcp__utf8_decode(p, &cp);
        if (len == 0) {
            fprintf(fp, "\\x%02x", *p++);
            continue;
        }
        if (cp == (uint32_t)quote || cp == '\\')
            fprintf(fp, "\\%c", (int)cp);
        else if (cp == '\n')
            fputs("\\n", fp);
        else if (cp == '\r')
            fputs("\\r", fp);
        else if (cp == '\t')
            fputs("\\t", fp);
        else if (python_escapes(cp))
            fprintf(fp, cp < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
        else
            fwrite(p, 1, len, fp);
        p += len;
    }
    fputc(quote, fp);
}

int gcp_report_print(FILE *fp, const gcp_report *r)
{
    if (!fp || !r)
        return gcp__fail(GCP_EINVAL, "gcp_report_print: %s is NULL", fp ? "report" : "fp");
    fputs("ProfileReport(function_name=", fp);
    put_python_str(fp, r->function_name);
    fprintf(fp, ", execution_time=%.3f, memory_before=%.1f, memory_after=%.1f, memory_saved=%.1f",
            r->execution_time, r->memory_before, r->memory_after, r->memory_saved);
    if (r->gc_objects_collected < 0)
        fputs(", gc_objects_collected=None", fp);
    else
        fprintf(fp, ", gc_objects_collected=%lld", (long long)r->gc_objects_collected);
    fprintf(fp, ", exceeded_threshold=%s", r->exceeded_threshold ? "True" : "False");
    if (r->track_peak)
        fprintf(fp, ", peak_memory=%.1f", r->peak_memory);
    if (r->auto_gc == GCP_AUTO_GC_ADAPTIVE) {
        fprintf(fp, ", gc_collected=%s, gc_reason=", r->gc_collected ? "True" : "False");
        put_python_str(fp, r->gc_reason);
    }
    fputs(")\n", fp);
    return gcp__write_done(fp, "gcp_report_print");
}

int gcp_report_snprint(char *buf, size_t len, const gcp_report *r)
{
    char *text = NULL;
    size_t n = 0;

    if (!buf || len == 0 || !r)
        return gcp__fail(GCP_EINVAL, "gcp_report_snprint: %s",
                         !r ? "report is NULL" : "buf is NULL or len is 0");
    FILE *fp = open_memstream(&text, &n); /* grows: no write error to log */
    if (!fp)
        return gcp__fail(GCP_ENOMEM, "gcp_report_snprint: no memory for a stream");
    int rc = gcp_report_print(fp, r);
    fclose(fp);
    if (rc == 0)
        snprintf(buf, len, "%.*s", (int)strcspn(text, "\n"), text);
    free(text);
    return rc;
}

static void put_notes(FILE *fp, unsigned notes, const char *sep)
{
    int first = 1;

    for (size_t i = 0; i < N_NOTES; i++) {
        if (notes & note_names[i].bit) {
            fprintf(fp, "%s\"%s\"", first ? "" : sep, note_names[i].name);
            first = 0;
        }
    }
}

static void put_count(FILE *fp, const char *label, int64_t v)
{
    if (v < 0)
        fprintf(fp, "  %-22s unknown\n", label);
    else
        fprintf(fp, "  %-22s %lld\n", label, (long long)v);
}

/* The collector's statistics before and after (detailed_stats): one row
 * per gcp_gc_stats field, in the JSON's order. */
static void put_stats_rows(FILE *fp, const gcp_gc_stats *b, const gcp_gc_stats *a)
{
    const struct {
        const char *label;
        uint64_t before, after;
        const char *unit;
    } rows[] = {
        {"heap size", b->heap_size, a->heap_size, " bytes"},
        {"free", b->free_bytes, a->free_bytes, " bytes"},
        {"unmapped", b->unmapped_bytes, a->unmapped_bytes, " bytes"},
        {"allocated since GC", b->bytes_since_gc, a->bytes_since_gc, " bytes"},
        {"allocated in total", b->total_bytes, a->total_bytes, " bytes"},
        {"collections so far", b->gc_no, a->gc_no, ""},
        {"obtained from the OS", b->obtained_from_os, a->obtained_from_os, " bytes"},
    };

    fprintf(fp, "  %-22s before -> after\n", "collector statistics");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(fp, "    %-20s %llu -> %llu%s\n", rows[i].label, (unsigned long long)rows[i].before,
                (unsigned long long)rows[i].after, rows[i].unit);
}

int gcp_report_print_details(FILE *fp, const gcp_report *r)
{
    if (!fp || !r)
        return gcp__fail(GCP_EINVAL, "gcp_report_print_details: %s is NULL", fp ? "report" : "fp");
    fprintf(fp, "%s (depth %d, status %d)\n", r->function_name, r->depth, r->status);
    fprintf(fp, "  %-22s %.6f s\n", "execution time", r->execution_time);
    fprintf(fp, "  %-22s %.1f -> %.1f MiB, peak %.1f MiB%s\n", "RSS", r->memory_before,
            r->memory_after, r->peak_memory, r->track_peak ? "" : " (not tracked)");
    fprintf(fp, "  %-22s %.1f MiB\n", "given back to the OS", r->memory_saved);
    fprintf(fp, "  %-22s %llu -> %llu bytes, peak %llu\n", "GC heap in use",
            (unsigned long long)r->heap_before, (unsigned long long)r->heap_after,
            (unsigned long long)r->peak_heap);
    fprintf(fp, "  %-22s %llu objects, %llu bytes\n", "allocated",
            (unsigned long long)r->objects_allocated, (unsigned long long)r->bytes_allocated);
    put_count(fp, "objects collected", r->gc_objects_collected);
    put_count(fp, "bytes reclaimed", r->bytes_reclaimed);
    fprintf(fp, "  %-22s %llu, %.3f ms in collections, pauses %.3f ms (max %.3f ms)\n",
            "collections", (unsigned long long)r->gc_count, r->gc_time * 1e3,
            r->gc_pause_total * 1e3, r->gc_pause_max * 1e3);
    fprintf(fp, "  %-22s %.3f ms\n", "profiler collections", r->profiler_gc_time * 1e3);
    /* The reason says whether the profiler collected after the closure. */
    fprintf(fp, "  %-22s %s, %s\n", "auto_gc", auto_gc_name(r->auto_gc), r->gc_reason);
    if (r->threshold_mb > 0)
        fprintf(fp, "  %-22s %.1f MiB%s\n", "threshold", r->threshold_mb,
                r->exceeded_threshold ? " (exceeded)" : "");
    if (r->notes) {
        fprintf(fp, "  %-22s ", "notes");
        put_notes(fp, r->notes, ", ");
        fputc('\n', fp);
    }
    if (r->has_detailed_stats)
        put_stats_rows(fp, &r->stats_before, &r->stats_after);
    return gcp__write_done(fp, "gcp_report_print_details");
}

/* JSON has no NaN or infinity; a double we print is always finite, but
 * say null rather than write an invalid document if one is not. */
static void put_json_num(FILE *fp, const char *key, double v)
{
    if (isfinite(v))
        fprintf(fp, ", \"%s\": %.9g", key, v);
    else
        fprintf(fp, ", \"%s\": null", key);
}

static void put_json_stats(FILE *fp, const char *key, const gcp_gc_stats *s)
{
    fprintf(fp,
            ", \"%s\": {\"heap_size\": %llu, \"free_bytes\": %llu, \"unmapped_bytes\": %llu, "
            "\"bytes_since_gc\": %llu, \"total_bytes\": %llu, \"gc_no\": %llu, "
            "\"obtained_from_os\": %llu}",
            key, (unsigned long long)s->heap_size, (unsigned long long)s->free_bytes,
            (unsigned long long)s->unmapped_bytes, (unsigned long long)s->bytes_since_gc,
            (unsigned long long)s->total_bytes, (unsigned long long)s->gc_no,
            (unsigned long long)s->obtained_from_os);
}

int gcp_report_write_json(FILE *fp, const gcp_report *r)
{
    if (!fp || !r)
        return gcp__fail(GCP_EINVAL, "gcp_report_write_json: %s is NULL", fp ? "report" : "fp");
    fputs("{\"function_name\": ", fp);
    gcp__json_str(fp, r->function_name);
    fprintf(fp, ", \"status\": %d, \"depth\": %d", r->status, r->depth);
    put_json_num(fp, "execution_time", r->execution_time);
    put_json_num(fp, "memory_before", r->memory_before);
    put_json_num(fp, "memory_after", r->memory_after);
    put_json_num(fp, "memory_saved", r->memory_saved);
    put_json_num(fp, "peak_memory", r->peak_memory);
    fprintf(fp, ", \"track_peak\": %s", r->track_peak ? "true" : "false");
    fprintf(fp, ", \"heap_before\": %llu, \"heap_after\": %llu, \"peak_heap\": %llu",
            (unsigned long long)r->heap_before, (unsigned long long)r->heap_after,
            (unsigned long long)r->peak_heap);
    fprintf(fp, ", \"bytes_allocated\": %llu, \"objects_allocated\": %llu",
            (unsigned long long)r->bytes_allocated, (unsigned long long)r->objects_allocated);
    if (r->gc_objects_collected < 0)
        fputs(", \"gc_objects_collected\": null, \"bytes_reclaimed\": null", fp);
    else
        fprintf(fp, ", \"gc_objects_collected\": %lld, \"bytes_reclaimed\": %lld",
                (long long)r->gc_objects_collected, (long long)r->bytes_reclaimed);
    fprintf(fp, ", \"gc_count\": %llu", (unsigned long long)r->gc_count);
    put_json_num(fp, "gc_pause_total", r->gc_pause_total);
    put_json_num(fp, "gc_pause_max", r->gc_pause_max);
    put_json_num(fp, "gc_time", r->gc_time);
    put_json_num(fp, "profiler_gc_time", r->profiler_gc_time);
    fprintf(fp, ", \"exceeded_threshold\": %s", r->exceeded_threshold ? "true" : "false");
    put_json_num(fp, "threshold_mb", r->threshold_mb);
    fprintf(fp, ", \"auto_gc\": \"%s\", \"gc_collected\": %s, \"gc_reason\": ",
            auto_gc_name(r->auto_gc), r->gc_collected ? "true" : "false");
    gcp__json_str(fp, r->gc_reason);
    fputs(", \"notes\": [", fp);
    put_notes(fp, r->notes, ", ");
    fputc(']', fp);
    if (r->has_detailed_stats) {
        put_json_stats(fp, "stats_before", &r->stats_before);
        put_json_stats(fp, "stats_after", &r->stats_after);
    }
    fputs("}\n", fp);
    return gcp__write_done(fp, "gcp_report_write_json");
}
