/*
 * leak_print.c - a leak check's report (gcp_leak_check) for people and as
 * JSON: every field, the verdict's figures and the growing sites (with
 * their stacks, by GCP_LEAK_BY_STACK). Uses the report's public fields
 * and functions only.
 */
#include "collect.h"
#include "json_num.h"

#include <stdio.h>
#include <string.h>

#define N_SITE_SLOTS (sizeof ((gcp_leak_report *)0)->sites / sizeof ((gcp_leak_report *)0)->sites[0])

static int args(FILE *fp, const gcp_leak_report *r, const char *who)
{
    if (!fp || !r)
        return gcp__fail(GCP_EINVAL, "%s: %s is NULL", who, fp ? "report" : "fp");
    return 0;
}

/* The sites the report holds: n_sites, within its array. */
static size_t site_count(const gcp_leak_report *r)
{
    return r->n_sites < N_SITE_SLOTS ? r->n_sites : N_SITE_SLOTS;
}

/* The n bytes at s on one line: a control character in a name cannot
 * start a line of its own. */
static void put_line_textn(FILE *fp, const char *s, size_t n)
{
    for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + n; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, fp);
}

static void put_line_text(FILE *fp, const char *s)
{
    s = s ? s : "?";
    put_line_textn(fp, s, strlen(s));
}

/* The line after the one at s, in a stack's text (a frame a line). */
static const char *next_frame(const char *s)
{
    s += strcspn(s, "\n");
    return *s ? s + 1 : s;
}

/* A site's stack (gcp_leak_report_stack), under it. */
static void put_stack(FILE *fp, const char *stack)
{
    for (const char *f = stack; f && *f; f = next_frame(f)) {
        fputs("        at ", fp);
        put_line_textn(fp, f, strcspn(f, "\n"));
        fputc('\n', fp);
    }
}

int gcp_leak_report_print(FILE *fp, const gcp_leak_report *r)
{
    int rc = args(fp, r, "gcp_leak_report_print");

    if (rc < 0)
        return rc;
    fputs("leak check '", fp);
    put_line_text(fp, r->name);
    fprintf(fp, "': %s; %zu iterations, status %d\n", r->has_leak ? "LEAK" : "no leak",
            r->iterations, r->status);
    fprintf(fp,
            "  persistent growth  %+lld bytes over %zu iterations, largest fall %llu bytes: "
            "%+.3f bytes/iteration (p_value %.3g)\n",
            (long long)r->persistent_bytes, r->persistent_span,
            (unsigned long long)r->fall_bytes, r->persistent_per_iteration, r->p_value);
    fprintf(fp,
            "  fitted growth      %+.3f bytes/iteration, %+.3f objects/iteration, "
            "R^2 %.4f\n",
            r->bytes_per_iteration, r->objects_per_iteration, r->r_squared);
    fprintf(fp, "  live bytes         %llu first, %llu last\n",
            (unsigned long long)r->live_bytes_first, (unsigned long long)r->live_bytes_last);
    if (r->live_bytes) {
        fputs("  live bytes by iteration:", fp);
        for (size_t i = 0; i < r->iterations; i++)
            fprintf(fp, " %llu", (unsigned long long)r->live_bytes[i]);
        fputc('\n', fp);
    }
    size_t n = site_count(r);
    fprintf(fp, "  growing sites      %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        const struct gcp_leak_site *s = &r->sites[i];
        fprintf(fp, "    %+.3f bytes/iteration  ", s->bytes_per_iteration);
        put_line_text(fp, s->file);
        fprintf(fp, ":%d (", s->line);
        put_line_text(fp, s->func);
        fputc(')', fp);
        if (s->type) {
            fputc(' ', fp);
            put_line_text(fp, s->type);
        }
        fputc('\n', fp);
        put_stack(fp, gcp_leak_report_stack(r, i));
    }
    return gcp__write_done(fp, "gcp_leak_report_print");
}

static void put_double(FILE *fp, const char *key, double v)
{
    fprintf(fp, ", \"%s\": ", key);
    gcp__json_double(fp, v);
}

static void put_str_or_null(FILE *fp, const char *s)
{
    if (s)
        gcp__json_str(fp, s);
    else
        fputs("null", fp);
}

/* A site's stack as "stack": [frame, ...], when it has one. */
static void put_json_stack(FILE *fp, const char *stack)
{
    if (!stack)
        return;
    fputs(", \"stack\": [", fp);
    for (const char *f = stack; *f; f = next_frame(f)) {
        fputs(f == stack ? "" : ", ", fp);
        gcp__json_strn(fp, f, strcspn(f, "\n"));
    }
    fputc(']', fp);
}

int gcp_leak_report_write_json(FILE *fp, const gcp_leak_report *r)
{
    int rc = args(fp, r, "gcp_leak_report_write_json");

    if (rc < 0)
        return rc;
    fputs("{\"name\": ", fp);
    gcp__json_str(fp, r->name);
    fprintf(fp, ", \"has_leak\": %s, \"status\": %d, \"iterations\": %zu",
            r->has_leak ? "true" : "false", r->status, r->iterations);
    put_double(fp, "bytes_per_iteration", r->bytes_per_iteration);
    put_double(fp, "objects_per_iteration", r->objects_per_iteration);
    put_double(fp, "r_squared", r->r_squared);
    fprintf(fp, ", \"live_bytes_first\": %llu, \"live_bytes_last\": %llu",
            (unsigned long long)r->live_bytes_first, (unsigned long long)r->live_bytes_last);
    fprintf(fp, ", \"persistent_bytes\": %lld, \"fall_bytes\": %llu, \"persistent_span\": %zu",
            (long long)r->persistent_bytes, (unsigned long long)r->fall_bytes,
            r->persistent_span);
    put_double(fp, "persistent_per_iteration", r->persistent_per_iteration);
    put_double(fp, "p_value", r->p_value);
    size_t n = site_count(r);
    fprintf(fp, ", \"n_sites\": %zu, \"sites\": [", n);
    for (size_t i = 0; i < n; i++) {
        const struct gcp_leak_site *s = &r->sites[i];
        fputs(i ? ", {\"file\": " : "{\"file\": ", fp);
        put_str_or_null(fp, s->file);
        fputs(", \"function\": ", fp);
        put_str_or_null(fp, s->func);
        fprintf(fp, ", \"line\": %d", s->line);
        put_double(fp, "bytes_per_iteration", s->bytes_per_iteration);
        if (s->type) { /* only sites GCP_NEW made have one */
            fputs(", \"type\": ", fp);
            put_str_or_null(fp, s->type);
        }
        put_json_stack(fp, gcp_leak_report_stack(r, i));
        fputc('}', fp);
    }
    fputs("], \"live_bytes\": ", fp);
    if (r->live_bytes) {
        fputc('[', fp);
        for (size_t i = 0; i < r->iterations; i++)
            fprintf(fp, "%s%llu", i ? ", " : "", (unsigned long long)r->live_bytes[i]);
        fputc(']', fp);
    } else {
        fputs("null", fp);
    }
    fputs("}\n", fp);
    return gcp__write_done(fp, "gcp_leak_report_write_json");
}
