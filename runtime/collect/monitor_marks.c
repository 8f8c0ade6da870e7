/*
 * monitor_marks.c - what profiles and the program write into a running
 * monitor's timeline as it happens: enter and exit markers around
 * profiled closures, and labels (monitor.c owns the stream and its lock).
 */
#include "collect.h"
#include "monitor.h"

#include <stdio.h>
#include <string.h>

/* One marker, under the stream's lock; nothing when only tracing. */
static void write_marker(void (*write)(FILE *, gcp_tl_format, const gcp_tl_func *),
                         const gcp_tl_func *fn)
{
    gcp_tl_format format;
    FILE *fp = gcp__monitor_lock(&format, NULL);

    if (fp)
        write(fp, format, fn);
    gcp__monitor_unlock();
}

int gcp_monitor_label(const char *text)
{
    gcp_tl_format format;
    FILE *fp;

    if (!text)
        return gcp__fail(GCP_EINVAL, "gcp_monitor_label: text is NULL");
    if (gcp__monitor_not_running("gcp_monitor_label") < 0)
        return GCP_ESTATE;
    if ((fp = gcp__monitor_lock(&format, NULL)))
        gcp__tl_label(fp, format, gcp__tl_now(), text);
    gcp__monitor_unlock();
    return 0;
}

/* Markers carry RSS, and mprof's FUNC line has no way to say "unknown": without
 * RSS (no /proc) the closures are not marked, and one label says so, rather
 * than a made-up 0. Returns 0, the "no enter marker" start time. */
static double no_marker_without_rss(void)
{
    char text[128];
    gcp_tl_format format;
    int *said;

    snprintf(text, sizeof text, "closures not marked: no RSS (/proc/self/statm: %s)",
             strerror(gcp__rss_errno()));
    FILE *fp = gcp__monitor_lock(&format, &said);
    if (fp && !*said)
        gcp__tl_label(fp, format, gcp__tl_now(), text);
    *said = 1;
    gcp__monitor_unlock();
    return 0;
}

double gcp__monitor_enter(const char *name, int level, uint64_t *rss)
{
    if (!gcp__monitor_active())
        return 0;
    if (*rss == 0) /* the profile does not read RSS: the timeline needs it */
        *rss = gcp__rss_bytes();
    if (*rss == 0)
        return no_marker_without_rss();
    gcp_tl_func fn = {name, level, gcp__tl_now(), *rss, 0, 0};
    write_marker(gcp__tl_enter, &fn);
    return fn.t;
}

void gcp__monitor_exit(const char *name, int level, uint64_t rss, double start_real,
                       uint64_t rss_start)
{
    if (!gcp__monitor_active() || start_real == 0)
        return; /* no monitor, or none when the closure entered */
    if (rss == 0)
        rss = gcp__rss_bytes();
    if (rss == 0)
        return; /* RSS lost since the enter marker: an open marker is read as unfinished */
    gcp_tl_func fn = {name, level, gcp__tl_now(), rss, start_real, rss_start};
    write_marker(gcp__tl_exit, &fn);
}
