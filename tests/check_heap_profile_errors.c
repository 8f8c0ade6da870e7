/*
 * check_heap_profile_errors.c - the runtime's heap profiles
 * (gcp_heap_profile_start/stop/write, include/gcprof.h) refused: a write
 * or a stop with no profile started, bad options, a second start, and
 * writes that cannot be made, which leave nothing behind; and the
 * documented default rate.
 *
 * Built twice: check_heap_profile_errors links the shared library;
 * check_heap_profile_errors_static links the library's code itself
 * (libgcprof_core.la).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gcprof.h"
#include "heap_profile_util.h"
#include "testutil.h"

/* ---- errors --------------------------------------------------------------------------- */

/* First in the process: no profile was ever started. */
START_TEST(test_nothing_started)
{
    char path[512];
    char names[512];

    in_tmpdir(path, sizeof path, "never.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), GCP_ESTATE);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "gcp_heap_profile_write"));
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);
    ck_assert_int_eq(list_dir(tmpdir, names, sizeof names), 0);
}
END_TEST

START_TEST(test_bad_options)
{
    gcp_heap_profile_options o;

    for (size_t k = 0; k < sizeof o.reserved_ / sizeof o.reserved_[0]; k++) {
        memset(&o, 0, sizeof o);
        o.reserved_[k] = 1;
        ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), "reserved_"));
    }
    static const uint64_t flags[] = {1u << 1, 1u << 7, (uint64_t)1 << 63};
    for (int k = 0; k < TU_ROWS(flags); k++) {
        memset(&o, 0, sizeof o);
        o.flags = flags[k] | GCP_HEAP_PROFILE_RUNTIME_ONLY;
        ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
        ck_assert_ptr_nonnull(strstr(gcp_last_error(), "flag"));
    }
    memset(&o, 0, sizeof o);
    o.rate = ((uint64_t)1 << 40) + 1;
    ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
    o.rate = UINT64_MAX;
    ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_EINVAL);
    /* None of them started one. */
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);

    /* 2^40 itself is allowed. */
    o.rate = (uint64_t)1 << 40;
    ck_assert_int_eq(gcp_heap_profile_start(&o), 0);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
}
END_TEST

START_TEST(test_start_twice_and_defaults)
{
    hp_dump d;

    ck_assert_int_eq(gcp_heap_profile_start(NULL), 0); /* the defaults */
    ck_assert_int_eq(gcp_heap_profile_start(NULL), GCP_ESTATE);
    gcp_heap_profile_options o = {.rate = 1};
    ck_assert_int_eq(gcp_heap_profile_start(&o), GCP_ESTATE);
    write_named("defaults.raw", &d);
    ck_assert_uint_eq(d.rate, 512 * 1024); /* the documented default */
    hp_dump_free(&d);
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
    ck_assert_int_eq(gcp_heap_profile_stop(), GCP_ESTATE);
}
END_TEST

START_TEST(test_bad_writes)
{
    char path[512], dir[512], names[512];

    start_rate(1, 0);
    ck_assert_int_eq(gcp_heap_profile_write(NULL, GCP_HEAP_FORMAT_RAW), GCP_EINVAL);
    ck_assert_int_eq(gcp_heap_profile_write("", GCP_HEAP_FORMAT_RAW), GCP_EINVAL);
    in_tmpdir(path, sizeof path, "bad-format.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, 2), GCP_EINVAL);
    ck_assert_int_eq(gcp_heap_profile_write(path, -1), GCP_EINVAL);
    ck_assert_ptr_nonnull(strstr(gcp_last_error(), "format"));

    /* A directory that is not there. */
    in_tmpdir(path, sizeof path, "missing/heap.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), GCP_EIO);
    ck_assert_msg(strstr(gcp_last_error(), path) != NULL, "the message does not name %s: %s", path,
                  gcp_last_error());

    /* A path that is a directory: it stays, empty. */
    in_tmpdir(dir, sizeof dir, "adir");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(gcp_heap_profile_write(dir, GCP_HEAP_FORMAT_RAW), GCP_EIO);
    ck_assert_msg(strstr(gcp_last_error(), dir) != NULL, "the message does not name %s: %s", dir,
                  gcp_last_error());
    char slash[sizeof dir + 1];
    snprintf(slash, sizeof slash, "%s/", dir);
    ck_assert_int_eq(gcp_heap_profile_write(slash, GCP_HEAP_FORMAT_RAW), GCP_EIO);

    /* Nothing left behind by any failure. */
    ck_assert_int_eq(list_dir(tmpdir, names, sizeof names), 1);
    ck_assert_str_eq(names, "adir");
    ck_assert_int_eq(list_dir(dir, names, sizeof names), 0);

    /* And a good write still works, replacing its file whole. */
    in_tmpdir(path, sizeof path, "good.raw");
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), 0);
    ck_assert_int_eq(gcp_heap_profile_write(path, GCP_HEAP_FORMAT_RAW), 0);
    ck_assert_int_eq(list_dir(tmpdir, names, sizeof names), 2);
    ck_assert_str_eq(names, "adir good.raw");
    ck_assert_int_eq(gcp_heap_profile_stop(), 0);
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

int main(void)
{
    Suite *s = suite_create("heap_profile_errors");
    /* first: nothing may have started a profile in this process yet */
    TCase *errors = hp_tcase(s, "errors", 0);

    tcase_add_test(errors, test_nothing_started);
    tcase_add_test(errors, test_bad_options);
    tcase_add_test(errors, test_start_twice_and_defaults);
    tcase_add_test(errors, test_bad_writes);
    return tu_run(s);
}
