/*
 * summary_print.c - `gcprof summary`'s output: a readable block, or one
 * JSON object, from the numbers summary.c computes.
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include "summary.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define TOP_CLOSURES 10
#define NAME_WIDTH   32

/* name in exactly width columns (one per character): cut with "..." or padded. */
static void put_name(const char *name, int width)
{
    int cols = 0;
    const char *p = name;

    while (*p && cols < width) {
        size_t len = tool_tl_utf8_len(p);
        if (cols == width - 3 && strlen(p) > 3 && p[len] != '\0') {
            fputs("...", stdout);
            cols += 3;
            break;
        }
        fwrite(p, 1, len ? len : 1, stdout);
        p += len ? len : 1;
        cols++;
    }
    printf("%*s", width - cols, "");
}

static void print_closures(const tool_summary *sm)
{
    size_t calls = 0;

    for (size_t i = 0; i < sm->nclosures; i++)
        calls += sm->closures[i].calls;
    printf("closures        %zu names, %zu calls; by total time:\n", sm->nclosures, calls);
    printf("    %-*s %7s %10s %16s\n", NAME_WIDTH, "name", "calls", "total s", "max RSS rise");
    for (size_t i = 0; i < sm->nclosures && i < TOP_CLOSURES; i++) {
        const tool_closure *c = &sm->closures[i];
        fputs("    ", stdout);
        put_name(c->name, NAME_WIDTH);
        printf(" %7zu %10.3f ", c->calls, c->total);
        if (c->has_rise)
            printf("%+12.3f MiB", c->max_rise);
        else
            printf("%16s", "-");
        if (c->unfinished)
            printf("  (%zu unfinished)", c->unfinished);
        putchar('\n');
    }
    if (sm->nclosures > TOP_CLOSURES)
        printf("    ... and %zu more (--json lists all)\n", sm->nclosures - TOP_CLOSURES);
}

const char *tool_ending_text(int signaled, int code, char *buf, size_t size)
{
    const char *name = signaled ? sigabbrev_np(code) : NULL;

    if (!signaled)
        snprintf(buf, size, "exit status %d", code);
    else
        snprintf(buf, size, "killed by signal %d%s%s%s", code, name ? " (SIG" : "",
                 name ? name : "", name ? ")" : "");
    return buf;
}

static void print_status(const tool_tl *tl)
{
    const gcp_tl_status *st = &tl->status;
    char text[64];

    if (!tl->has_status)
        return;
    printf("ended           %s\n", tool_ending_text(st->signaled, st->code, text, sizeof text));
    if (st->signaled && st->core)
        printf("                (core dumped)\n");
}

/* With more than one process recorded, each one's own figures: heaps of
 * processes do not add up. */
static void print_by_process(const tool_tl *tl)
{
    long pids[TOOL_TL_MAX_PROCS];
    size_t n = tool_tl_heap_procs(tl, pids, TOOL_TL_MAX_PROCS);

    for (size_t k = 0; n > 1 && k < n; k++) {
        size_t gcs = 0;
        uint64_t peak = 0;
        for (size_t i = 0; i < tl->ngcs; i++) {
            const gcp_tl_gc *g = &tl->gcs[i];
            if (tool_tl_pid_of(tl, g->pid) != pids[k])
                continue;
            gcs++;
            peak = g->heap_before > peak ? g->heap_before : peak;
        }
        printf("%s pid %ld %s: %zu collection%s, peak GC heap %.3f MiB in use\n",
               k ? "               " : "by process     ", pids[k], tool_tl_proc_name(tl, pids[k]),
               gcs, gcs == 1 ? "" : "s", (double)peak / 1048576.0);
    }
}

/* Images, execs, children: what was recorded beyond the program itself. */
static void print_processes(const tool_tl *tl, const tool_summary *sm)
{
    print_by_process(tl);
    print_status(tl);
    if (sm->nexecs)
        printf("execs           %zu: collection numbers start again after each (GCPROF_IMAGE)\n",
               sm->nexecs);
    if (sm->nchildren)
        printf("children        %zu started, %zu followed%s\n", sm->nchildren, sm->nfollowed,
               sm->nfollowed < sm->nchildren ? " (not followed: their memory is not in here)"
                                             : "");
    for (size_t i = 0; i < tl->nlosts; i++)
        printf("warning: the collector's records of process %ld stop at %.3f s: it closed or "
               "replaced their descriptor\n",
               tl->losts[i].pid, tl->losts[i].t - tl->origin);
}

void tool_summary_print_text(const char *path, const tool_tl *tl, const tool_summary *sm)
{
    printf("file            %s (%s)\n", path,
           tl->format == GCP_TL_JSONL ? "JSON lines" : "mprof .dat");
    if (*tl->cmdline)
        printf("command         %s\n", tl->cmdline);
    printf("duration        %.3f s\nsamples         %zu RSS, %zu GC heap", sm->duration, sm->nrss,
           sm->nheap);
    if (tl->has_meta && tl->interval > 0)
        printf(" (every %g s asked", tl->interval);
    if (tl->has_meta && tl->interval > 0 && sm->has_interval)
        printf(", %.4g s measured: the median gap)", sm->interval);
    else if (tl->has_meta && tl->interval > 0)
        putchar(')');
    if (sm->has_rss && sm->peak_rss_closure && sm->has_sampled_rss)
        printf("\npeak RSS        %.3f MiB at %.3f s (in a closure's record; samples: %.3f MiB)\n",
               sm->peak_rss, sm->peak_rss_t, sm->sampled_rss);
    else if (sm->has_rss && sm->peak_rss_closure)
        printf("\npeak RSS        %.3f MiB at %.3f s (in a closure's record; no samples)\n",
               sm->peak_rss, sm->peak_rss_t);
    else if (sm->has_rss)
        printf("\npeak RSS        %.3f MiB at %.3f s\n", sm->peak_rss, sm->peak_rss_t);
    else
        printf("\npeak RSS        unknown (no RSS samples)\n");
    if (tl->has_status)
        printf("kernel peak RSS %.3f MiB (ru_maxrss: the program and the children it waited for)\n",
               (double)tl->status.maxrss / 1048576.0);
    if (sm->has_heap)
        printf("peak GC heap    %.3f MiB in use (heap size - free, before sweeping) at %.3f s\n",
               sm->peak_heap, sm->peak_heap_t);
    else
        printf("peak GC heap    none (no GC heap data: not a bdwgc program?)\n");
    char of[64] = ""; /* which process, when there are several */
    if (sm->heap_procs > 1)
        snprintf(of, sizeof of, " in pid %ld", sm->heap_pid);
    if (sm->has_live)
        printf("live after GC   %.3f MiB after the last collection, %.3f MiB at most (at %.3f s)%s\n",
               sm->live_last, sm->live_peak, sm->live_peak_t, of);
    if (sm->has_allocated)
        printf("allocated       %.3f MiB in %.3f s (%.3f MiB/s, the collector's count)%s\n",
               sm->allocated, sm->allocated_span,
               sm->allocated_span > 0 ? sm->allocated / sm->allocated_span : 0, of);
    if (tl->ngcs == 0) {
        printf("collections     none\n");
    } else {
        printf("collections     %zu (%zu forced)\n", tl->ngcs, sm->nforced);
        printf("GC pauses       total %.3f ms, max %.3f ms, p99 %.3f ms\n", sm->pause_total * 1e3,
               sm->pause_max * 1e3, sm->pause_p99 * 1e3);
        printf("time in GC      %.2f%% of wall time%s\n", sm->gc_share * 100,
               sm->heap_procs > 1 ? ", summed over the processes" : "");
    }
    if (sm->has_gc_count)
        printf("GC count        %llu (the collector's own, GC_get_gc_no: incremental ones "
               "too)%s\n",
               (unsigned long long)sm->gc_count, of);
    print_processes(tl, sm);
    printf("labels          %zu\n", tl->nlabels);
    if (sm->nclosures == 0)
        printf("closures        none\n");
    else
        print_closures(sm);
}

/* s as a JSON string: escaped, and valid UTF-8 (bad bytes of a path become U+FFFD). */
static void json_str(const char *s)
{
    putchar('"');
    while (*s) {
        size_t len = tool_tl_utf8_len(s);
        unsigned char c = (unsigned char)*s;
        if (len == 0)
            fputs("\\ufffd", stdout);
        else if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            fwrite(s, 1, len, stdout);
        s += len ? len : 1;
    }
    putchar('"');
}

/* A number JSON can hold: not known, or not finite (a sum of huge values,
 * a rate over no time), is null; printf's "inf" and "nan" are not JSON. */
static void json_num(const char *key, int known, double v, int decimals)
{
    if (known && isfinite(v))
        printf(",\"%s\":%.*f", key, decimals, v);
    else
        printf(",\"%s\":null", key);
}

void tool_summary_print_json(const char *path, const tool_tl *tl, const tool_summary *sm)
{
    int gcs = tl->ngcs > 0;

    fputs("{\"file\":", stdout);
    json_str(path);
    printf(",\"format\":\"%s\",\"cmdline\":", tl->format == GCP_TL_JSONL ? "jsonl" : "dat");
    json_str(tl->cmdline);
    printf(",\"complete\":%s,\"rss_samples\":%zu,\"heap_samples\":%zu",
           tl->cut_short ? "false" : "true", sm->nrss, sm->nheap);
    json_num("duration_s", 1, sm->duration, 4);
    json_num("peak_rss_mib", sm->has_rss, sm->peak_rss, 3);
    json_num("peak_rss_at_s", sm->has_rss, sm->peak_rss_t, 4);
    json_num("peak_rss_sampled_mib", sm->has_sampled_rss, sm->sampled_rss, 3);
    json_num("kernel_peak_rss_mib", tl->has_status, (double)tl->status.maxrss / 1048576.0, 3);
    json_num("interval_measured_s", sm->has_interval, sm->interval, 6);
    json_num("peak_heap_mib", sm->has_heap, sm->peak_heap, 3);
    json_num("live_last_mib", sm->has_live, sm->live_last, 3);
    json_num("live_peak_mib", sm->has_live, sm->live_peak, 3);
    json_num("allocated_mib", sm->has_allocated, sm->allocated, 3);
    json_num("allocated_span_s", sm->has_allocated, sm->allocated_span, 4);
    if (tl->has_status)
        printf(",\"%s\":%d", tl->status.signaled ? "signal" : "exit_status", tl->status.code);
    printf(",\"execs\":%zu,\"children\":%zu,\"followed\":%zu,\"channel_lost\":%s", sm->nexecs,
           sm->nchildren, sm->nfollowed, tl->nlosts ? "true" : "false");
    json_num("peak_heap_at_s", sm->has_heap, sm->peak_heap_t, 4);
    printf(",\"collections\":%zu,\"forced\":%zu", tl->ngcs, sm->nforced);
    if (sm->has_gc_count)
        printf(",\"gc_count\":%llu", (unsigned long long)sm->gc_count);
    else
        fputs(",\"gc_count\":null", stdout);
    json_num("pause_total_ms", gcs, sm->pause_total * 1e3, 3);
    json_num("pause_max_ms", gcs, sm->pause_max * 1e3, 3);
    json_num("pause_p99_ms", gcs, sm->pause_p99 * 1e3, 3);
    json_num("gc_time_share", gcs, sm->gc_share, 6);
    printf(",\"labels\":%zu,\"closures\":[", tl->nlabels);
    for (size_t i = 0; i < sm->nclosures; i++) {
        const tool_closure *c = &sm->closures[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
        json_str(c->name);
        printf(",\"calls\":%zu,\"unfinished\":%zu", c->calls, c->unfinished);
        json_num("total_s", 1, c->total, 4);
        json_num("max_rss_rise_mib", c->has_rise, c->max_rise, 3);
        putchar('}');
    }
    puts("]}");
}

