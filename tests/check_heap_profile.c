/*
 * check_heap_profile.c - the runtime's sampled heap profiles
 * (gcp_heap_profile_start/stop/write, include/gcprof.h), written raw
 * (doc/heap-dump-format.md) and read back by a parser of the test's own.
 * Every expected figure is the test's own measurement: its counts of
 * what each site allocated, kept and freed, GC_size of each object, and
 * the collector's mark bit on each object it made (read through hidden
 * addresses after the collection); the statistical case compares with
 * five standard errors computed from the sampling probabilities.
 *
 * A site is a function of this file (noinline, no clones, exported with
 * -export-dynamic): a stack belongs to it when dladdr names it for the
 * innermost return address, minus one.
 *
 * Built twice: check_heap_profile links the shared library, as a program
 * would; check_heap_profile_static links the library's code itself
 * (libgcprof_core.la), so that the runtime's own calls of GC_* go through
 * the same redirected GOT entries as the test's: every count must still
 * be exact (nothing counted twice, nothing of the runtime's own).
 *
 * The pprof format is not tested here (its module is built elsewhere).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <pthread.h>

/* The plain pthread_create and pthread_join, before <gc/gc.h> redirects
 * the names to GC_pthread_*: threads the library registers itself (and
 * that GC_pthread_join would not know). */
static int (*const plain_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                         void *) = pthread_create;
static int (*const plain_pthread_join)(pthread_t, void **) = pthread_join;

#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>
#include <gc/gc_inline.h> /* GC_malloc_kind, GC_I_NORMAL */
#include <gc/gc_mark.h>   /* GC_is_marked */

#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gcprof.h"
#include "testutil.h"

#ifdef HP_STATIC
#define VARIANT "static"
#else
#define VARIANT "shared"
#endif

/* A site: its own frame (no inlining, no clone under another name), and
 * a symbol of its own in the dynamic table. */
#if defined(__clang__)
#define SITE __attribute__((noinline, used))
#else
#define SITE __attribute__((noipa, used))
#endif

/* Built with AddressSanitizer (GCC says so one way, clang another). */
#if defined(__SANITIZE_ADDRESS__)
#define HP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HP_ASAN 1
#endif
#endif
#ifndef HP_ASAN
#define HP_ASAN 0
#endif

/* ---- the dump, read by the test ----------------------------------------- */

typedef struct hp_stack {
    char kind[256]; /* the field as written: KIND or KIND:TYPE (TYPE %XX-encoded) */
    char site[128]; /* dladdr's name for the innermost frame, or "?" */
    int64_t v[4];   /* allocated objects, bytes; in use objects, bytes */
    int depth;
} hp_stack;

enum { ALLOC_OBJECTS, ALLOC_BYTES, INUSE_OBJECTS, INUSE_BYTES };

typedef struct hp_dump {
    int version;
    uint64_t rate;
    long pid;
    unsigned long gc_no;
    int have_gc_no;
    int maps;
    size_t n, cap;
    hp_stack *stacks;
} hp_dump;

static void hp_dump_free(hp_dump *d)
{
    free(d->stacks);
    memset(d, 0, sizeof *d);
}

/* The innermost frame's function, as the symboliser would find it
 * (address - 1: the call, not what follows it). */
static void name_frame(uintptr_t pc, char *out, size_t size)
{
    Dl_info info;

    if (pc && dladdr((void *)(pc - 1), &info) && info.dli_sname)
        snprintf(out, size, "%s", info.dli_sname);
    else
        snprintf(out, size, "?");
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;

    if (!s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* Reads path into *d: NULL, or what is wrong with it (a static message;
 * no Check calls, so that a forked child can use it). */
static const char *hp_read(const char *path, hp_dump *d)
{
    static char why[512];
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;

    memset(d, 0, sizeof *d);
    if (!fp) {
        snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
        return why;
    }
    why[0] = '\0';
    while ((len = getline(&line, &cap, fp)) > 0 && !why[0]) {
        lineno++;
        if (line[len - 1] != '\n') {
            snprintf(why, sizeof why, "line %d: no newline", lineno);
            break;
        }
        line[len - 1] = '\0';
        char *save = NULL, *rec = strtok_r(line, " ", &save);
        if (lineno == 1) {
            char *v = strtok_r(NULL, " ", &save);
            if (!rec || strcmp(rec, "gcprof-heap-dump") != 0 || !v || strcmp(v, "1") != 0)
                snprintf(why, sizeof why, "line 1 is not \"gcprof-heap-dump 1\"");
            d->version = 1;
            continue;
        }
        if (!rec)
            continue;
        if (strcmp(rec, "rate") == 0) {
            int64_t r = 0;
            if (parse_i64(strtok_r(NULL, " ", &save), &r) != 0 || r < 1)
                snprintf(why, sizeof why, "line %d: bad rate", lineno);
            d->rate = (uint64_t)r;
        } else if (strcmp(rec, "pid") == 0) {
            int64_t p = 0;
            if (parse_i64(strtok_r(NULL, " ", &save), &p) != 0)
                snprintf(why, sizeof why, "line %d: bad pid", lineno);
            d->pid = (long)p;
        } else if (strcmp(rec, "gc_no") == 0) {
            int64_t g = 0;
            if (parse_i64(strtok_r(NULL, " ", &save), &g) != 0 || g < 0)
                snprintf(why, sizeof why, "line %d: bad gc_no", lineno);
            d->gc_no = (unsigned long)g;
            d->have_gc_no = 1;
        } else if (strcmp(rec, "map") == 0) {
            d->maps++;
        } else if (strcmp(rec, "stack") == 0) {
            if (d->n == d->cap) {
                d->cap = d->cap ? 2 * d->cap : 64;
                d->stacks = realloc(d->stacks, d->cap * sizeof *d->stacks);
                if (!d->stacks)
                    abort();
            }
            hp_stack *s = &d->stacks[d->n];
            memset(s, 0, sizeof *s);
            char *kind = strtok_r(NULL, " ", &save);
            if (!kind || strlen(kind) >= sizeof s->kind) {
                snprintf(why, sizeof why, "line %d: bad kind", lineno);
                break;
            }
            snprintf(s->kind, sizeof s->kind, "%s", kind);
            for (int k = 0; k < 4; k++)
                if (parse_i64(strtok_r(NULL, " ", &save), &s->v[k]) != 0 || s->v[k] < 0) {
                    snprintf(why, sizeof why, "line %d: bad count %d", lineno, k + 1);
                    break;
                }
            if (why[0])
                break;
            for (char *pc; (pc = strtok_r(NULL, " ", &save)) != NULL;) {
                char *end;
                uintptr_t a = (uintptr_t)strtoull(pc, &end, 16);
                if (*end || end == pc) {
                    snprintf(why, sizeof why, "line %d: bad address %s", lineno, pc);
                    break;
                }
                if (s->depth == 0)
                    name_frame(a, s->site, sizeof s->site);
                s->depth++;
            }
            if (!why[0] && s->depth == 0)
                snprintf(why, sizeof why, "line %d: a stack without addresses", lineno);
            d->n++;
        }
    }
    if (!why[0] && lineno == 0)
        snprintf(why, sizeof why, "%s is empty", path);
    free(line);
    fclose(fp);
    return why[0] ? why : NULL;
}

/* The kind field's TYPE, %XX decoded, or "" when there is none. */
static void kind_type(const char *field, char *out, size_t size)
{
    const char *c = strchr(field, ':');
    size_t n = 0;

    if (c)
        for (c++; *c && n + 1 < size; c++) {
            unsigned hex;
            if (*c == '%' && sscanf(c + 1, "%2x", &hex) == 1) {
                out[n++] = (char)hex;
                c += 2;
            } else {
                out[n++] = *c;
            }
        }
    out[n] = '\0';
}

/* Writes the profile raw to path and reads it back. */
static void write_and_read(const char *path, hp_dump *d)
{
    int rc = gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW);
    ck_assert_msg(rc == 0, "gcp_heap_profile_write: %d %s", rc, gcp_last_error());
    const char *why = hp_read(path, d);
    ck_assert_msg(why == NULL, "%s: %s", path, why ? why : "");
    ck_assert_int_eq(d->version, 1);
    ck_assert_int_eq(d->pid, (long)getpid());
    ck_assert_msg(d->maps > 0, "no map lines");
}

/* A site's stacks added up. */
typedef struct tally {
    int64_t v[4];
    int stacks;
    int other_kinds;      /* stacks of the site with another kind field */
    char other_kind[256]; /* one of them */
} tally;

static tally site_tally(const hp_dump *d, const char *site, const char *kind)
{
    tally t;

    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < d->n; i++) {
        const hp_stack *s = &d->stacks[i];
        if (strcmp(s->site, site) != 0)
            continue;
        t.stacks++;
        for (int k = 0; k < 4; k++)
            t.v[k] += s->v[k];
        if (kind && strcmp(s->kind, kind) != 0) {
            t.other_kinds++;
            snprintf(t.other_kind, sizeof t.other_kind, "%s", s->kind);
        }
    }
    return t;
}

/* Stacks that allocated and belong to none of the sites: the first one
 * described in why. */
static int foreign_stacks(const hp_dump *d, const char *const *sites, size_t nsites, char *why,
                          size_t size)
{
    int n = 0;

    why[0] = '\0';
    for (size_t i = 0; i < d->n; i++) {
        const hp_stack *s = &d->stacks[i];
        int ours = 0;
        for (size_t k = 0; k < nsites && !ours; k++)
            ours = strcmp(s->site, sites[k]) == 0;
        if (ours || (s->v[ALLOC_OBJECTS] == 0 && s->v[INUSE_OBJECTS] == 0))
            continue;
        if (!n++)
            snprintf(why, size, "stack %s %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " at %s",
                     s->kind, s->v[0], s->v[1], s->v[2], s->v[3], s->site);
    }
    return n;
}

/* ---- what the test knows: each object it made ---------------------------- */

/* An object's start, hidden from the collector (complemented, in malloc'd
 * memory), its GC_size, and what the test did with it. */
typedef struct rec {
    uintptr_t hidden;
    size_t size;
    int kept, freed;
} rec;

typedef struct truth {
    const char *site; /* the function that allocates */
    const char *kind; /* its stacks' kind field */
    rec *r;
    size_t n, cap;
} truth;

/* Figures from the test's own records; marked from the collector's mark
 * bits, read after the collection and before anything else allocates. */
typedef struct expect {
    int64_t alloc_objects, alloc_bytes;
    int64_t kept_objects, kept_bytes;
    int64_t marked_objects, marked_bytes;
    int64_t kept_unmarked;
} expect;

static size_t note(truth *t, const void *base, int kept)
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

static void truth_free(truth *t)
{
    free(t->r);
    t->r = NULL;
    t->n = t->cap = 0;
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
static void measure(truth *const *sites, size_t n, expect *out)
{
    measure_job job = {sites, n, out};

    GC_call_with_alloc_lock(measure_locked, &job);
}

/* The profile's figures for t's site equal the test's: allocated exactly,
 * in use what the collector marked of what the test made and did not
 * free, which is what it kept. */
static void assert_site_exact(const hp_dump *d, const truth *t, const expect *e)
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

/* ---- the test's files ------------------------------------------------------ */

/* Each tcase's directory, made and removed by the runner process (an
 * unchecked fixture: removed also when a test failed, which in a forked
 * test skips its checked teardown); in it each test's own directory. */
static char casedir[256], tmpdir[300];

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

static void in_tmpdir(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tmpdir, name);
}

/* The names in dir, sorted, joined by spaces, into out. */
static int list_dir(const char *dir, char *out, size_t size)
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

static void start_rate(uint64_t rate, uint64_t flags)
{
    gcp_heap_profile_options o = {.rate = rate, .flags = flags};
    int rc = gcp_heap_profile_start(&o);

    ck_assert_msg(rc == 0, "gcp_heap_profile_start: %d %s", rc, gcp_last_error());
}

/* A full collection with the stack below us cleared first. */
static void collect(void)
{
    tu_clear_dead_stack();
    ck_assert_int_eq(gcp_collect(), 1);
}

/* ---- kept objects ------------------------------------------------------------ */

/* Where the collector sees them, and the stores cannot be dropped. */
#define KEEP_MAX 65536
static void *volatile keep[KEEP_MAX];
static size_t nkeep;

static void keep_add(void *p)
{
    if (nkeep >= KEEP_MAX)
        ck_abort_msg("keep[] is full");
    keep[nkeep++] = p;
}

static void keep_clear(void)
{
    for (size_t i = 0; i < KEEP_MAX; i++)
        keep[i] = NULL;
    nkeep = 0;
}

/* ---- case 1: every entry point, exactly ---------------------------------------- */

typedef struct point3 {
    long x, y, z;
} point3;

struct spaced_node {
    struct spaced_node *next;
    long value[3];
};

/* The sites: one entry point each. i picks the size; every third object
 * is kept. They are not static so that dladdr can name them. */
void hp_site_new(truth *t, int i);
void hp_site_alloc(truth *t, int i);
void hp_site_alloc_atomic(truth *t, int i);
void hp_site_strdup(truth *t, int i);
void hp_site_gc_malloc(truth *t, int i);
void hp_site_gc_atomic(truth *t, int i);
void hp_site_gc_kind(truth *t, int i);
void hp_site_gc_uncollectable(truth *t, int i);
void hp_site_gc_realloc(truth *t, int i);
void hp_site_gc_strdup(truth *t, int i);
void hp_site_gc_many(truth *t, int i);
void hp_site_gc_memalign(truth *t, int i);

static int kept_at(int i)
{
    return i % 3 == 0;
}

static void note_kept(truth *t, void *p, int kept)
{
    ck_assert_ptr_nonnull(p);
    note(t, p, kept);
    if (kept)
        keep_add(p);
}

SITE void hp_site_new(truth *t, int i)
{
    point3 *p = GCP_NEW(point3);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_alloc(truth *t, int i)
{
    void *p = gcp_alloc(16 + (size_t)(i % 9) * 8);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_alloc_atomic(truth *t, int i)
{
    size_t n = 40 + (size_t)(i % 5) * 24;
    char *p = gcp_alloc_atomic(n);
    if (p) /* the first word is scanned: no stale pointer in it */
        memset(p, 0x5a, n);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_strdup(truth *t, int i)
{
    static const char *const s[] = {"a", "heap profile", "a string of some thirty bytes.."};
    char *p = gcp_strdup(s[i % 3]);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_gc_malloc(truth *t, int i)
{
    void *p = GC_MALLOC(24 + (size_t)(i % 7) * 16);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_gc_atomic(truth *t, int i)
{
    void *p = GC_MALLOC_ATOMIC(100 + (size_t)(i % 4) * 100);
    note_kept(t, p, kept_at(i));
}

SITE void hp_site_gc_kind(truth *t, int i)
{
    void *p = GC_malloc_kind(56 + (size_t)(i % 3) * 8, GC_I_NORMAL);
    note_kept(t, p, kept_at(i));
}

/* Not kept: freed at once (GC_FREE), the rest freed by the test later. */
SITE void hp_site_gc_uncollectable(truth *t, int i)
{
    void *p = GC_MALLOC_UNCOLLECTABLE(32 + (size_t)(i % 2) * 32);
    ck_assert_ptr_nonnull(p);
    size_t r = note(t, p, kept_at(i));
    if (kept_at(i)) {
        keep_add(p);
    } else {
        t->r[r].freed = 1;
        GC_FREE(p);
    }
}

/* A small object grown to 1000 bytes: it moves, and the old one is freed
 * inside the collector (two allocations, the first gone at once). */
SITE void hp_site_gc_realloc(truth *t, int i)
{
    void *p = GC_MALLOC(24);
    ck_assert_ptr_nonnull(p);
    size_t old = note(t, p, 0);
    void *q = GC_REALLOC(p, 1000 + (size_t)(i % 3) * 8);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p);
    t->r[old].freed = 1;
    note_kept(t, q, kept_at(i));
}

SITE void hp_site_gc_strdup(truth *t, int i)
{
    static const char *const s[] = {"raw", "a raw string from GC_strdup", ""};
    char *p = GC_STRDUP(s[i % 3]);
    note_kept(t, p, kept_at(i));
}

/* A batch: every object is recorded; every third of each batch kept, each
 * unlinked from the list. */
SITE void hp_site_gc_many(truth *t, int i)
{
    void *list = GC_malloc_many(40 + (size_t)(i % 2) * 8), *next;
    int k = 0;

    ck_assert_ptr_nonnull(list);
    for (void *p = list; p; p = next, k++) {
        next = GC_NEXT(p);
        GC_NEXT(p) = NULL;
        note_kept(t, p, kept_at(k));
    }
}

/* An aligned object: the collector hands out an address inside a larger
 * one; the sample is of that one (its start, GC_size of it). */
SITE void hp_site_gc_memalign(truth *t, int i)
{
    void *p = GC_memalign(64, 200 + (size_t)(i % 2) * 40);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 64, 0);
    void *base = GC_base(p);
    note(t, base, kept_at(i));
    if (kept_at(i))
        keep_add(p); /* the aligned address keeps it, as in a program */
}

typedef void (*site_fn)(truth *, int);

static const struct {
    const char *name;
    const char *kind;
    site_fn fn;
    int calls;
} exact_sites[] = {
    {"hp_site_new", "normal:point3", hp_site_new, 300},
    {"hp_site_alloc", "normal", hp_site_alloc, 300},
    {"hp_site_alloc_atomic", "atomic", hp_site_alloc_atomic, 300},
    {"hp_site_strdup", "atomic", hp_site_strdup, 300},
    {"hp_site_gc_malloc", "normal", hp_site_gc_malloc, 300},
    {"hp_site_gc_atomic", "atomic", hp_site_gc_atomic, 300},
    {"hp_site_gc_kind", "normal", hp_site_gc_kind, 300},
    {"hp_site_gc_uncollectable", "uncollectable", hp_site_gc_uncollectable, 300},
    {"hp_site_gc_realloc", "normal", hp_site_gc_realloc, 300},
    {"hp_site_gc_strdup", "atomic", hp_site_gc_strdup, 300},
    {"hp_site_gc_many", "normal", hp_site_gc_many, 4},
    {"hp_site_gc_memalign", "normal", hp_site_gc_memalign, 300},
};
#define N_EXACT TU_ROWS(exact_sites)

START_TEST(test_exact_every_entry_point)
{
    truth t[N_EXACT];
    truth *tp[N_EXACT];
    expect e[N_EXACT];
    const char *names[N_EXACT];
    char path[512], why[512];
    hp_dump d;

    memset(t, 0, sizeof t);
    for (int s = 0; s < N_EXACT; s++) {
        t[s].site = names[s] = exact_sites[s].name;
        t[s].kind = exact_sites[s].kind;
        tp[s] = &t[s];
    }
    keep_clear();
    start_rate(1, 0);
    /* No collection while the sites run: a dropped object's address is
     * not reused, so the test's record of it stays its own. */
    GC_disable();
    for (int i = 0; i < 300; i++)
        for (int s = 0; s < N_EXACT; s++)
            if (i < exact_sites[s].calls)
                exact_sites[s].fn(&t[s], i);
    GC_enable();
    collect();
    measure(tp, N_EXACT, e);
    unsigned long gc_no = (unsigned long)GC_get_gc_no();

    in_tmpdir(path, sizeof path, "exact.raw");
    write_and_read(path, &d);
    ck_assert_uint_eq(d.rate, 1);
    ck_assert_msg(d.have_gc_no && d.gc_no == gc_no, "gc_no %lu in the dump, the collector's %lu",
                  d.gc_no, gc_no);
    for (int s = 0; s < N_EXACT; s++)
        assert_site_exact(&d, &t[s], &e[s]);
    ck_assert_msg(foreign_stacks(&d, names, N_EXACT, why, sizeof why) == 0,
                  "[%s] a stack of none of the test's sites: %s", VARIANT, why);
    /* Walked stacks, not the one-frame fallback for a stack without room
     * (the site, this test, Check's runner and more lie above it). */
    for (size_t i = 0; i < d.n; i++)
        ck_assert_msg(d.stacks[i].depth >= 3, "[%s] %s: a stack of %d frames: not walked",
                      VARIANT, d.stacks[i].site, d.stacks[i].depth);
    hp_dump_free(&d);

    /* The kept uncollectable objects freed: out of use at once. */
    truth *unc = NULL;
    for (int s = 0; s < N_EXACT; s++)
        if (strcmp(t[s].site, "hp_site_gc_uncollectable") == 0)
            unc = &t[s];
    ck_assert_ptr_nonnull(unc);
    for (size_t i = 0; i < unc->n; i++)
        if (!unc->r[i].freed) {
            GC_FREE((void *)~unc->r[i].hidden);
            unc->r[i].freed = 1;
        }
    in_tmpdir(path, sizeof path, "exact-freed.raw");
    write_and_read(path, &d);
    tally g = site_tally(&d, "hp_site_gc_uncollectable", NULL);
    ck_assert_int_eq(g.v[ALLOC_OBJECTS], e[unc - t].alloc_objects);
    ck_assert_msg(g.v[INUSE_OBJECTS] == 0 && g.v[INUSE_BYTES] == 0,
                  "GC_FREE'd uncollectable objects still in use: %" PRId64 " objects",
                  g.v[INUSE_OBJECTS]);
    hp_dump_free(&d);

    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    keep_clear();
    for (int s = 0; s < N_EXACT; s++)
        truth_free(&t[s]);
}
END_TEST

/* ---- case 2: GC_FREE and a moving GC_REALLOC drop a sample at once ------------------ */

void hp_site_to_free(truth *t, int i);
void hp_site_to_move(truth *t, int i);
void hp_site_moved(truth *t, size_t index);

SITE void hp_site_to_free(truth *t, int i)
{
    void *p = GC_MALLOC(64 + (size_t)(i % 4) * 8);
    note_kept(t, p, 1);
}

SITE void hp_site_to_move(truth *t, int i)
{
    void *p = GC_MALLOC(32 + (size_t)(i % 2) * 8);
    note_kept(t, p, 1);
}

/* Grows the kept object at keep[index] (hp_site_to_move's) to 2000 bytes. */
SITE void hp_site_moved(truth *t, size_t index)
{
    void *old = keep[index];
    void *p = GC_REALLOC(old, 2000);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_ne(p, old);
    note(t, p, 1);
    keep[index] = p;
}

START_TEST(test_free_and_realloc_drop_at_once)
{
    truth tf = {"hp_site_to_free", "normal", NULL, 0, 0};
    truth tm = {"hp_site_to_move", "normal", NULL, 0, 0};
    truth tn = {"hp_site_moved", "normal", NULL, 0, 0};
    truth *all[3] = {&tf, &tm, &tn};
    expect e[3];
    char path[512];
    hp_dump d;
    enum { N = 200 };

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < N; i++)
        hp_site_to_free(&tf, i);
    size_t move_from = nkeep;
    for (int i = 0; i < N; i++)
        hp_site_to_move(&tm, i);
    GC_enable();
    collect();
    measure(all, 2, e);
    in_tmpdir(path, sizeof path, "before.raw");
    write_and_read(path, &d);
    assert_site_exact(&d, &tf, &e[0]);
    assert_site_exact(&d, &tm, &e[1]);
    hp_dump_free(&d);

    /* No collection from here to the next write. */
    GC_disable();
    unsigned long gc_before = (unsigned long)GC_get_gc_no();
    for (size_t i = 0; i < N; i++) {
        GC_FREE(keep[i]);
        keep[i] = NULL;
        tf.r[i].freed = 1;
    }
    for (size_t i = 0; i < N; i++) {
        hp_site_moved(&tn, move_from + i);
        tm.r[i].freed = 1;
        tm.r[i].kept = 0;
    }
    in_tmpdir(path, sizeof path, "after.raw");
    write_and_read(path, &d);
    ck_assert_uint_eq((unsigned long)GC_get_gc_no(), gc_before);
    tally f = site_tally(&d, "hp_site_to_free", "normal");
    tally m = site_tally(&d, "hp_site_to_move", "normal");
    tally n = site_tally(&d, "hp_site_moved", "normal");
    ck_assert_int_eq(f.v[ALLOC_OBJECTS], N);
    ck_assert_msg(f.v[INUSE_OBJECTS] == 0 && f.v[INUSE_BYTES] == 0,
                  "[%s] GC_FREE'd objects in use before any collection: %" PRId64, VARIANT,
                  f.v[INUSE_OBJECTS]);
    ck_assert_int_eq(m.v[ALLOC_OBJECTS], N);
    ck_assert_msg(m.v[INUSE_OBJECTS] == 0 && m.v[INUSE_BYTES] == 0,
                  "[%s] objects GC_REALLOC moved still in use before any collection: %" PRId64,
                  VARIANT, m.v[INUSE_OBJECTS]);
    /* The new objects: allocated, and in use only once a collection says so. */
    ck_assert_int_eq(n.v[ALLOC_OBJECTS], N);
    ck_assert_int_eq(n.v[INUSE_OBJECTS], 0);
    hp_dump_free(&d);
    GC_enable();

    collect();
    measure(all, 3, e);
    in_tmpdir(path, sizeof path, "collected.raw");
    write_and_read(path, &d);
    assert_site_exact(&d, &tf, &e[0]);
    assert_site_exact(&d, &tm, &e[1]);
    assert_site_exact(&d, &tn, &e[2]);
    ck_assert_int_eq(e[2].kept_objects, N);
    hp_dump_free(&d);
    keep_clear();
    for (int s = 0; s < 3; s++)
        truth_free(all[s]);
}
END_TEST

/* ---- case 3: in use follows collections ------------------------------------------- */

void hp_site_follow_raw(truth *t, int i);
void hp_site_follow_rt(truth *t, int i);

SITE void hp_site_follow_raw(truth *t, int i)
{
    void *p = GC_MALLOC(48 + (size_t)(i % 3) * 16);
    note_kept(t, p, 1);
}

SITE void hp_site_follow_rt(truth *t, int i)
{
    void *p = gcp_alloc(48 + (size_t)(i % 3) * 16);
    note_kept(t, p, 1);
}

/* Drops the kept objects of t whose index in t satisfies drop(i); t's
 * objects are keep[first ...]. */
static void drop_kept(truth *t, size_t first, int every)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->r[i].kept && (every == 1 || i % (size_t)every == 0)) {
            keep[first + i] = NULL;
            t->r[i].kept = 0;
        }
}

START_TEST(test_in_use_follows_collections)
{
    truth raw = {"hp_site_follow_raw", "normal", NULL, 0, 0};
    truth rt = {"hp_site_follow_rt", "normal", NULL, 0, 0};
    truth *all[2] = {&raw, &rt};
    expect e[2];
    char path[512];
    hp_dump d;
    enum { N = 600 };

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < N; i++)
        hp_site_follow_raw(&raw, i);
    for (int i = 0; i < N; i++)
        hp_site_follow_rt(&rt, i);
    GC_enable();

    /* Before any collection nothing is in use yet. */
    in_tmpdir(path, sizeof path, "0.raw");
    write_and_read(path, &d);
    ck_assert_int_eq(site_tally(&d, raw.site, NULL).v[ALLOC_OBJECTS], N);
    ck_assert_int_eq(site_tally(&d, raw.site, NULL).v[INUSE_OBJECTS], 0);
    ck_assert_int_eq(site_tally(&d, rt.site, NULL).v[INUSE_OBJECTS], 0);
    hp_dump_free(&d);

    /* All kept; then a third dropped; then all dropped. */
    static const int every[] = {0, 3, 1};
    for (int step = 0; step < 3; step++) {
        if (every[step]) {
            drop_kept(&raw, 0, every[step]);
            drop_kept(&rt, N, every[step]);
        }
        collect();
        measure(all, 2, e);
        char name[32];
        snprintf(name, sizeof name, "%d.raw", step + 1);
        in_tmpdir(path, sizeof path, name);
        write_and_read(path, &d);
        for (int s = 0; s < 2; s++)
            assert_site_exact(&d, all[s], &e[s]);
        hp_dump_free(&d);
    }
    ck_assert_int_eq(e[0].kept_objects, 0);
    ck_assert_int_eq(e[1].kept_objects, 0);
    truth_free(&raw);
    truth_free(&rt);
}
END_TEST

/* ---- case 4: stop, write after it, start again ------------------------------------- */

void hp_site_life_raw(truth *t, int i);
void hp_site_life_rt(truth *t, int i);

SITE void hp_site_life_raw(truth *t, int i)
{
    void *p = GC_MALLOC(40);
    note_kept(t, p, i % 2 == 0);
}

SITE void hp_site_life_rt(truth *t, int i)
{
    void *p = gcp_alloc(40);
    note_kept(t, p, i % 2 == 0);
}

static void life_round(truth *raw, truth *rt, int n)
{
    GC_disable();
    for (int i = 0; i < n; i++) {
        hp_site_life_raw(raw, i);
        hp_site_life_rt(rt, i);
    }
    GC_enable();
}

START_TEST(test_stop_and_start_again)
{
    truth raw = {"hp_site_life_raw", "normal", NULL, 0, 0};
    truth rt = {"hp_site_life_rt", "normal", NULL, 0, 0};
    truth ignored_raw = {"hp_site_life_raw", "normal", NULL, 0, 0};
    truth ignored_rt = {"hp_site_life_rt", "normal", NULL, 0, 0};
    truth *all[2] = {&raw, &rt};
    expect e[2];
    char path[512];
    hp_dump d;

    keep_clear();
    start_rate(1, 0);
    life_round(&raw, &rt, 100);
    collect();
    measure(all, 2, e);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);

    /* After the stop: neither entry point counts. */
    life_round(&ignored_raw, &ignored_rt, 150);
    collect(); /* and no sweep changes the stopped profile */
    in_tmpdir(path, sizeof path, "stopped.raw");
    write_and_read(path, &d);
    assert_site_exact(&d, &raw, &e[0]);
    assert_site_exact(&d, &rt, &e[1]);
    hp_dump_free(&d);

    /* Started again: empty, whatever the old one had. */
    start_rate(1, 0);
    in_tmpdir(path, sizeof path, "fresh.raw");
    write_and_read(path, &d);
    ck_assert_msg(d.n == 0, "[%s] a fresh profile has %zu stacks (first: %s at %s)", VARIANT, d.n,
                  d.n ? d.stacks[0].kind : "", d.n ? d.stacks[0].site : "");
    ck_assert_msg(!d.have_gc_no || d.gc_no == 0, "a fresh profile's gc_no is %lu", d.gc_no);
    hp_dump_free(&d);

    /* The same sites again: only what they allocate from now on. */
    truth_free(&raw);
    truth_free(&rt);
    life_round(&raw, &rt, 70);
    collect();
    measure(all, 2, e);
    in_tmpdir(path, sizeof path, "again.raw");
    write_and_read(path, &d);
    assert_site_exact(&d, &raw, &e[0]);
    assert_site_exact(&d, &rt, &e[1]);
    ck_assert_int_eq(e[0].alloc_objects, 70);
    hp_dump_free(&d);
    keep_clear();
    truth_free(&raw);
    truth_free(&rt);
    truth_free(&ignored_raw);
    truth_free(&ignored_rt);
}
END_TEST

/* Rate 1 records every allocation, also when an earlier profile of the
 * same thread sampled at another rate: this thread's countdown then holds
 * an interval drawn at that rate (here 2^40 bytes, never reached). */
START_TEST(test_rate_one_after_other_rate)
{
    truth raw = {"hp_site_life_raw", "normal", NULL, 0, 0};
    truth rt = {"hp_site_life_rt", "normal", NULL, 0, 0};
    truth first_raw = {"hp_site_life_raw", "normal", NULL, 0, 0};
    truth first_rt = {"hp_site_life_rt", "normal", NULL, 0, 0};
    truth *all[2] = {&raw, &rt};
    expect e[2];
    char path[512];
    hp_dump d;

    keep_clear();
    start_rate((uint64_t)1 << 40, 0);
    life_round(&first_raw, &first_rt, 10);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    start_rate(1, 0);
    life_round(&raw, &rt, 100);
    collect();
    measure(all, 2, e);
    in_tmpdir(path, sizeof path, "rate1.raw");
    write_and_read(path, &d);
    ck_assert_uint_eq(d.rate, 1);
    assert_site_exact(&d, &raw, &e[0]);
    assert_site_exact(&d, &rt, &e[1]);
    hp_dump_free(&d);
    keep_clear();
    truth_free(&raw);
    truth_free(&rt);
    truth_free(&first_raw);
    truth_free(&first_rt);
}
END_TEST

/* ---- case 5: GCP_HEAP_PROFILE_RUNTIME_ONLY ------------------------------------------ */

START_TEST(test_runtime_only)
{
    truth raw = {"hp_site_life_raw", "normal", NULL, 0, 0};
    truth rt = {"hp_site_life_rt", "normal", NULL, 0, 0};
    truth *all[2] = {&raw, &rt};
    expect e[2];
    char path[512];
    hp_dump d;

    keep_clear();
    start_rate(1, GCP_HEAP_PROFILE_RUNTIME_ONLY);
    life_round(&raw, &rt, 120);
    collect();
    measure(all, 2, e);
    in_tmpdir(path, sizeof path, "runtime-only.raw");
    write_and_read(path, &d);
    tally g = site_tally(&d, raw.site, NULL);
    ck_assert_msg(g.stacks == 0, "[%s] GC_MALLOC counted with RUNTIME_ONLY: %" PRId64 " objects",
                  VARIANT, g.v[ALLOC_OBJECTS]);
    assert_site_exact(&d, &rt, &e[1]);
    ck_assert_int_eq(e[1].alloc_objects, 120);
    hp_dump_free(&d);
    keep_clear();
    truth_free(&raw);
    truth_free(&rt);
}
END_TEST

/* ---- case 6: GCP_NEW's type, encoded -------------------------------------------------- */

void hp_site_spaced(truth *t, int i);

SITE void hp_site_spaced(truth *t, int i)
{
    struct spaced_node *p = GCP_NEW(struct spaced_node);
    note_kept(t, p, i % 4 == 0);
}

START_TEST(test_type_label_encoded)
{
    truth t = {"hp_site_spaced", "normal:struct%20spaced_node", NULL, 0, 0};
    truth *all[1] = {&t};
    expect e[1];
    char path[512], type[128];
    hp_dump d;

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < 40; i++)
        hp_site_spaced(&t, i);
    GC_enable();
    collect();
    measure(all, 1, e);
    in_tmpdir(path, sizeof path, "typed.raw");
    write_and_read(path, &d);
    assert_site_exact(&d, &t, &e[0]);
    for (size_t i = 0; i < d.n; i++)
        if (strcmp(d.stacks[i].site, t.site) == 0) {
            kind_type(d.stacks[i].kind, type, sizeof type);
            ck_assert_str_eq(type, "struct spaced_node");
        }
    hp_dump_free(&d);
    keep_clear();
    truth_free(&t);
}
END_TEST

/* ---- case 7: the default way, sampled: within five standard errors --------------------- */

struct stat_blob {
    void *link;
    char bytes[72];
};

/* The truth of a sampled site: exact figures, and the variance of their
 * estimates: an allocation of `requested` bytes is sampled with chance
 * p = 1 - exp(-requested / rate) and then stands for 1/p of itself, so it
 * adds size^2 (1-p)/p to the byte estimate's variance and (1-p)/p to the
 * object estimate's. */
typedef struct stat_truth {
    const char *site;
    double objects, bytes, var_objects, var_bytes, expected_samples;
    double kept_objects, kept_bytes, var_kept_bytes;
} stat_truth;

#define STAT_RATE 4096

static void stat_note(stat_truth *s, size_t requested, size_t size, int kept)
{
    double p = -expm1(-(double)requested / STAT_RATE), z = (double)size;

    s->objects += 1;
    s->bytes += z;
    s->var_objects += (1 - p) / p;
    s->var_bytes += z * z * (1 - p) / p;
    s->expected_samples += p;
    if (kept) {
        s->kept_objects += 1;
        s->kept_bytes += z;
        s->var_kept_bytes += z * z * (1 - p) / p;
    }
}

void hp_stat_sixty(stat_truth *s, int i);
void hp_stat_thirty(stat_truth *s, int i);
void hp_stat_ten(stat_truth *s, int i);

SITE void hp_stat_sixty(stat_truth *s, int i)
{
    void *p = GC_MALLOC(480);
    ck_assert_ptr_nonnull(p);
    int kept = i % 4 == 0;
    stat_note(s, 480, GC_size(p), kept);
    if (kept)
        keep_add(p);
}

SITE void hp_stat_thirty(stat_truth *s, int i)
{
    char *p = gcp_alloc_atomic(240);
    (void)i;
    ck_assert_ptr_nonnull(p);
    p[0] = 1;
    stat_note(s, 240, GC_size(p), 0);
}

SITE void hp_stat_ten(stat_truth *s, int i)
{
    struct stat_blob *p = GCP_NEW(struct stat_blob);
    (void)i;
    ck_assert_ptr_nonnull(p);
    stat_note(s, sizeof *p, GC_size(p), 0);
}

START_TEST(test_sampled_within_five_standard_errors)
{
    stat_truth st[3] = {
        {.site = "hp_stat_sixty"}, {.site = "hp_stat_thirty"}, {.site = "hp_stat_ten"}};
    char path[512];
    hp_dump d;
    /* 800 bytes asked a round: 64 MiB in all. */
    const int rounds = (64 << 20) / 800;

    ck_assert_uint_eq(sizeof(struct stat_blob), 80);
    keep_clear();
    start_rate(STAT_RATE, 0);
    for (int i = 0; i < rounds; i++) {
        hp_stat_sixty(&st[0], i);
        hp_stat_thirty(&st[1], i);
        hp_stat_ten(&st[2], i);
    }
    collect();
    in_tmpdir(path, sizeof path, "sampled.raw");
    write_and_read(path, &d);
    ck_assert_uint_eq(d.rate, STAT_RATE);
    for (int s = 0; s < 3; s++) {
        tally g = site_tally(&d, st[s].site, NULL);
        double se_b = sqrt(st[s].var_bytes), se_o = sqrt(st[s].var_objects);
        double db = ((double)g.v[ALLOC_BYTES] - st[s].bytes) / se_b;
        double dob = ((double)g.v[ALLOC_OBJECTS] - st[s].objects) / se_o;
        /* the relative error expected, against 1/sqrt(samples) */
        ck_assert_msg(se_b / st[s].bytes < 1.5 / sqrt(st[s].expected_samples),
                      "%s: standard error %.4f of %.0f samples", st[s].site, se_b / st[s].bytes,
                      st[s].expected_samples);
        ck_assert_msg(fabs(db) <= 5,
                      "[%s] %s: %" PRId64 " bytes estimated, %.0f true: %.2f standard errors "
                      "(%.0f)",
                      VARIANT, st[s].site, g.v[ALLOC_BYTES], st[s].bytes, db, se_b);
        ck_assert_msg(fabs(dob) <= 5,
                      "[%s] %s: %" PRId64 " objects estimated, %.0f true: %.2f standard errors",
                      VARIANT, st[s].site, g.v[ALLOC_OBJECTS], st[s].objects, dob);
    }
    /* The retaining site's in use against what the test kept. */
    tally g = site_tally(&d, st[0].site, NULL);
    double se_k = sqrt(st[0].var_kept_bytes);
    double dk = ((double)g.v[INUSE_BYTES] - st[0].kept_bytes) / se_k;
    ck_assert_msg(fabs(dk) <= 5,
                  "[%s] %s: %" PRId64 " bytes in use estimated, %.0f kept: %.2f standard errors",
                  VARIANT, st[0].site, g.v[INUSE_BYTES], st[0].kept_bytes, dk);
    hp_dump_free(&d);
    keep_clear();
}
END_TEST

/* ---- case 8: threads, exactly --------------------------------------------------------- */

#define NTHREADS   4
#define PER_THREAD 2000

typedef struct worker {
    truth raw, rt;
    int index;
} worker;

static void *volatile thread_keep[NTHREADS][2 * PER_THREAD]; /* raw's, rt's */

void hp_thread_raw(worker *w, int i);
void hp_thread_rt(worker *w, int i);

SITE void hp_thread_raw(worker *w, int i)
{
    void *p = GC_MALLOC(32 + (size_t)(i % 5) * 8);
    if (!p)
        abort();
    note(&w->raw, p, i % 2 == 0);
    if (i % 2 == 0)
        thread_keep[w->index][2 * i] = p;
}

SITE void hp_thread_rt(worker *w, int i)
{
    void *p = gcp_alloc(24 + (size_t)(i % 3) * 8);
    if (!p)
        abort();
    note(&w->rt, p, i % 3 == 0);
    if (i % 3 == 0)
        thread_keep[w->index][2 * i + 1] = p;
}

/* The runtime's allocation first: a thread of the plain pthread_create is
 * registered with the collector by it, then may call GC_MALLOC. */
static void *worker_main(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < PER_THREAD; i++) {
        hp_thread_rt(w, i);
        hp_thread_raw(w, i);
    }
    return NULL;
}

START_TEST(test_threads_exact)
{
    worker w[NTHREADS];
    pthread_t tid[NTHREADS];
    truth *all[2 * NTHREADS];
    expect e[2 * NTHREADS];
    char path[512];
    hp_dump d;

    memset(w, 0, sizeof w);
    for (int k = 0; k < NTHREADS; k++) {
        w[k].index = k;
        w[k].raw = (truth){"hp_thread_raw", "normal", NULL, 0, 0};
        w[k].rt = (truth){"hp_thread_rt", "normal", NULL, 0, 0};
        all[2 * k] = &w[k].raw;
        all[2 * k + 1] = &w[k].rt;
    }
    start_rate(1, 0);
    GC_disable();
    /* Two threads through GC_pthread_create, two plain ones. */
    for (int k = 0; k < NTHREADS; k++) {
        int rc = k % 2 ? plain_pthread_create(&tid[k], NULL, worker_main, &w[k])
                       : pthread_create(&tid[k], NULL, worker_main, &w[k]);
        ck_assert_int_eq(rc, 0);
    }
    for (int k = 0; k < NTHREADS; k++)
        ck_assert_int_eq(k % 2 ? plain_pthread_join(tid[k], NULL) : pthread_join(tid[k], NULL), 0);
    GC_enable();
    collect();
    measure(all, 2 * NTHREADS, e);
    in_tmpdir(path, sizeof path, "threads.raw");
    write_and_read(path, &d);
    /* Per site, the threads' figures added up. */
    for (int s = 0; s < 2; s++) {
        truth sum = {s ? "hp_thread_rt" : "hp_thread_raw", "normal", NULL, 0, 0};
        expect total;
        memset(&total, 0, sizeof total);
        for (int k = 0; k < NTHREADS; k++) {
            const expect *x = &e[2 * k + s];
            total.alloc_objects += x->alloc_objects;
            total.alloc_bytes += x->alloc_bytes;
            total.kept_objects += x->kept_objects;
            total.kept_bytes += x->kept_bytes;
            total.marked_objects += x->marked_objects;
            total.marked_bytes += x->marked_bytes;
            total.kept_unmarked += x->kept_unmarked;
        }
        ck_assert_int_eq(total.alloc_objects, NTHREADS * PER_THREAD);
        assert_site_exact(&d, &sum, &total);
    }
    hp_dump_free(&d);
    for (int k = 0; k < NTHREADS; k++) {
        for (int i = 0; i < 2 * PER_THREAD; i++)
            thread_keep[k][i] = NULL;
        truth_free(&w[k].raw);
        truth_free(&w[k].rt);
    }
}
END_TEST

#if !HP_ASAN /* ASan does not follow swapcontext: see main */
/* Allocations on a stack without room for the unwinder's walk below it:
 * a coroutine's (makecontext), outside the thread's known stack, so the
 * runtime walks nothing there (a thread's small stack is the other case,
 * but there libgc itself may run out of stack). At rate 1 every
 * allocation still counts, charged to the first frame outside the
 * allocation path (runtime/heap/heap_sample.c, stack_of), as the one
 * frame of its stack. Collection is off meanwhile: the collector does not
 * know the coroutine's stack (what it allocates is kept in
 * coroutine_keep[]). */
#define COROUTINE_STACK   (1 << 20)
#define COROUTINE_N       100
#define COROUTINE_BATCHES 3

typedef struct coroutine_job {
    truth raw, rt, many;
} coroutine_job;

static void *volatile coroutine_keep[2 * COROUTINE_N + COROUTINE_BATCHES];
static coroutine_job *coroutine_arg;
static ucontext_t coroutine_ctx, coroutine_return;

void hp_coroutine_raw(coroutine_job *j, int i);
void hp_coroutine_rt(coroutine_job *j, int i);
void hp_coroutine_many(coroutine_job *j, int i);

SITE void hp_coroutine_raw(coroutine_job *j, int i)
{
    void *p = GC_MALLOC(40);
    if (!p)
        abort();
    note(&j->raw, p, 1);
    coroutine_keep[2 * i] = p;
}

SITE void hp_coroutine_rt(coroutine_job *j, int i)
{
    void *p = gcp_alloc(40);
    if (!p)
        abort();
    note(&j->rt, p, 1);
    coroutine_keep[2 * i + 1] = p;
}

/* A batch: its first object kept, the others dropped. */
SITE void hp_coroutine_many(coroutine_job *j, int i)
{
    void *list = GC_malloc_many(48), *next;

    if (!list)
        abort();
    coroutine_keep[2 * COROUTINE_N + i] = list;
    for (void *p = list; p; p = next) {
        next = GC_NEXT(p);
        GC_NEXT(p) = NULL;
        note(&j->many, p, p == list);
    }
}

static void coroutine_main(void)
{
    coroutine_job *j = coroutine_arg;

    for (int i = 0; i < COROUTINE_N; i++) {
        hp_coroutine_rt(j, i);
        hp_coroutine_raw(j, i);
    }
    for (int i = 0; i < COROUTINE_BATCHES; i++)
        hp_coroutine_many(j, i);
}

START_TEST(test_coroutine_stack)
{
    coroutine_job j = {{"hp_coroutine_raw", "normal", NULL, 0, 0},
                       {"hp_coroutine_rt", "normal", NULL, 0, 0},
                       {"hp_coroutine_many", "normal", NULL, 0, 0}};
    truth *all[3] = {&j.raw, &j.rt, &j.many};
    expect e[3];
    char path[512];
    hp_dump d;
    void *stack =
        mmap(NULL, COROUTINE_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    ck_assert_ptr_ne(stack, MAP_FAILED);
    ck_assert_int_eq(getcontext(&coroutine_ctx), 0);
    coroutine_ctx.uc_stack.ss_sp = stack;
    coroutine_ctx.uc_stack.ss_size = COROUTINE_STACK;
    coroutine_ctx.uc_link = &coroutine_return;
    makecontext(&coroutine_ctx, coroutine_main, 0);
    coroutine_arg = &j;
    start_rate(1, 0);
    GC_disable();
    ck_assert_int_eq(swapcontext(&coroutine_return, &coroutine_ctx), 0);
    GC_enable();
    ck_assert_int_eq(munmap(stack, COROUTINE_STACK), 0);
    ck_assert_int_eq(j.raw.n, COROUTINE_N);
    collect();
    measure(all, 3, e);
    in_tmpdir(path, sizeof path, "coroutine.raw");
    write_and_read(path, &d);
    for (int s = 0; s < 3; s++)
        assert_site_exact(&d, all[s], &e[s]);
    hp_dump_free(&d);
    for (int i = 0; i < TU_ROWS(coroutine_keep); i++)
        coroutine_keep[i] = NULL;
    for (int s = 0; s < 3; s++)
        truth_free(all[s]);
}
END_TEST
#endif /* !HP_ASAN */

/* ---- case 9: fork --------------------------------------------------------------------- */

void hp_site_before_fork(truth *t, int i);
void hp_site_in_child(truth *t, int i);

SITE void hp_site_before_fork(truth *t, int i)
{
    void *p = GC_MALLOC(72);
    note_kept(t, p, i % 2 == 0);
}

/* In the child: no Check calls. */
SITE void hp_site_in_child(truth *t, int i)
{
    void *p = i % 2 ? GC_MALLOC(56) : gcp_alloc(56);
    if (!p)
        _exit(90);
    note(t, p, 1);
    keep[i] = p;
}

/* The child's checks: its exit status, 0 when all hold; what failed on
 * stderr. */
static int child_checks(void)
{
    char path[512];
    hp_dump d;
    const char *why;
    truth t = {"hp_site_in_child", "normal", NULL, 0, 0};
    enum { M = 50 };

    in_tmpdir(path, sizeof path, "child-0.raw");
    if (gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW) != 0) {
        fprintf(stderr, "child: write: %s\n", gcp_last_error());
        return 10;
    }
    if ((why = hp_read(path, &d)) != NULL) {
        fprintf(stderr, "child: %s\n", why);
        return 11;
    }
    if (d.pid != (long)getpid()) {
        fprintf(stderr, "child: pid %ld in its dump\n", d.pid);
        return 12;
    }
    for (size_t i = 0; i < d.n; i++) {
        fprintf(stderr, "child: the parent's stack %s %" PRId64 " ... at %s\n", d.stacks[i].kind,
                d.stacks[i].v[0], d.stacks[i].site);
    }
    if (d.n) {
        hp_dump_free(&d);
        return 13;
    }
    hp_dump_free(&d);
    /* The child's own allocations are sampled, at the parent's rate. */
    for (int i = 0; i < M; i++)
        hp_site_in_child(&t, i);
    in_tmpdir(path, sizeof path, "child-1.raw");
    if (gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW) != 0 || hp_read(path, &d) != NULL) {
        fprintf(stderr, "child: second write: %s\n", gcp_last_error());
        return 14;
    }
    tally g = site_tally(&d, t.site, NULL);
    tally p = site_tally(&d, "hp_site_before_fork", NULL);
    int64_t bytes = 0;
    for (size_t i = 0; i < t.n; i++)
        bytes += (int64_t)t.r[i].size;
    int rc = 0;
    if (d.rate != 1 || g.v[ALLOC_OBJECTS] != M || g.v[ALLOC_BYTES] != bytes || p.stacks) {
        fprintf(stderr,
                "child: rate %" PRIu64 ", %" PRId64 " objects %" PRId64 " bytes at %s "
                "(made %d, %" PRId64 "), %d stacks of the parent's site\n",
                d.rate, g.v[ALLOC_OBJECTS], g.v[ALLOC_BYTES], t.site, M, bytes, p.stacks);
        rc = 15;
    }
    hp_dump_free(&d);
    truth_free(&t);
    return rc;
}

START_TEST(test_fork_child_starts_empty)
{
    truth t = {"hp_site_before_fork", "normal", NULL, 0, 0};
    truth *all[1] = {&t};
    expect e[1];
    char path[512];
    hp_dump d;
    int status;

    keep_clear();
    start_rate(1, 0);
    GC_disable();
    for (int i = 0; i < 100; i++)
        hp_site_before_fork(&t, i);
    GC_enable();
    collect();
    measure(all, 1, e);

    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(child_checks());
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "[%s] the forked child's checks failed: status 0x%x (see its stderr)", VARIANT,
                  status);

    /* The parent's profile is its own still. */
    in_tmpdir(path, sizeof path, "parent.raw");
    write_and_read(path, &d);
    assert_site_exact(&d, &t, &e[0]);
    ck_assert_int_eq(site_tally(&d, "hp_site_in_child", NULL).stacks, 0);
    hp_dump_free(&d);
    keep_clear();
    truth_free(&t);
}
END_TEST

/* ---- case 10: errors ------------------------------------------------------------------ */

/* First in the process: no profile was ever started. */
START_TEST(test_nothing_started)
{
    char path[512];
    char names[512];

    in_tmpdir(path, sizeof path, "never.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), GCP_ESTATE);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "gcp_heap_profile_write"));
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);
    ck_assert_int_eq(list_dir(tmpdir, names, sizeof names), 0);
}
END_TEST

START_TEST(test_bad_options)
{
    gcp_heap_profile_options o;

    for (size_t k = 0; k < sizeof o.reserved_ / sizeof o.reserved_[0]; k++) {
        memset(&o, 0, sizeof o);
        o.reserved_[k] = 1;
        ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), "reserved_"));
    }
    static const uint64_t flags[] = {1u << 1, 1u << 7, (uint64_t)1 << 63};
    for (int k = 0; k < TU_ROWS(flags); k++) {
        memset(&o, 0, sizeof o);
        o.flags = flags[k] | GCP_HEAP_PROFILE_RUNTIME_ONLY;
        ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), "flag"));
    }
    memset(&o, 0, sizeof o);
    o.rate = ((uint64_t)1 << 40) + 1;
    ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
    o.rate = UINT64_MAX;
    ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
    /* None of them started one. */
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);

    /* 2^40 itself is allowed. */
    o.rate = (uint64_t)1 << 40;
    ck_assert_int_eq(gcp_heap_profile_start(&o), 0);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
}
END_TEST

START_TEST(test_start_twice_and_defaults)
{
    char path[512];
    hp_dump d;

    ck_assert_int_eq(gcp_heap_profile_start(NULL), 0); /* the defaults */
    ck_assert_int_eq(gcp_heap_profile_start(NULL), GCP_ESTATE);
    gcp_heap_profile_options o = {.rate = 1};
    ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_ESTATE);
    in_tmpdir(path, sizeof path, "defaults.raw");
    write_and_read(path, &d);
    ck_assert_uint_eq(d.rate, 512 * 1024); /* the documented default */
    hp_dump_free(&d);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);
}
END_TEST

START_TEST(test_bad_writes)
{
    char path[512], dir[512], names[512];

    start_rate(1, 0);
    ck_assert_int_eq(gcp_heap_profile_write(NULL, GCP_HEAP_FORMAT_RAW), GCP_EINVAL);
    ck_assert_int_eq(gcp_heap_profile_write("", GCP_HEAP_FORMAT_RAW), GCP_EINVAL);
    in_tmpdir(path, sizeof path, "bad-format.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, 2), GCP_EINVAL);
    ck_assert_int_eq(gcp_heap_profile_write(path, -1), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "format"));

    /* A directory that is not there. */
    in_tmpdir(path, sizeof path, "missing/heap.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), GCP_EIO);
    ck_assert_msg(strstr(gcp_last_error(), path) != NULL, "the message does not name %s: %s", path,
                  gcp_last_error());

    /* A path that is a directory: it stays, empty. */
    in_tmpdir(dir, sizeof dir, "adir");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(gcp_heap_profile_write(dir, GCP_HEAP_FORMAT_RAW), GCP_EIO);
    ck_assert_msg(strstr(gcp_last_error(), dir) != NULL, "the message does not name %s: %s", dir,
                  gcp_last_error());
    char slash[sizeof dir + 1];
    snprintf(slash, sizeof slash, "%s/", dir);
    ck_assert_int_eq(gcp_heap_profile_write(slash, GCP_HEAP_FORMAT_RAW), GCP_EIO);

    /* Nothing left behind by any failure. */
    ck_assert_int_eq(list_dir(tmpdir, names, sizeof names), 1);
    ck_assert_str_eq(names, "adir");
    ck_assert_int_eq(list_dir(dir, names, sizeof names), 0);

    /* And a good write still works, replacing its file whole. */
    in_tmpdir(path, sizeof path, "good.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), 0);
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), 0);
    ck_assert_int_eq(list_dir(tmpdir, names, sizeof names), 2);
    ck_assert_str_eq(names, "adir good.raw");
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

static Suite *make_suite(void)
{
    Suite *s = suite_create("heap_profile");
    TCase *errors = tcase_create("errors");
    TCase *exact = tcase_create("exact");
    TCase *sampled = tcase_create("sampled");
    TCase *restart = tcase_create("restart");

    /* first: nothing may have started a profile in this process yet */
    tcase_add_unchecked_fixture(errors, make_casedir, remove_casedir);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, test_nothing_started);
    tcase_add_test(errors, test_bad_options);
    tcase_add_test(errors, test_start_twice_and_defaults);
    tcase_add_test(errors, test_bad_writes);
    suite_add_tcase(s, errors);

    tcase_add_unchecked_fixture(exact, make_casedir, remove_casedir);
    tcase_add_checked_fixture(exact, setup, teardown);
    tcase_set_timeout(exact, 60);
    tcase_add_test(exact, test_exact_every_entry_point);
    tcase_add_test(exact, test_free_and_realloc_drop_at_once);
    tcase_add_test(exact, test_in_use_follows_collections);
    tcase_add_test(exact, test_stop_and_start_again);
    tcase_add_test(exact, test_runtime_only);
    tcase_add_test(exact, test_type_label_encoded);
    tcase_add_test(exact, test_threads_exact);
    /* AddressSanitizer does not follow swapcontext (it warns so, in the
     * sanitizer job's logs, and may report false errors): there the
     * coroutine case is left to the plain builds. */
#if !HP_ASAN
    tcase_add_test(exact, test_coroutine_stack);
#endif
    tcase_add_test(exact, test_fork_child_starts_empty);
    suite_add_tcase(s, exact);

    tcase_add_unchecked_fixture(sampled, make_casedir, remove_casedir);
    tcase_add_checked_fixture(sampled, setup, teardown);
    tcase_set_timeout(sampled, 120);
    tcase_add_test(sampled, test_sampled_within_five_standard_errors);
    suite_add_tcase(s, sampled);

    /* Last: it leaves this thread's countdown drawn at 2^40 behind, which
     * (CK_FORK=no) the tests after it would inherit. */
    tcase_add_unchecked_fixture(restart, make_casedir, remove_casedir);
    tcase_add_checked_fixture(restart, setup, teardown);
    tcase_add_test(restart, test_rate_one_after_other_rate);
    suite_add_tcase(s, restart);
    return s;
}

int main(void)
{
    return tu_run(make_suite());
}
