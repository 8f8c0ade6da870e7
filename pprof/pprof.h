/*
 * pprof.h - heap profiles in pprof's format, and the raw dumps the
 * samplers write (doc/heap-dump-format.md): read a dump, symbolise it into
 * the model (heap_model.h), write the model as a gzip'd pprof profile,
 * read any producer's heap profile back into the model.
 *
 * Errors: every function returns 0, or a negative number with a message
 * in err[errlen] (err may be NULL). Nothing here keeps global state: each
 * call is thread-safe on its own arguments.
 *
 * Ownership: a filled pprof_raw or pprof_profile owns every string and
 * array it points to (one arena each); pprof_raw_free / pprof_profile_free
 * release them in one go, and are no-ops on a zeroed struct.
 */
#ifndef GCPROF_PPROF_H
#define GCPROF_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "heap_model.h"

/* ---- limits ---------------------------------------------------------- */

#define PPROF_MAX_DEPTH    1024          /* return addresses in one stack line */
#define PPROF_MAX_LINE     (1024 * 1024) /* bytes in one dump line */
#define PPROF_MAX_INPUT    (1024L << 20) /* bytes of a pprof file, decompressed */
#define PPROF_MAX_FRAMES   (16L << 20)   /* frames of a model read from pprof */
#define PPROF_MAX_BUILD_ID 64            /* bytes of a build ID */

/* ---- errors ---------------------------------------------------------- */

enum {
    PPROF_EIO = -1,      /* the file could not be opened, read or written */
    PPROF_EFORMAT = -2,  /* the input is not what its format says */
    PPROF_ELIMIT = -3,   /* the input is larger than the limits above */
    PPROF_ENOMEM = -4,   /* out of memory */
    PPROF_ESYMBOLS = -5, /* libdwfl could not be set up */
};

/* ---- the raw dump (doc/heap-dump-format.md) --------------------------- */

typedef struct pprof_raw_map {
    uint64_t start, limit, offset, bias;
    const char *build_id; /* lowercase hex; "" for the dump's "-" */
    const char *path;     /* as written: "-" or "[vdso]" when no file */
} pprof_raw_map;

typedef struct pprof_raw_stack {
    const char *kind;             /* "normal", "atomic", "kind-7", ... */
    const char *type;             /* GCP_NEW's type name (decoded), or "" */
    int64_t value[PPROF_NVALUES]; /* in heap_model.h's order */
    size_t depth;                 /* >= 1 */
    const uint64_t *pcs;          /* return addresses, innermost first */
} pprof_raw_stack;

typedef struct pprof_raw {
    int64_t rate, pid, time_ns, duration_ns; /* 0 when the dump has no line */
    uint64_t gc_no;
    const char **comments;
    size_t ncomments;
    pprof_raw_map *maps;
    size_t nmaps;
    pprof_raw_stack *stacks;
    size_t nstacks;
    void *arena; /* private */
} pprof_raw;

/* Reads the dump at path into *out (zeroed first). A line that breaks the
 * format fails the whole read with "PATH:LINE: what" in err: no header or
 * another version, a missing or malformed field, bad hex, a stack without
 * addresses or with more than PPROF_MAX_DEPTH, a line cut short (the last
 * line without its newline). Unknown record names are skipped, as the
 * format asks. On failure *out holds nothing to free. */
int pprof_dump_read(const char *path, pprof_raw *out, char *err, size_t errlen);
/* The same for the dump open at descriptor fd, read from offset 0 with
 * pread (fd's own offset does not move; a pipe is read from where it
 * stands); name stands for the file in messages ("fd 5" when NULL). fd
 * stays open, the caller's (dump_fd.c). */
int pprof_dump_read_fd(int fd, const char *name, pprof_raw *out, char *err, size_t errlen);
/* Frees what pprof_dump_read filled; raw may be NULL or zeroed. */
void pprof_raw_free(pprof_raw *raw);

/* ---- symbolising ------------------------------------------------------ */

/* Turns raw's stacks into *out (zeroed first): each address resolved in
 * the object on disk that its map names (functions from the symbol table,
 * files and lines, inlined calls from DWARF, -dbgsym and /usr/lib/debug
 * files when present). An object whose build ID differs from the dump's,
 * or that cannot be opened, leaves its frames unresolved (function "")
 * and adds a comment saying so. Mappings are the dump's maps, in order.
 * Fails only for a bad argument, memory, or libdwfl's own set-up. */
int pprof_symbolize(const pprof_raw *raw, pprof_profile *out, char *err, size_t errlen);

/* ---- pprof files ------------------------------------------------------- */

/* Writes p to path as a gzip'd perftools.profiles.Profile: sample types
 * alloc_objects, alloc_space, inuse_objects, inuse_space (default), one
 * Location per distinct (mapping, address). The same model gives the same
 * bytes. The file appears complete or not at all (temporary file, then
 * rename: common/safe_file.h). */
int pprof_write(const pprof_profile *p, const char *path, char *err, size_t errlen);

/* Reads a pprof profile, gzip'd or not, of any producer into *out (zeroed
 * first). Values are taken by sample type name (alloc_objects, alloc_space,
 * inuse_objects, inuse_space; one that is absent reads 0); a profile with
 * none of them (a CPU profile) fails with "no heap sample types". Each
 * Location's lines become frames, innermost first, all but the last
 * flagged inlined. Every index is checked; input larger than
 * PPROF_MAX_INPUT, or a model above PPROF_MAX_FRAMES, is refused. */
int pprof_read(const char *path, pprof_profile *out, char *err, size_t errlen);

/* Frees what pprof_symbolize or pprof_read filled; p may be NULL or zeroed. */
void pprof_profile_free(pprof_profile *p);

#endif
