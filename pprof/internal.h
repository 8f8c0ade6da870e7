/*
 * internal.h - what the files of pprof/ share and nothing outside uses:
 * the arena (arena.c), the error message (arena.c) and two hash tables
 * (table.c).
 */
#ifndef GCPROF_PPROF_INTERNAL_H
#define GCPROF_PPROF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- the arena: everything a profile or a dump owns, freed at once ---- */

typedef struct pprof__arena pprof__arena;

pprof__arena *pprof__arena_new(void);
/* size bytes, zeroed and aligned for any type; NULL when out of memory or
 * when size is absurd. */
void *pprof__arena_alloc(pprof__arena *a, size_t size);
/* n elements of size each, with the multiplication checked. */
void *pprof__arena_array(pprof__arena *a, size_t n, size_t size);
/* A terminated copy of s[0..n). */
char *pprof__arena_strndup(pprof__arena *a, const char *s, size_t n);
void pprof__arena_free(pprof__arena *a);

/* A growing array inside an arena: doubling, the old copy left to the
 * arena (at most as much again as the final size). */
typedef struct pprof__vec {
    void *items;
    size_t n, cap, size;
} pprof__vec;
/* A new zeroed slot at the end, or NULL. */
void *pprof__vec_push(pprof__arena *a, pprof__vec *v);

/* ---- errors ---- */

/* Formats into err[errlen] (when err is not NULL) and returns code. */
int pprof__fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- tables ---- */

/* (a, b) -> a size_t, open addressing. Keys are any pair of words. */
typedef struct pprof__map {
    struct pprof__map_slot *slots;
    size_t n, cap;
} pprof__map;
/* The value of (a, b), or SIZE_MAX. */
size_t pprof__map_get(const pprof__map *m, uint64_t a, uint64_t b);
/* Sets (a, b) to v; 0, or -1 when out of memory. */
int pprof__map_put(pprof__map *m, uint64_t a, uint64_t b, size_t v);
void pprof__map_free(pprof__map *m);

/* Distinct strings numbered in the order first added (pprof's string
 * table). The strings are the caller's and must outlive the table. */
typedef struct pprof__strtab {
    const char **strs;
    size_t n, cap;
    size_t *slots; /* index + 1; 0: empty */
    size_t nslots;
} pprof__strtab;
/* s's index, added when new; -1 when out of memory. */
int64_t pprof__strtab_add(pprof__strtab *t, const char *s);
void pprof__strtab_free(pprof__strtab *t);

/* ---- the dump's reader on any stream (dump_read.c) ---- */

struct pprof_raw;
/* pprof_dump_read on an open stream, from where it stands; name stands
 * for the file in messages. The stream is the caller's to close. */
int pprof__dump_read_stream(FILE *fp, const char *name, struct pprof_raw *out, char *err,
                            size_t errlen);

/* ---- the reader's second half (read_model.c) ---- */

struct Perftools__Profiles__Profile;
typedef struct pprof_profile pprof_profile;
/* A decoded message, every index checked, into *out; path names it in
 * messages. */
int pprof__from_message(const struct Perftools__Profiles__Profile *m, const char *path,
                        pprof_profile *out, char *err, size_t errlen);

#endif
