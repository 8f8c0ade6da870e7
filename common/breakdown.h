/*
 * breakdown.h - what a process's RSS is made of: rows that add up to it,
 * the collector's size classes, and a verdict naming the biggest avoidable
 * cause (breakdown.c), written as text or JSON (breakdown_print.c). No
 * collector calls: the library and the preload library fill the inputs
 * (the census of marked objects by class, the collector's figures), the
 * gcprof command reads them back from JSON.
 */
#ifndef GCP_BREAKDOWN_H
#define GCP_BREAKDOWN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rss_map.h"

/* bdwgc 8.2.2: MAXOBJKINDS, and small objects up to MAXOBJBYTES (2048) in
 * 16-byte granules; bigger objects take whole blocks of HBLKSIZE. */
#define GCP__BD_KINDS   24
#define GCP__BD_SMALL   128 /* granule counts 1..128; slot 0 is "large" */
#define GCP__BD_GRANULE 16
#define GCP__BD_BLOCK   4096

/* The rows, in the order they are shown. */
typedef enum {
    GCP__ROW_GC_LIVE,     /* objects the latest collection marked */
    GCP__ROW_GC_FRAG,     /* free slots inside blocks holding objects */
    GCP__ROW_GC_FREE,     /* free blocks the collector keeps mapped */
    GCP__ROW_GC_INTERNAL, /* the collector's own tables */
    GCP__ROW_MALLOC,
    GCP__ROW_STACKS,
    GCP__ROW_CODE,
    GCP__ROW_FILE_DATA,
    GCP__ROW_FILE_OTHER,
    GCP__ROW_ANON_OTHER, /* anonymous memory no row claims */
    GCP__ROWS
} gcp__row;

/* Name (JSON) and label (text) of each row. */
extern const char *const gcp__row_name[GCP__ROWS];
extern const char *const gcp__row_label[GCP__ROWS];

/* Marked objects of one kind and size class. */
typedef struct gcp__bd_class {
    uint32_t kind;
    uint32_t size; /* bytes per object (granules); 0 for large objects */
    uint64_t objects, bytes, blocks;
} gcp__bd_class;

/* The count being taken: one call per marked object, in heap order. */
typedef struct gcp__bd_census {
    gcp__bd_class cls[GCP__BD_KINDS][GCP__BD_SMALL + 1];
    uint64_t marked;      /* bytes of every marked object */
    uintptr_t last_block; /* the block of the previous small object */
} gcp__bd_census;

void gcp__bd_census_add(gcp__bd_census *c, int kind, size_t bytes, uintptr_t addr);

typedef struct gcp__breakdown {
    /* Inputs. */
    gcp__rss_map map;
    uint64_t vm_rss; /* VmRSS read right after the maps; 0: unknown */
    struct {
        uint64_t heap_size, free, unmapped; /* GC_get_heap_usage_safe */
        uint64_t obtained;                  /* GC_get_obtained_from_os_bytes */
        uint64_t marked;                    /* the census' total */
        uint64_t gc_no;
        int unmap_threshold; /* collections a free block waits; 0: never */
        int collected;       /* a full collection ran right before */
    } gc;
    struct {
        int known; /* mallinfo2 was read */
        uint64_t arena, hblkhd, in_use, free;
    } malloc;
    gcp__bd_class *classes; /* in the census' storage, most blocks first */
    size_t nclasses;
    /* Computed by gcp__breakdown_finish. */
    uint64_t row[GCP__ROWS];
    uint64_t sum; /* of the rows: map.total */
    char verdict[640];
} gcp__breakdown;

/* Gives b the census' classes: they are packed to the front of its storage
 * (which must outlive b) and sorted; nothing is allocated. Then _finish
 * computes the rows and the verdict from the inputs. */
void gcp__breakdown_set_classes(gcp__breakdown *b, gcp__bd_census *c);
void gcp__breakdown_finish(gcp__breakdown *b);

/* Classifying pages for rss_map.c, given the collector's functions (the
 * library links them, the preload library finds them with dlsym). A page
 * is the collector's when a block header covers it, used when it lies in
 * a block holding objects; only the first page of a free block has a
 * header, whose size says how far the block reaches, so pages come in
 * address order. page_class's data: a gcp__bd_pages. */
typedef struct gcp__bd_pages {
    int (*is_heap)(const void *);                 /* GC_is_heap_ptr */
    void *(*base)(void *);                        /* GC_base */
    int (*kind_and_size)(const void *, size_t *); /* GC_get_kind_and_size */
    uintptr_t free_end;                           /* the free block being walked ends here */
} gcp__bd_pages;
int gcp__bd_page_class(uintptr_t addr, void *data);

/* Taking one (breakdown_take.c), given the collector's functions. */
typedef struct gcp__bd_collector {
    void (*enumerate_marked)(void (*)(void *, size_t, void *), void *); /* _inner */
    size_t (*heap_size)(void), (*free_bytes)(void), (*unmapped_bytes)(void);
    size_t (*obtained)(void); /* GC_get_obtained_from_os_bytes */
    unsigned long (*gc_no)(void);
    int (*is_heap)(const void *); /* GC_is_heap_ptr */
    void *(*base)(void *);        /* GC_base */
    int (*kind_and_size)(const void *, size_t *);
    uintptr_t heap_lo, heap_hi; /* the plausible heap bounds: pages walked */
} gcp__bd_collector;

/* Clears b and the census and reads malloc's figures (mallinfo2): first,
 * before the caller's buffers or locks. */
void gcp__breakdown_begin(gcp__breakdown *b, gcp__bd_census *c);
/* Under the collector's lock: the census, its figures and the maps
 * (nothing allocated). 0, or a negative errno (smaps unreadable). */
int gcp__breakdown_read_locked(gcp__breakdown *b, gcp__bd_census *c, const gcp__bd_collector *gc);
/* After the lock: statm's RSS, the classes, the rows and the verdict. */
void gcp__breakdown_end(gcp__breakdown *b, gcp__bd_census *c, int collected, int unmap_threshold);

/* What bdwgc 8.2.2 makes of GC_UNMAP_THRESHOLD (value: getenv's, NULL
 * when unset): collections a free block waits before it is unmapped, 0
 * for never. (No getter exists: GC_unmap_threshold is internal.) */
int gcp__bd_unmap_threshold(const char *value);

/* A class's free slots: its blocks' bytes not holding a marked object. */
uint64_t gcp__bd_class_free(const gcp__bd_class *c);
const char *gcp__bd_kind_name(uint32_t kind, char *buf, size_t size);

/* Writers (breakdown_print.c): 0, or -EIO on a write error. top: the
 * size classes shown (text: 0 for none; JSON: 0 for all). The JSON is one
 * object on one line, without a newline (a recording's record holds it). */
int gcp__breakdown_print(FILE *fp, const gcp__breakdown *b, size_t top);
int gcp__breakdown_json(FILE *fp, const gcp__breakdown *b, size_t top);
/* The recording's record (doc/timeline-formats.md), one line:
 * "GCPROF_BREAKDOWN <t> <pid> <json>" or, jsonl, {"type":"breakdown",...},
 * with the GCP__BD_RECORD_CLASSES biggest classes (a line stays under
 * PIPE_BUF, which the preload's channel keeps whole). */
#define GCP__BD_RECORD_CLASSES 8
int gcp__breakdown_record(FILE *fp, int jsonl, double t, long pid, const gcp__breakdown *b);

#endif /* GCP_BREAKDOWN_H */
