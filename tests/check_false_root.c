/*
 * check_false_root.c - bdwgc's mmap-hint static is found and excluded, and
 * without that exclusion the false root it makes is real (white-box: links
 * the library's internals).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect.h"
#include "testutil.h"

START_TEST(test_hint_found_on_this_collector)
{
    /* Debian's bdwgc 8.2.2: exactly one word matches. Another build of the
     * collector may lay its data out differently; then this test says so. */
    ck_assert_int_eq(gcp__mmap_hint_excluded, 1);
}
END_TEST

START_TEST(test_second_call_harmless)
{
    /* bdwgc aborts on an overlapping exclusion: a second call must not
     * exclude the word again. */
    size_t heap = GC_get_heap_size();
    ck_assert_int_eq(gcp__exclude_mmap_hint_root(), 1);
    ck_assert_uint_eq(GC_get_heap_size(), heap);
}
END_TEST

/* Under gcprof run: its preload library defines GC_gcollect & co, and
 * libgc was looked for where GC_gcollect is, so its data went unsearched
 * (and, built with ASan, the preload's redzones were read). This suite
 * runs again with the preload in the process and must find the word. */
START_TEST(test_hint_found_with_the_preload_loaded)
{
    const char *top = getenv("top_builddir");
    char lib[4096];
    int status;

    if (getenv("GCP_TEST_NESTED"))
        return; /* the inner run */
    snprintf(lib, sizeof lib, "%s/.libs/libgcprof-preload.so", top ? top : ".");
    if (access(lib, R_OK) != 0)
        return; /* a static-only build has no preload */
    char *abs = realpath(lib, NULL), preload[8192];
    const char *before = getenv("LD_PRELOAD"); /* a sanitizer's runtime stays first */
    ck_assert_ptr_nonnull(abs);
    snprintf(preload, sizeof preload, "%s%s%s", before ? before : "", before ? ":" : "", abs);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("LD_PRELOAD", preload, 1);
        setenv("GCP_TEST_NESTED", "1", 1);
        setenv("CK_RUN_CASE", "core", 1);
        execl("/proc/self/exe", "check_false_root", (char *)NULL);
        _exit(127);
    }
    free(abs);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "with the preload loaded: status %d", status);
}
END_TEST

static Suite *make_false_root_suite(void)
{
    Suite *s = suite_create("false_root");
    TCase *core = tcase_create("core");

    tcase_add_test(core, test_hint_found_on_this_collector);
    tcase_add_test(core, test_second_call_harmless);
    tcase_add_test(core, test_hint_found_with_the_preload_loaded);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    return tu_run(make_false_root_suite());
}
