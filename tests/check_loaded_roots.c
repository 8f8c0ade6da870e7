/*
 * check_loaded_roots.c - libraries that libgcprof brings and that stay are
 * not the program's roots (runtime/heap/loaded_roots.h), told by what the
 * collector does: an object whose only reference sits in such a library's
 * data is collected; the same in a library the program loaded itself is
 * kept (the control: the test can fail). White-box: links the library's
 * internals. The sticky libraries (tests/sticky_lib.c, one pointer of
 * data) are built under eight names, one per case, as a process loads a
 * library once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <gc/gc.h>
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loaded_roots.h"
#include "pprof_module.h"
#include "testutil.h"

static void sticky_path(char *buf, size_t size, const char *name)
{
    const char *top = getenv("top_builddir");
    char rel[4096];

    snprintf(rel, sizeof rel, "%s/tests/.libs/%s.so", top ? top : ".", name);
    ck_assert_msg(realpath(rel, buf) != NULL && strlen(buf) < size, "no %s", rel);
}

/* The hidden address of the object stored in the slot; zeroed by the
 * collector when it collects it. */
static GC_hidden_pointer link_word;

/* A fresh object whose only reference is *slot. Out of line, so that no
 * frame of the caller holds it. */
__attribute__((noinline)) static void store_fresh(void **slot)
{
    void *obj = GC_MALLOC(64);

    ck_assert_ptr_nonnull(obj);
    link_word = GC_HIDE_POINTER(obj);
    ck_assert_int_eq(GC_general_register_disappearing_link((void **)&link_word, obj), GC_SUCCESS);
    *slot = obj;
}

/* Whether the object stored in slot survives two full collections (the
 * dead stack cleared before each). */
static int survives(void **slot)
{
    store_fresh(slot);
    gcp_collect();
    gcp_collect();
    int alive = link_word != 0;
    GC_unregister_disappearing_link((void **)&link_word);
    *slot = NULL;
    return alive;
}

static void **slot_of(void *handle)
{
    void **slot = dlsym(handle, "sticky_slot");

    ck_assert_ptr_nonnull(slot);
    return slot;
}

/* Writable bytes of the object at path, by the test's own walk. */
typedef struct writable {
    const char *path;
    size_t bytes;
} writable;

static int count_writable(struct dl_phdr_info *info, size_t size, void *data)
{
    writable *w = data;

    (void)size;
    if (!info->dlpi_name || strcmp(info->dlpi_name, w->path) != 0)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_W))
            w->bytes += info->dlpi_phdr[i].p_memsz;
    return 1;
}

static size_t writable_bytes(const char *path)
{
    writable w = {path, 0};

    dl_iterate_phdr(count_writable, &w);
    return w.bytes;
}

/* The control: a library the program loads itself is scanned. */
START_TEST(test_programs_own_library_is_scanned)
{
    char path[4096];

    sticky_path(path, sizeof path, "libsticky_own");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(h);
    ck_assert_msg(survives(slot_of(h)), "an object referenced from a loaded library's data died");
}
END_TEST

/* One brought while we watched and left loaded: not scanned, and the
 * bytes excluded are its writable segments, as the test counts them. */
START_TEST(test_brought_and_stayed_is_excluded)
{
    char path[4096];
    size_t total = gcp__loaded_excluded_bytes();

    sticky_path(path, sizeof path, "libsticky_brought");
    gcp__loaded *before = gcp__loaded_now();
    ck_assert_ptr_nonnull(before);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(h);
    size_t bytes = gcp__loaded_exclude_stayed(gcp__loaded_since(before, h));
    ck_assert_uint_gt(writable_bytes(path), 0);
    ck_assert_uint_eq(bytes, writable_bytes(path));
    ck_assert_uint_eq(gcp__loaded_excluded_bytes(), total + bytes);
    ck_assert_msg(!survives(slot_of(h)), "an object referenced only from the excluded data lived");
    /* Asked again, nothing is new: nothing is excluded twice. */
    ck_assert_uint_eq(gcp__loaded_exclude_stayed(gcp__loaded_since(gcp__loaded_now(), NULL)), 0);
}
END_TEST

/* One that came and went is not touched: no exclusion outlives its
 * object. */
START_TEST(test_came_and_went_is_left_alone)
{
    char path[4096];

    sticky_path(path, sizeof path, "libsticky_went");
    gcp__loaded *before = gcp__loaded_now();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(h);
    gcp__loaded *came = gcp__loaded_since(before, h);
    ck_assert_int_eq(dlclose(h), 0);
    ck_assert_uint_eq(gcp__loaded_exclude_stayed(came), 0);
    ck_assert_uint_eq(gcp__loaded_exclude_stayed(NULL), 0);
    ck_assert_ptr_null(gcp__loaded_since(NULL, NULL));
}
END_TEST

/* Converts with the sticky module loading libsticky_<name>; whether an
 * object referenced only from that library's data survives. */
static int converted_leftover_survives(const char *module_name, const char *name, int in_convert,
                                       int want_rc)
{
    char module[4096], sticky[4096], lib[64], out[64];
    const char *saved = getenv("GCPROF_PPROF_MODULE");

    snprintf(lib, sizeof lib, "libsticky_%s", name);
    sticky_path(module, sizeof module, module_name);
    sticky_path(sticky, sizeof sticky, lib);
    setenv("GCPROF_PPROF_MODULE", module, 1);
    setenv("STICKY_PATH", sticky, 1);
    if (in_convert)
        setenv("STICKY_IN_CONVERT", "1", 1);
    snprintf(out, sizeof out, "loaded_roots.%ld.out", (long)getpid());
    int rc = gcp__pprof_convert(0, out);
    if (saved)
        setenv("GCPROF_PPROF_MODULE", saved, 1);
    else
        unsetenv("GCPROF_PPROF_MODULE");
    unsetenv("STICKY_IN_CONVERT");
    ck_assert_msg(rc == want_rc, "convert: %d, %s", rc, gcp_last_error());
    void *h = dlopen(sticky, RTLD_NOW | RTLD_NOLOAD);
    ck_assert_msg(h != NULL, "the module's library did not stay");
    return survives(slot_of(h));
}

static int module_leftover_survives(const char *name, int in_convert)
{
    return converted_leftover_survives("libsticky_module", name, in_convert, 0);
}

/* Through the pprof loader: what the module's loading brings and leaves
 * (libdw's constructor loads libdebuginfod and never unloads it) is not
 * scanned. */
START_TEST(test_module_leftovers_are_excluded)
{
    ck_assert_msg(!module_leftover_survives("left", 0),
                  "an object referenced only from the module's leftover lived");
}
END_TEST

/* A library that appears while the module converts is left alone: from
 * the outside it cannot be told from one the program's other threads
 * loaded meanwhile, whose data are the program's roots. */
START_TEST(test_loaded_during_conversion_is_scanned)
{
    ck_assert_msg(module_leftover_survives("during", 1),
                  "an object referenced from a library loaded during the conversion died");
}
END_TEST

/* A module refused (another release's ABI) after its dlopen ran its
 * constructor: what that left is out of the roots too, as libdw's
 * libdebuginfod would be from an old module found on every write. */
START_TEST(test_refused_modules_leftovers_are_excluded)
{
    ck_assert_msg(!converted_leftover_survives("libsticky_oldabi", "refused", 0, GCP_ENOTFOUND),
                  "an object referenced only from a refused module's leftover lived");
}
END_TEST

/* Loaded before our dlopen, after our first list (another thread's, in
 * that gap): it comes before the opened object in load order, and is not
 * taken for ours. */
START_TEST(test_loaded_just_before_ours_is_left_alone)
{
    char ours[4096], foreign[4096];

    sticky_path(ours, sizeof ours, "libsticky_ours");
    sticky_path(foreign, sizeof foreign, "libsticky_foreign");
    gcp__loaded *before = gcp__loaded_now();
    void *f = dlopen(foreign, RTLD_NOW | RTLD_LOCAL);
    void *h = dlopen(ours, RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(h);
    size_t bytes = gcp__loaded_exclude_stayed(gcp__loaded_since(before, h));
    ck_assert_uint_eq(bytes, writable_bytes(ours));
    ck_assert_msg(survives(slot_of(f)), "the other library's object died");
    ck_assert_msg(!survives(slot_of(h)), "ours lived");
}
END_TEST

/* The real module: every object a pprof write leaves loaded is excluded,
 * all of its writable bytes (the test's own count of what is new). */
typedef struct object_list {
    char names[256][512];
    size_t n;
} object_list;

static int list_names(struct dl_phdr_info *info, size_t size, void *data)
{
    object_list *l = data;

    (void)size;
    if (l->n < 256)
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", info->dlpi_name ? info->dlpi_name : "");
    return 0;
}

static int in_list(const object_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return 1;
    return 0;
}

START_TEST(test_real_module_leftovers_are_excluded)
{
    static object_list before, after;
    char out[64];

    if (!getenv("GCPROF_PPROF_MODULE") || access(getenv("GCPROF_PPROF_MODULE"), R_OK) != 0)
        return; /* run by hand without the build's module */
    ck_assert_int_eq(gcp_heap_profile_start(&(gcp_heap_profile_options){.rate = 1}), 0);
    for (int i = 0; i < 100; i++)
        (gcp_alloc)(32);
    before.n = after.n = 0;
    dl_iterate_phdr(list_names, &before);
    size_t total = gcp__loaded_excluded_bytes();
    snprintf(out, sizeof out, "loaded_roots.%ld.pb.gz", (long)getpid());
    ck_assert_msg(gcp_heap_profile_write(out, GCP_HEAP_FORMAT_PPROF) == 0, "%s", gcp_last_error());
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    unlink(out);
    dl_iterate_phdr(list_names, &after);
    size_t left = 0;
    for (size_t i = 0; i < after.n; i++)
        if (!in_list(&before, after.names[i]))
            left += writable_bytes(after.names[i]);
    ck_assert_uint_eq(gcp__loaded_excluded_bytes() - total, left);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loaded_roots");
    TCase *core = tcase_create("core");

    tcase_add_test(core, test_programs_own_library_is_scanned);
    tcase_add_test(core, test_brought_and_stayed_is_excluded);
    tcase_add_test(core, test_came_and_went_is_left_alone);
    tcase_add_test(core, test_module_leftovers_are_excluded);
    tcase_add_test(core, test_loaded_during_conversion_is_scanned);
    tcase_add_test(core, test_refused_modules_leftovers_are_excluded);
    tcase_add_test(core, test_loaded_just_before_ours_is_left_alone);
    tcase_add_test(core, test_real_module_leftovers_are_excluded);
    suite_add_tcase(s, core);
    return tu_run(s);
}
