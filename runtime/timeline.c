/*
 * timeline.c - timeline records as mprof .dat lines or JSON lines
 * (doc/timeline-formats.md), and the Go-style trace line.
 */
#include "timeline.h"

#include "text.h"

#include <string.h>
#include <time.h>

#define MIB 1048576.0

double gcp__tl_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Text for a one-line .dat record: control characters become spaces;
 * with no_spaces (mprof's FUNC name) spaces become '_'. */
static void put_dat_text(FILE *fp, const char *s, int no_spaces)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c < 0x20 || c == 0x7f)
            c = ' ';
        if (no_spaces && c == ' ')
            c = '_';
        fputc(c, fp);
    }
}

void gcp__tl_meta(FILE *fp, gcp_tl_format f, const char *cmdline, long pid, double start,
                  double interval)
{
    if (f == GCP_TL_DAT) {
        fputs("CMDLINE ", fp);
        put_dat_text(fp, cmdline && *cmdline ? cmdline : "(unknown)", 0);
        fprintf(fp, "\nGCPROF_META 1 %ld %.4f %.4f\n", pid, start, interval);
        return;
    }
    fputs("{\"type\":\"meta\",\"version\":1,\"cmdline\":", fp);
    gcp__json_str(fp, cmdline ? cmdline : "");
    fprintf(fp, ",\"pid\":%ld,\"start\":%.4f,\"interval\":%.4f}\n", pid, start, interval);
}

void gcp__tl_sample(FILE *fp, gcp_tl_format f, const gcp_tl_sample *s)
{
    if (f == GCP_TL_DAT) {
        if (s->has_rss)
            fprintf(fp, "MEM %.6f %.4f\n", (double)s->rss / MIB, s->t);
        if (s->has_heap)
            fprintf(fp, "GCPROF_HEAP %.4f %llu %llu %llu %llu %llu\n", s->t,
                    (unsigned long long)s->heap_size, (unsigned long long)s->free_bytes,
                    (unsigned long long)s->unmapped_bytes, (unsigned long long)s->gc_no,
                    (unsigned long long)s->bytes_allocated);
        return;
    }
    fprintf(fp, "{\"type\":\"sample\",\"t\":%.4f", s->t);
    if (s->has_rss)
        fprintf(fp, ",\"rss\":%llu", (unsigned long long)s->rss);
    if (s->has_heap)
        fprintf(fp,
                ",\"heap_size\":%llu,\"free_bytes\":%llu,\"unmapped_bytes\":%llu,"
                "\"gc_no\":%llu,\"bytes_allocated\":%llu",
                (unsigned long long)s->heap_size, (unsigned long long)s->free_bytes,
                (unsigned long long)s->unmapped_bytes, (unsigned long long)s->gc_no,
                (unsigned long long)s->bytes_allocated);
    fputs("}\n", fp);
}

/* Number formatting for the one line written per collection: a program
 * can collect thousands of times a second, and printf's %f costs about a
 * microsecond, which the monitor's 1% CPU budget cannot pay. */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* v >= 0 to the nearest integer, halves away from zero, as llround: the
 * preload library shares this file and must not pull libm into programs
 * (its data would be one more root). v below 2^53: both steps are exact. */
static uint64_t round_half_up(double v)
{
    uint64_t whole = (uint64_t)v;

    return whole + (v - (double)whole >= 0.5);
}

/* v >= 0 with `decimals` (1..6) places, rounded as %.Nf rounds all but
 * exact binary ties. Scaled, it must stay an exact integer in a double
 * (below 2^53; a Unix time in microseconds is); NaN, negatives and larger
 * values fall back to printf. */
static char *put_fixed(char *p, double v, int decimals)
{
    static const uint64_t scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

    if (!(v >= 0 && v * (double)scale[decimals] < 9e15))
        return p + sprintf(p, "%.*f", decimals, v);
    uint64_t q = round_half_up(v * (double)scale[decimals]);
    p = put_u64(p, q / scale[decimals]);
    *p++ = '.';
    for (uint64_t s = scale[decimals] / 10, r = q % scale[decimals]; s; s /= 10) {
        *p++ = (char)('0' + r / s);
        r %= s;
    }
    return p;
}

static void put_dat_gc(FILE *fp, const gcp_tl_gc *gc)
{
    char line[256], *p = line;

    p += sprintf(p, "GCPROF_GC ");
    p = put_u64(p, gc->n);
    *p++ = ' ';
    p = put_fixed(p, gc->t, 6);
    const double ms[] = {gc->pause, gc->mark, gc->reclaim, gc->total};
    for (int i = 0; i < 4; i++) {
        *p++ = ' ';
        p = put_fixed(p, ms[i] * 1e3, 3);
    }
    *p++ = ' ';
    p = put_u64(p, gc->heap_before);
    *p++ = ' ';
    p = put_u64(p, gc->heap_after);
    *p++ = ' ';
    *p++ = gc->forced ? '1' : '0';
    *p++ = '\n';
    fwrite(line, 1, (size_t)(p - line), fp);
}

void gcp__tl_gc(FILE *fp, gcp_tl_format f, const gcp_tl_gc *gc)
{
    if (f == GCP_TL_DAT) {
        put_dat_gc(fp, gc);
        return;
    }
    fprintf(fp,
            "{\"type\":\"gc\",\"n\":%llu,\"t\":%.6f,\"pause\":%.9f,\"mark\":%.9f,"
            "\"reclaim\":%.9f,\"total\":%.9f,\"heap_before\":%llu,\"heap_after\":%llu,"
            "\"forced\":%s}\n",
            (unsigned long long)gc->n, gc->t, gc->pause, gc->mark, gc->reclaim, gc->total,
            (unsigned long long)gc->heap_before, (unsigned long long)gc->heap_after,
            gc->forced ? "true" : "false");
}

void gcp__tl_enter(FILE *fp, gcp_tl_format f, const gcp_tl_func *fn)
{
    if (f == GCP_TL_DAT) {
        fprintf(fp, "GCPROF_ENTER %.4f %d %.4f ", fn->t, fn->level, (double)fn->rss / MIB);
        put_dat_text(fp, fn->name, 0);
        fputc('\n', fp);
        return;
    }
    fprintf(fp, "{\"type\":\"enter\",\"t\":%.4f,\"level\":%d,\"rss\":%llu,\"name\":", fn->t,
            fn->level, (unsigned long long)fn->rss);
    gcp__json_str(fp, fn->name);
    fputs("}\n", fp);
}

void gcp__tl_exit(FILE *fp, gcp_tl_format f, const gcp_tl_func *fn)
{
    if (f == GCP_TL_DAT) {
        fputs("FUNC ", fp);
        put_dat_text(fp, *fn->name ? fn->name : "(anonymous)", 1);
        fprintf(fp, " %.4f %.4f %.4f %.4f %d\n", (double)fn->rss_start / MIB, fn->start,
                (double)fn->rss / MIB, fn->t, fn->level);
        return;
    }
    fprintf(fp, "{\"type\":\"exit\",\"t\":%.4f,\"level\":%d,\"rss\":%llu,\"name\":", fn->t,
            fn->level, (unsigned long long)fn->rss);
    gcp__json_str(fp, fn->name);
    fprintf(fp, ",\"start\":%.4f,\"rss_start\":%llu}\n", fn->start,
            (unsigned long long)fn->rss_start);
}

void gcp__tl_label(FILE *fp, gcp_tl_format f, double t, const char *text)
{
    if (f == GCP_TL_DAT) {
        fprintf(fp, "GCPROF_LABEL %.4f ", t);
        put_dat_text(fp, *text ? text : "-", 0);
        fputc('\n', fp);
        return;
    }
    fprintf(fp, "{\"type\":\"label\",\"t\":%.4f,\"text\":", t);
    gcp__json_str(fp, text);
    fputs("}\n", fp);
}

void gcp__tl_end(FILE *fp, gcp_tl_format f, double t)
{
    if (f == GCP_TL_DAT)
        fprintf(fp, "GCPROF_END %.4f\n", t);
    else
        fprintf(fp, "{\"type\":\"end\",\"t\":%.4f}\n", t);
}

/* Megabytes as Go prints them in gctrace (10^6 bytes, whole numbers). */
static unsigned long long mb(uint64_t bytes)
{
    return (unsigned long long)(bytes / 1000000u);
}

void gcp__tl_gctrace(FILE *fp, const gcp_tl_gc *gc, double since_start, double gc_share,
                     uint64_t heap_goal, int procs)
{
    fprintf(fp,
            "gc %llu @%.3fs %d%%: %.3g+%.3g+%.3g ms clock, %llu->%llu->%llu MB, %llu MB goal, "
            "%d P%s\n",
            (unsigned long long)gc->n, since_start, (int)round_half_up(gc_share >= 0 ? gc_share * 100.0 : 0), gc->pause * 1e3,
            gc->mark * 1e3, gc->reclaim * 1e3, mb(gc->heap_before), mb(gc->heap_after),
            mb(gc->heap_after), mb(heap_goal), procs, gc->forced ? " (forced)" : "");
}
