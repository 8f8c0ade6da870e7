/*
 * sticky_lib.c - a shared object with one pointer of writable data, built
 * under several names for tests/check_loaded_roots.c: whether a collected
 * object stored there stays alive tells whether the collector scans it.
 */
void *sticky_slot;
