/*
 * loaded_roots.h - libraries that libgcprof brings into a program and
 * that stay: their writable data are not the program's roots.
 *
 * bdwgc scans the writable segments of every loaded object at each
 * collection. A library loaded for our own work (libunwind for heap
 * profiles; libdw, which dlopens libdebuginfod and with it libcurl,
 * libcrypto and 25 more, for a pprof write) and never unloaded would
 * add its data to the program's roots for the rest of its life: more to
 * scan at every collection, and stale words that keep objects alive.
 *
 * The mechanism: list the loaded objects before our dlopen and right
 * after it returns; what that dlopen brought is the new objects from the
 * one it opened on (the loader lists objects in load order, and runs one
 * dlopen at a time, constructors included: libdw's loads libdebuginfod
 * within ours). After our dlclose, the writable segments of those still
 * loaded are excluded. Objects that came and went are not touched, so no
 * exclusion outlives its object (bdwgc keeps exclusions forever and aborts
 * on overlapping ones), nor are objects another thread loaded before our
 * dlopen (listed before the one it opened) or after our second list. What
 * this cannot tell apart: an object another thread's dlopen finished
 * between our dlopen's return and the second list, a few microseconds.
 */
#ifndef GCP_LOADED_ROOTS_H
#define GCP_LOADED_ROOTS_H

#include <stddef.h>

/* The objects loaded at one moment; opaque. */
typedef struct gcp__loaded gcp__loaded;

/* The objects loaded now (malloc'd; NULL when out of memory). Takes the
 * dynamic loader's lock: not from inside the collector. */
gcp__loaded *gcp__loaded_now(void);

/* What the dlopen that returned handle brought: the objects loaded now
 * that `before` did not list, from handle's own on (handle NULL: all the
 * new ones). Call it right after that dlopen. Frees before. NULL when
 * before is NULL or out of memory. */
gcp__loaded *gcp__loaded_since(gcp__loaded *before, void *handle);

/* Excludes from the collector's roots the writable segments of every
 * object of `came` that is still loaded, and frees came. Returns the bytes
 * excluded (0 for a NULL came, when none stayed, or when out of memory to
 * list them). Not with the collector's lock held, nor the loader's: bdwgc
 * takes them in the other order. */
size_t gcp__loaded_exclude_stayed(gcp__loaded *came);

void gcp__loaded_free(gcp__loaded *l);

/* Bytes of writable data excluded so far in this process, and ranges. */
size_t gcp__loaded_excluded_bytes(void);

#endif
