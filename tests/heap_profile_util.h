/*
 * heap_profile_util.h - what the heap profile suites
 * (tests/check_heap_profile_*.c) share: the test's own record of each
 * object it made (its hidden address, GC_size, whether it kept or freed
 * it) and the figures a profile must then show, read through the
 * collector's mark bits; each test's directory; the kept objects.
 *
 * Each suite is built twice: linked with the shared library, as a
 * program would be, and with -DHP_STATIC with the library's code itself
 * (libgcprof_core.la). This module is compiled into each program with
 * the program's flags (VARIANT names the build in messages).
 */
#ifndef HEAP_PROFILE_UTIL_H
#define HEAP_PROFILE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "heap_profile_dump.h"

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

/* The suites' helpers stay out of the dynamic symbol table, which the
 * programs fill with -export-dynamic for their sites. */
#pragma GCC visibility push(hidden)

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

/* Records the object at base (kept or not); its index in t. */
size_t note(truth *t, const void *base, int kept);
void truth_free(truth *t);
void truths_free(truth *const *sites, size_t n);

/* The figures of n sites at once, under the collector's lock. */
void measure(truth *const *sites, size_t n, expect *out);
/* x added to *total, figure by figure. */
void expect_add(expect *total, const expect *x);

/* Writes the profile raw to path and reads it back. */
void write_and_read(const char *path, hp_dump *d);
/* The same, to name in the test's directory. */
void write_named(const char *name, hp_dump *d);

/* The profile's figures for t's site equal the test's: allocated exactly,
 * in use what the collector marked of what the test made and did not
 * free, which is what it kept. */
void assert_site_exact(const hp_dump *d, const truth *t, const expect *e);
/* The profile written to name and read back: each of n sites exact in it. */
void assert_written_exact(const char *name, truth *const *sites, const expect *e, size_t n);

/* ---- the test's files ------------------------------------------------------ */

/* Each test's own directory, inside its tcase's. */
extern char tmpdir[300];

void in_tmpdir(char *out, size_t size, const char *name);
/* The names in dir, sorted, joined by spaces, into out. */
int list_dir(const char *dir, char *out, size_t size);
/* A tcase of s with the fixtures: its directory (made and removed by the
 * runner process), each test's directory in it, and a profile still
 * running stopped after each test; timeout in seconds, 0 for Check's. */
TCase *hp_tcase(Suite *s, const char *name, int timeout);

void start_rate(uint64_t rate, uint64_t flags);
/* A full collection with the stack below us cleared first. */
void collect(void);
/* collect, then measure the n sites. */
void collect_and_measure(truth *const *sites, size_t n, expect *out);

/* ---- kept objects ------------------------------------------------------------ */

/* Where the collector sees them, and the stores cannot be dropped. */
#define KEEP_MAX 65536
extern void *volatile keep[KEEP_MAX];
extern size_t nkeep;

void keep_add(void *p);
void keep_clear(void);
/* Records p in t, and keeps it when kept. */
void note_kept(truth *t, void *p, int kept);
/* The same without Check calls (a thread the runtime registered, a
 * coroutine's stack): aborts when p is NULL; kept, p is stored in *slot. */
void note_at(truth *t, void *p, int kept, void *volatile *slot);

#pragma GCC visibility pop

#endif
