/*
 * timeline.c - timeline records as mprof .dat lines or JSON lines
 * (doc/timeline-formats.md), and the Go-style trace line.
 */
#include "timeline.h"
#include "units.h"

#include "text.h"

#include <string.h>
#include <time.h>


double gcp__tl_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Text fields are cut to this many bytes as written (JSON escapes
 * counted), at a character boundary, and end in CUT_MARK: with the other
 * fields of its record, every line then fits what the reader accepts
 * (TOOL_TL_MAX_LINE, 65536 bytes: tools/timeline_read.h). A 70 KB command
 * line or label would otherwise give a file gcprof cannot read. */
#define MAX_TEXT 32768
#define CUT_MARK "\xe2\x80\xa6" /* U+2026 */

/* Text for a one-line .dat record: control characters become spaces;
 * with no_spaces (mprof's FUNC name) spaces become '_'. */
static void put_dat_text(FILE *fp, const char *s, int no_spaces)
{
    size_t n = strlen(s), keep = n > MAX_TEXT ? gcp__utf8_cut(s, MAX_TEXT - 3) : n;

    for (const unsigned char *p = (const unsigned char *)s; keep--; p++) {
        unsigned char c = *p;
        if (c < 0x20 || c == 0x7f)
            c = ' ';
        if (no_spaces && c == ' ')
            c = '_';
        fputc(c, fp);
    }
    if (n > MAX_TEXT)
        fputs(CUT_MARK, fp);
}

/* s as a JSON string, as gcp__json_str writes it, cut like put_dat_text. */
static void put_json_text(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0;

    fputc('"', fp);
    while (*p) {
        uint32_t cp;
        size_t len = gcp__utf8_decode(p, &cp);
        size_t out = len == 0 || cp < 0x20 ? 6 : cp == '"' || cp == '\\' ? 2 : len;
        if (used + out > MAX_TEXT - 3) {
            fputs(CUT_MARK, fp);
            break;
        }
        used += out;
        if (len == 0)
            fputs("\\ufffd", fp);
        else if (cp == '"' || cp == '\\')
            fprintf(fp, "\\%c", (int)cp);
        else if (cp < 0x20)
            fprintf(fp, "\\u%04x", (unsigned)cp);
        else
            fwrite(p, 1, len, fp);
        p += len ? len : 1;
    }
    fputc('"', fp);
}

void gcp__tl_meta(FILE *fp, gcp_tl_format f, const char *cmdline, long pid, double start,
                  double interval)
{
    if (f == GCP_TL_DAT) {
        fputs("CMDLINE ", fp);
        put_dat_text(fp, cmdline && *cmdline ? cmdline : "(unknown)", 0);
        fprintf(fp, "\nGCPROF_META 2 %ld %.4f %.4f\n", pid, start, interval);
        return;
    }
    fputs("{\"type\":\"meta\",\"version\":2,\"cmdline\":", fp);
    put_json_text(fp, cmdline ? cmdline : "");
    fprintf(fp, ",\"pid\":%ld,\"start\":%.4f,\"interval\":%.4f}\n", pid, start, interval);
}

void gcp__tl_sample(FILE *fp, gcp_tl_format f, const gcp_tl_sample *s)
{
    if (f == GCP_TL_DAT) {
        if (s->has_rss)
            fprintf(fp, "MEM %.6f %.4f\n", (double)s->rss / GCP__MIB_F, s->t);
        if (s->has_heap) {
            fprintf(fp, "GCPROF_HEAP %.4f %llu %llu %llu %llu %llu", s->t,
                    (unsigned long long)s->heap_size, (unsigned long long)s->free_bytes,
                    (unsigned long long)s->unmapped_bytes, (unsigned long long)s->gc_no,
                    (unsigned long long)s->bytes_allocated);
            if (s->pid > 0)
                fprintf(fp, " %ld", s->pid);
            fputc('\n', fp);
        }
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
    if (s->has_heap && s->pid > 0)
        fprintf(fp, ",\"pid\":%ld", s->pid);
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
    if (gc->has_live || gc->pid > 0) { /* both, or neither: live is '-' when unknown */
        *p++ = ' ';
        if (gc->has_live)
            p = put_u64(p, gc->live);
        else
            *p++ = '-';
        *p++ = ' ';
        p = put_u64(p, (uint64_t)(gc->pid > 0 ? gc->pid : 0));
    }
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
            "\"forced\":%s",
            (unsigned long long)gc->n, gc->t, gc->pause, gc->mark, gc->reclaim, gc->total,
            (unsigned long long)gc->heap_before, (unsigned long long)gc->heap_after,
            gc->forced ? "true" : "false");
    if (gc->has_live)
        fprintf(fp, ",\"live\":%llu", (unsigned long long)gc->live);
    if (gc->pid > 0)
        fprintf(fp, ",\"pid\":%ld", gc->pid);
    fputs("}\n", fp);
}

void gcp__tl_enter(FILE *fp, gcp_tl_format f, const gcp_tl_func *fn)
{
    if (f == GCP_TL_DAT) {
        fprintf(fp, "GCPROF_ENTER %.4f %d %.4f ", fn->t, fn->level, (double)fn->rss / GCP__MIB_F);
        put_dat_text(fp, fn->name, 0);
        fputc('\n', fp);
        return;
    }
    fprintf(fp, "{\"type\":\"enter\",\"t\":%.4f,\"level\":%d,\"rss\":%llu,\"name\":", fn->t,
            fn->level, (unsigned long long)fn->rss);
    put_json_text(fp, fn->name);
    fputs("}\n", fp);
}

void gcp__tl_exit(FILE *fp, gcp_tl_format f, const gcp_tl_func *fn)
{
    if (f == GCP_TL_DAT) {
        fputs("FUNC ", fp);
        put_dat_text(fp, *fn->name ? fn->name : "(anonymous)", 1);
        fprintf(fp, " %.4f %.4f %.4f %.4f %d\n", (double)fn->rss_start / GCP__MIB_F, fn->start,
                (double)fn->rss / GCP__MIB_F, fn->t, fn->level);
        return;
    }
    fprintf(fp, "{\"type\":\"exit\",\"t\":%.4f,\"level\":%d,\"rss\":%llu,\"name\":", fn->t,
            fn->level, (unsigned long long)fn->rss);
    put_json_text(fp, fn->name);
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
    put_json_text(fp, text);
    fputs("}\n", fp);
}

void gcp__tl_end(FILE *fp, gcp_tl_format f, double t)
{
    if (f == GCP_TL_DAT)
        fprintf(fp, "GCPROF_END %.4f\n", t);
    else
        fprintf(fp, "{\"type\":\"end\",\"t\":%.4f}\n", t);
}

void gcp__tl_image(FILE *fp, gcp_tl_format f, const gcp_tl_image *im)
{
    const char *exe = im->exe && *im->exe ? im->exe : "-";

    if (f == GCP_TL_DAT) {
        fprintf(fp, "GCPROF_IMAGE %.6f %ld %ld ", im->t, im->pid, im->ppid);
        put_dat_text(fp, exe, 0);
        fputc('\n', fp);
        return;
    }
    fprintf(fp, "{\"type\":\"image\",\"t\":%.6f,\"pid\":%ld,\"ppid\":%ld,\"exe\":", im->t,
            im->pid, im->ppid);
    put_json_text(fp, exe);
    fputs("}\n", fp);
}

void gcp__tl_status(FILE *fp, gcp_tl_format f, const gcp_tl_status *st)
{
    const char *how = st->signaled ? "signal" : "exit";

    if (f == GCP_TL_DAT) {
        fprintf(fp, "GCPROF_STATUS %.6f %ld %s %d %llu %d\n", st->t, st->pid, how, st->code,
                (unsigned long long)st->maxrss, st->core);
        return;
    }
    fprintf(fp,
            "{\"type\":\"status\",\"t\":%.6f,\"pid\":%ld,\"%s\":%d,\"maxrss\":%llu,"
            "\"core\":%s}\n",
            st->t, st->pid, how, st->code, (unsigned long long)st->maxrss,
            st->core ? "true" : "false");
}

void gcp__tl_lost(FILE *fp, gcp_tl_format f, double t, long pid, const char *why)
{
    if (f == GCP_TL_DAT)
        fprintf(fp, "GCPROF_LOST %.6f %ld %s\n", t, pid, why);
    else
        fprintf(fp, "{\"type\":\"lost\",\"t\":%.6f,\"pid\":%ld,\"why\":\"%s\"}\n", t, pid,
                why);
}

void gcp__tl_child(FILE *fp, gcp_tl_format f, const gcp_tl_child *ch)
{
    const char *name = ch->name && *ch->name ? ch->name : "-";

    if (f == GCP_TL_DAT) {
        fprintf(fp, "GCPROF_CHILD %.6f %ld %ld %d ", ch->t, ch->pid, ch->ppid, ch->followed);
        put_dat_text(fp, name, 0);
        fputc('\n', fp);
        return;
    }
    fprintf(fp, "{\"type\":\"child\",\"t\":%.6f,\"pid\":%ld,\"ppid\":%ld,\"followed\":%s,"
                "\"name\":",
            ch->t, ch->pid, ch->ppid, ch->followed ? "true" : "false");
    put_json_text(fp, name);
    fputs("}\n", fp);
}

/* Megabytes as Go's gctrace prints them: 2^20 bytes, whole numbers. */
static unsigned long long mib(uint64_t bytes)
{
    return (unsigned long long)(bytes >> 20);
}

void gcp__tl_gctrace(FILE *fp, const gcp_tl_gc *gc, const gcp_tl_trace *tr)
{
    char live[32] = "?";

    if (gc->has_live)
        snprintf(live, sizeof live, "%llu", mib(gc->live));
    fprintf(fp,
            "gc %llu @%.3fs %d%%: %.3g+%.3g+%.3g ms clock, %llu->%llu->%s MB, %llu MB heap, "
            "%d markers%s\n",
            (unsigned long long)gc->n, tr->since,
            (int)round_half_up(tr->share >= 0 ? tr->share * 100.0 : 0), tr->phase[0] * 1e3,
            tr->phase[1] * 1e3, tr->phase[2] * 1e3, mib(gc->heap_before), mib(gc->heap_after),
            live, mib(tr->heap_size), tr->markers, gc->forced ? " (forced)" : "");
}
