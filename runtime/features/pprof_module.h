/*
 * pprof_module.h - heap profiles in pprof's format, written from inside
 * the program through the pprof module (pprof_module.c), which libgcprof.so
 * loads for the call and unloads after: protobuf-c, zlib and libdw are
 * never linked into it (doc/architecture.md, "Heap profiles").
 */
#ifndef GCP_PPROF_MODULE_H
#define GCP_PPROF_MODULE_H

#include "pprof_module_abi.h"

/* Converts the raw heap dump (doc/heap-dump-format.md) open at raw_fd,
 * read from offset 0 (raw_fd stays open and the caller's; its offset does
 * not move), into a gzip'd pprof profile at out_path, written whole or not
 * at all (a temporary file beside it, then renamed). The module is
 * $GCPROF_PPROF_MODULE, else PKGLIBDIR/libgcprof-pprof.so. Thread-safe
 * (one conversion at a time). Returns 0, or, with this thread's last error
 * set:
 *   GCP_EINVAL     raw_fd < 0, out_path NULL or empty;
 *   GCP_ESTATE     called inside the collector's event hook;
 *   GCP_ENOTFOUND  no usable module at that path: missing, not loadable,
 *                  not the module, or another release's (the message names
 *                  the path and why, and says to write the raw format and
 *                  convert it with `gcprof pprof`);
 *   GCP_EIO        the module failed: the dump could not be read or is
 *                  malformed, symbols could not be set up, out_path could
 *                  not be written (the module's message). */
int gcp__pprof_convert(int raw_fd, const char *out_path);

/* 0 when the module's file is there (as gcp__pprof_convert would look
 * for it; not loaded), else GCP_ENOTFOUND (or GCP_EINVAL) said: for the
 * features that would learn it only after their work. */
int gcp__pprof_module_check(void);

/* Symbolises the raw dump at raw_fd through the module and calls
 * fn(sample, ctx) for each of its stacks, in the dump's order (the
 * sampler's stack order), until fn returns non-zero. fn runs with the
 * module loaded and its lock held: it must not write a heap profile. Returns
 * 0, fn's non-zero return (fn says why), or as gcp__pprof_convert. */
typedef int gcp__pprof_sample_fn(const gcp_pprof_module_sample *sample, void *ctx);
int gcp__pprof_each_sample(int raw_fd, gcp__pprof_sample_fn *fn, void *ctx);

#endif /* GCP_PPROF_MODULE_H */
