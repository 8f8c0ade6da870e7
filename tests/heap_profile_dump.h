/*
 * heap_profile_dump.h - the heap profile suites' own reader of a raw
 * dump (doc/heap-dump-format.md): each stack's kind field and counts, and
 * the name dladdr gives its innermost frame; and the counts of a site's
 * stacks added up. No Check calls: a forked child may use it.
 */
#ifndef HEAP_PROFILE_DUMP_H
#define HEAP_PROFILE_DUMP_H

#include <stddef.h>
#include <stdint.h>

/* The suites' helpers stay out of the dynamic symbol table, which the
 * programs fill with -export-dynamic for their sites. */
#pragma GCC visibility push(hidden)

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

void hp_dump_free(hp_dump *d);

/* Reads path into *d: NULL, or what is wrong with it (a static message). */
const char *hp_read(const char *path, hp_dump *d);

/* The kind field's TYPE, %XX decoded, or "" when there is none. */
void kind_type(const char *field, char *out, size_t size);

/* A site's stacks added up. */
typedef struct tally {
    int64_t v[4];
    int stacks;
    int other_kinds;      /* stacks of the site with another kind field */
    char other_kind[256]; /* one of them */
} tally;

/* The stacks of site; those whose kind field is not kind (unless NULL)
 * counted in other_kinds. */
tally site_tally(const hp_dump *d, const char *site, const char *kind);

/* Stacks that allocated and belong to none of the sites: the first one
 * described in why. */
int foreign_stacks(const hp_dump *d, const char *const *sites, size_t nsites, char *why,
                   size_t size);

#pragma GCC visibility pop

#endif
