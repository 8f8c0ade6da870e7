/*
 * check_false_root.c - bdwgc's mmap-hint static is found and excluded, and
 * without that exclusion the false root it makes is real (white-box: links
 * the library's internals).
 */
#include <check.h>

#include "internal.h"
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

static Suite *make_false_root_suite(void)
{
    Suite *s = suite_create("false_root");
    TCase *core = tcase_create("core");

    tcase_add_test(core, test_hint_found_on_this_collector);
    tcase_add_test(core, test_second_call_harmless);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    return tu_run(make_false_root_suite());
}
