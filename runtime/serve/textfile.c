/*
 * textfile.c - the metrics as node_exporter's textfile collector reads
 * them: the exposition (text format 0.0.4) written whole to NAME.prom at
 * start, every interval, and at stop (common/prom_file.h: the file and
 * the writer thread, which gcprof run shares).
 *
 * The writer is a plain thread: it holds no collected pointer and only
 * takes the collector's lock for a few reads (metrics_text.c), so the
 * collector need neither stop nor scan it.
 */
#include "serve.h"
#include "prom_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gcp__textfile {
    char *path;
    gcp__prom_writer *writer;
};

/* One write: NULL, or why not (this thread's last error, or static). */
static const char *write_once(void *arg)
{
    gcp__textfile *t = arg;
    char *text;
    size_t len;

    if (gcp__metrics_text(0, &text, &len) != 0)
        return gcp_last_error();
    const char *why = gcp__prom_file_write(t->path, text, len);
    free(text);
    return why;
}

static void warn(void *arg, const char *why)
{
    gcp__log(GCP_LOG_WARN, "metrics: %s: %s", ((gcp__textfile *)arg)->path, why);
}

/* why as this thread's error, copied first: it may be that very buffer. */
static int failed(const gcp__textfile *t, const char *why)
{
    char copy[200];

    snprintf(copy, sizeof copy, "%s", why);
    return gcp__fail(GCP_EIO, "metrics: %s: %s", t->path, copy);
}

static void textfile_free(gcp__textfile *t)
{
    free(t->path);
    free(t);
}

int gcp__textfile_start(const char *path, double interval, gcp__textfile **out)
{
    gcp__textfile *t = calloc(1, sizeof *t);
    const char *why;

    if (!t || !(t->path = strdup(path))) {
        free(t);
        return gcp__fail(GCP_ENOMEM, "metrics: out of memory");
    }
    /* The first write now, on the caller's thread: a path that cannot be
     * written is the caller's error, not a warning later. */
    if ((why = write_once(t)) != NULL) {
        int rc = failed(t, why);
        textfile_free(t);
        return rc;
    }
    int rc = gcp__prom_writer_start(interval, write_once, warn, t, &t->writer);
    if (rc != 0) {
        textfile_free(t);
        return gcp__fail(GCP_ENOMEM, "metrics: cannot start the textfile writer: %s", strerror(rc));
    }
    *out = t;
    return 0;
}

int gcp__textfile_stop(gcp__textfile *t)
{
    gcp__prom_writer_stop(t->writer);
    const char *why = write_once(t); /* the last figures */
    int rc = why ? failed(t, why) : 0;
    textfile_free(t);
    return rc;
}
