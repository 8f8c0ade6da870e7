/*
 * raw_alloc.h - the program's own GC_* allocation calls, seen while a heap
 * profile samples (raw_alloc.c).
 */
#ifndef GCP_RAW_ALLOC_H
#define GCP_RAW_ALLOC_H

/* Redirect every loaded object's calls of the collector's allocation and
 * free functions to ours (libgc's own and, when shared, libgcprof's left
 * alone): the number of GOT entries rewritten, or a negative code. */
int gcp__raw_alloc_redirect(void);
/* Put them back: the number restored, or a negative code. */
int gcp__raw_alloc_restore(void);

#endif
