/*
 * heap_model.h - a heap profile in memory, symbolised: what the pprof
 * reader fills and the writer encodes, and what gcprof top, flame and diff
 * read. Collector-free. All strings and arrays belong to the profile's
 * arena and are freed with pprof_profile_free.
 */
#ifndef GCPROF_PPROF_HEAP_MODEL_H
#define GCPROF_PPROF_HEAP_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* The four values of each sample, in the order pprof's heap profiles
 * (and Go's) use. */
enum {
    PPROF_ALLOC_OBJECTS,
    PPROF_ALLOC_SPACE,
    PPROF_INUSE_OBJECTS,
    PPROF_INUSE_SPACE,
    PPROF_NVALUES
};

typedef struct pprof_frame {
    const char *function; /* "" when unknown: then the address names it */
    const char *file;     /* "" when unknown */
    int64_t line;         /* 0 when unknown */
    uint64_t address;     /* the call's address (return address - 1) */
    uint32_t mapping;     /* index into mappings, or UINT32_MAX */
    int inlined;          /* 1: inlined into the next frame (same address) */
} pprof_frame;

typedef struct pprof_sample {
    size_t first, depth; /* frames[first .. first+depth), innermost first */
    int64_t value[PPROF_NVALUES];
    const char *kind; /* the collector's object kind, or "" */
    const char *type; /* GCP_NEW's type name, or "" */
} pprof_sample;

typedef struct pprof_mapping {
    uint64_t start, limit, offset;
    const char *file, *build_id; /* build_id: hex, "" when unknown */
} pprof_mapping;

typedef struct pprof_profile {
    int64_t period; /* bytes: the mean sampling interval */
    int64_t time_ns, duration_ns;
    pprof_sample *samples;
    size_t nsamples;
    pprof_frame *frames;
    size_t nframes;
    pprof_mapping *mappings;
    size_t nmappings;
    const char **comments;
    size_t ncomments;
    void *arena; /* private */
} pprof_profile;

#endif
