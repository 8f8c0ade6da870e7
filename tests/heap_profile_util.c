/*
 * heap_profile_util.c - what the heap profile suites share
 * (heap_profile_util.h): the test's records and the figures they make,
 * asserted against a dump; each test's directory; the kept objects.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <gc/gc_mark.h> /* GC_is_marked */

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gcprof.h"
#include "heap_profile_util.h"
#include "testutil.h"

/* ---- what the test knows: each object it made ---------------------------- */

size_t note(truth *t, const void *base, int kept)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->r = realloc(t->r, t->cap * sizeof *t->r);
        if (!t->r)
            abort();
    }
    t->r[t->n] = (rec){~(uintptr_t)base, GC_size((void *)base), kept, 0};
    return t->n++;
}

void truth_free(truth *t)
{
    free(t->r);
    t->r = NULL;
    t->n = t->cap = 0;
}

void truths_free(truth *const *sites, size_t n)
{
    for (size_t s = 0; s < n; s++)
        truth_free(sites[s]);
}

typedef struct measure_job {
    truth *const *sites;
    size_t n;
    expect *out;
} measure_job;

static void *GC_CALLBACK measure_locked(void *data)
{
    measure_job *job = data;

    for (size_t s = 0; s < job->n; s++) {
        const truth *t = job->sites[s];
        expect *e = &job->out[s];
        memset(e, 0, sizeof *e);
        for (size_t i = 0; i < t->n; i++) {
            const rec *r = &t->r[i];
            void *p = (void *)~r->hidden;
            e->alloc_objects++;
            e->alloc_bytes += (int64_t)r->size;
            if (r->freed)
                continue;
            /* A wholly empty block is freed at once: no base, no mark bits. */
            int marked = GC_base(p) == p && GC_is_marked(p);
            if (marked) {
                e->marked_objects++;
                e->marked_bytes += (int64_t)r->size;
            }
            if (r->kept) {
                e->kept_objects++;
                e->kept_bytes += (int64_t)r->size;
                e->kept_unmarked += !marked;
            }
        }
    }
    return NULL;
}

/* The figures of n sites at once, under the collector's lock. */
void measure(truth *const *sites, size_t n, expect *out)
{
    measure_job job = {sites, n, out};

    GC_call_with_alloc_lock(measure_locked, &job);
}

void expect_add(expect *total, const expect *x)
{
    total->alloc_objects += x->alloc_objects;
    total->alloc_bytes += x->alloc_bytes;
    total->kept_objects += x->kept_objects;
    total->kept_bytes += x->kept_bytes;
    total->marked_objects += x->marked_objects;
    total->marked_bytes += x->marked_bytes;
    total->kept_unmarked += x->kept_unmarked;
}

/* The profile's figures for t's site equal the test's: allocated exactly,
 * in use what the collector marked of what the test made and did not
 * free, which is what it kept. */
void assert_site_exact(const hp_dump *d, const truth *t, const expect *e)
{
    tally g = site_tally(d, t->site, t->kind);

    ck_assert_msg(g.stacks > 0, "[%s] %s: no stack in the dump (%zu stacks)", VARIANT, t->site,
                  d->n);
    ck_assert_msg(g.other_kinds == 0, "[%s] %s: kind %s, expected %s", VARIANT, t->site,
                  g.other_kind, t->kind);
    ck_assert_msg(g.v[ALLOC_OBJECTS] == e->alloc_objects,
                  "[%s] %s: %" PRId64 " objects allocated, the test made %" PRId64, VARIANT,
                  t->site, g.v[ALLOC_OBJECTS], e->alloc_objects);
    ck_assert_msg(g.v[ALLOC_BYTES] == e->alloc_bytes,
                  "[%s] %s: %" PRId64 " bytes allocated, GC_size sum %" PRId64, VARIANT, t->site,
                  g.v[ALLOC_BYTES], e->alloc_bytes);
    ck_assert_msg(e->kept_unmarked == 0, "[%s] %s: %" PRId64 " kept objects not marked", VARIANT,
                  t->site, e->kept_unmarked);
    ck_assert_msg(g.v[INUSE_OBJECTS] == e->marked_objects && g.v[INUSE_BYTES] == e->marked_bytes,
                  "[%s] %s: in use %" PRId64 " objects %" PRId64 " bytes, the collector marked "
                  "%" PRId64 " objects %" PRId64 " bytes of the test's",
                  VARIANT, t->site, g.v[INUSE_OBJECTS], g.v[INUSE_BYTES], e->marked_objects,
                  e->marked_bytes);
    ck_assert_msg(e->marked_objects == e->kept_objects && e->marked_bytes == e->kept_bytes,
                  "[%s] %s: the collector marked %" PRId64 " objects (%" PRId64
                  " bytes), the test kept %" PRId64 " (%" PRId64 ")",
                  VARIANT, t->site, e->marked_objects, e->marked_bytes, e->kept_objects,
                  e->kept_bytes);
}

/* ---- the dump, written and read back --------------------------------------- */

/* Writes the profile raw to path and reads it back. */
void write_and_read(const char *path, hp_dump *d)
{
    int rc = gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW);
    ck_assert_msg(rc == 0, "gcp_heap_profile_write: %d %s", rc, gcp_last_error());
    const char *why = hp_read(path, d);
    ck_assert_msg(why == NULL, "%s: %s", path, why ? why : "");
    ck_assert_int_eq(d->version, 1);
    ck_assert_int_eq(d->pid, (long)getpid());
    ck_assert_msg(d->maps > 0, "no map lines");
}

void write_named(const char *name, hp_dump *d)
{
    char path[512];

    in_tmpdir(path, sizeof path, name);
    write_and_read(path, d);
}

void assert_written_exact(const char *name, truth *const *sites, const expect *e, size_t n)
{
    hp_dump d;

    write_named(name, &d);
    for (size_t s = 0; s < n; s++)
        assert_site_exact(&d, sites[s], &e[s]);
    hp_dump_free(&d);
}

/* ---- the test's files ------------------------------------------------------ */

/* Each tcase's directory, made and removed by the runner process (an
 * unchecked fixture: removed also when a test failed, which in a forked
 * test skips its checked teardown); in it each test's own directory. */
static char casedir[256];
char tmpdir[300];

static void make_casedir(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(casedir, sizeof casedir, "%s/check_heap_profile.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(casedir)) {
        fprintf(stderr, "check_heap_profile: mkdtemp %s: %s\n", casedir, strerror(errno));
        exit(2);
    }
}

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/test.XXXXXX", casedir);
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp %s: %s", tmpdir, strerror(errno));
}

void in_tmpdir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tmpdir, name);
}

/* The names in dir, sorted, joined by spaces, into out. */
int list_dir(const char *dir, char *out, size_t size)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), count = 0;

    out[0] = '\0';
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            size_t len = strlen(out);
            snprintf(out + len, size - len, "%s%s", count++ ? " " : "", names[i]->d_name);
        }
        free(names[i]);
    }
    free(names);
    return count;
}

static void remove_tree(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, NULL);
    char path[512];

    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(path);
            else
                unlink(path);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    rmdir(dir);
}

static void remove_casedir(void)
{
    if (casedir[0])
        remove_tree(casedir);
    casedir[0] = '\0';
}

static void setup(void)
{
    make_tmpdir();
}

static void teardown(void)
{
    gcp_heap_profile_stop(); /* GCP_ESTATE when none runs */
    if (tmpdir[0])
        remove_tree(tmpdir);
    tmpdir[0] = '\0';
}

TCase *hp_tcase(Suite *s, const char *name, int timeout)
{
    TCase *tc = tcase_create(name);

    tcase_add_unchecked_fixture(tc, make_casedir, remove_casedir);
    tcase_add_checked_fixture(tc, setup, teardown);
    if (timeout)
        tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

void start_rate(uint64_t rate, uint64_t flags)
{
    gcp_heap_profile_options o = {.rate = rate, .flags = flags};
    int rc = gcp_heap_profile_start(&o);

    ck_assert_msg(rc == 0, "gcp_heap_profile_start: %d %s", rc, gcp_last_error());
}

/* A full collection with the stack below us cleared first. */
void collect(void)
{
    tu_clear_dead_stack();
    ck_assert_int_eq(gcp_collect(), 1);
}

void collect_and_measure(truth *const *sites, size_t n, expect *out)
{
    collect();
    measure(sites, n, out);
}

/* ---- kept objects ------------------------------------------------------------ */

/* Where the collector sees them, and the stores cannot be dropped. */
void *volatile keep[KEEP_MAX];
size_t nkeep;

void keep_add(void *p)
{
    if (nkeep >= KEEP_MAX)
        ck_abort_msg("keep[] is full");
    keep[nkeep++] = p;
}

void keep_clear(void)
{
    for (size_t i = 0; i < KEEP_MAX; i++)
        keep[i] = NULL;
    nkeep = 0;
}

void note_kept(truth *t, void *p, int kept)
{
    ck_assert_ptr_nonnull(p);
    note(t, p, kept);
    if (kept)
        keep_add(p);
}

void note_at(truth *t, void *p, int kept, void *volatile *slot)
{
    if (!p)
        abort();
    note(t, p, kept);
    if (kept)
        *slot = p;
}
