/*
 * self_dump.h - what the pprof tests need to write a raw heap dump
 * (doc/heap-dump-format.md) for their own process, found independently
 * of pprof/: the executable's segments from dl_iterate_phdr and its build
 * ID from its PT_NOTE segment.
 */
#ifndef GCP_SELF_DUMP_H
#define GCP_SELF_DUMP_H

#include <stdio.h>

/* Writes the header and one "map" line per executable segment of the
 * running program to fp; returns how many maps, or -1. */
int self_dump_start(FILE *fp);

/* The program's GNU build ID in hex into out[size], "" when it has none. */
void self_build_id(char *out, size_t size);

#endif
