/*
 * check_heap_views.c - what gcprof top, flame and diff make of heap
 * profiles (tools/heap_view.h), on profiles built here in memory: the
 * flat/cum table against sums this file computes its own way (by name, with
 * recursion and shared frames), the diff's growth per stack and function,
 * the flame graph's tree and widths, and the printed values.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_view.h"
#include "testutil.h"

/* ---- profiles built here -------------------------------------------------
 * A stack is written outermost first, as one reads it ("main a b leaf"),
 * and stored innermost first, as the model wants. Each frame gets its own
 * address, so only names can match frames across samples and profiles. */

#define MAX_FRAMES 256
#define MAX_SAMPLES 32

typedef struct built {
    pprof_profile p;
    pprof_frame frames[MAX_FRAMES];
    pprof_sample samples[MAX_SAMPLES];
    char names[MAX_FRAMES][32];
} built;

static void build_init(built *b)
{
    memset(b, 0, sizeof *b);
    b->p.frames = b->frames;
    b->p.samples = b->samples;
    b->p.period = 524288;
}

/* Adds a sample: stack "main a b" (outermost first; "" for none), with
 * the same value v for all four values but in-use ones, which are iv. */
static void add(built *b, const char *stack, int64_t v, int64_t iv, const char *kind)
{
    char copy[256], *words[64], *save = NULL;
    size_t n = 0;
    pprof_sample *s = &b->samples[b->p.nsamples++];

    ck_assert_uint_le(b->p.nsamples, MAX_SAMPLES);
    snprintf(copy, sizeof copy, "%s", stack);
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    s->first = b->p.nframes;
    s->depth = n;
    for (size_t k = 0; k < n; k++) { /* innermost first */
        size_t i = b->p.nframes++;
        ck_assert_uint_lt(i, MAX_FRAMES);
        snprintf(b->names[i], sizeof b->names[i], "%s", words[n - 1 - k]);
        b->frames[i] = (pprof_frame){.function = b->names[i], .file = "x.c", .line = (int64_t)k + 1,
                                     .address = 0x1000 + 16 * i, .mapping = UINT32_MAX};
    }
    s->value[PPROF_ALLOC_OBJECTS] = v;
    s->value[PPROF_ALLOC_SPACE] = v;
    s->value[PPROF_INUSE_OBJECTS] = iv;
    s->value[PPROF_INUSE_SPACE] = iv;
    s->kind = kind ? kind : "";
    s->type = "";
}

/* The test's own sums, by name: flat when name is innermost; cum when it
 * is anywhere, at most once a sample. */
static int64_t own_flat(const built *b, int vi, const char *name)
{
    int64_t sum = 0;

    for (size_t i = 0; i < b->p.nsamples; i++) {
        const pprof_sample *s = &b->samples[i];
        const char *inner = s->depth ? b->frames[s->first].function : TOOL_HV_NO_STACK;
        if (strcmp(inner, name) == 0)
            sum += s->value[vi];
    }
    return sum;
}

static int64_t own_cum(const built *b, int vi, const char *name)
{
    int64_t sum = 0;

    for (size_t i = 0; i < b->p.nsamples; i++) {
        const pprof_sample *s = &b->samples[i];
        int in = s->depth == 0 && strcmp(name, TOOL_HV_NO_STACK) == 0;
        for (size_t k = 0; k < s->depth; k++)
            in |= strcmp(b->frames[s->first + k].function, name) == 0;
        if (in)
            sum += s->value[vi];
    }
    return sum;
}

/* main calls a, a calls itself and b, b calls a and leaf. */
static void recursive_profile(built *b)
{
    build_init(b);
    add(b, "main a a leaf", 100, 40, "normal");
    add(b, "main a b leaf", 50, 50, "normal");
    add(b, "main a b", 30, 0, "atomic");
    add(b, "main a b a", 20, 20, "normal");
    add(b, "main a b a b a a", 7, 7, "normal");
    add(b, "", 5, 5, "normal");
    add(b, "main c", 0, 0, "normal");
}

/* ---- core: top -------------------------------------------------------- */

START_TEST(top_sums_match_own)
{
    static const char *const names[] = {"main", "a", "b", "leaf", "c", TOOL_HV_NO_STACK};
    static const int vis[] = {PPROF_ALLOC_SPACE, PPROF_INUSE_SPACE, PPROF_INUSE_OBJECTS};
    built b;
    tool_top t;

    recursive_profile(&b);
    for (size_t v = 0; v < sizeof vis / sizeof vis[0]; v++) {
        int vi = vis[v];
        ck_assert_int_eq(tool_top_make(&b.p, vi, 0, 0, &t), 0);
        int64_t flats = 0, total = own_cum(&b, vi, "main") + own_flat(&b, vi, TOOL_HV_NO_STACK);
        ck_assert_int_eq(t.total, total);
        for (size_t i = 0; i < t.nrows; i++)
            flats += t.rows[i].flat;
        ck_assert_int_eq(flats, t.total); /* flat adds up to the total */
        for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
            const tool_top_row *r = NULL;
            for (size_t i = 0; i < t.nrows; i++)
                if (strcmp(t.rows[i].name, names[n]) == 0)
                    r = &t.rows[i];
            if (own_flat(&b, vi, names[n]) == 0 && own_cum(&b, vi, names[n]) == 0) {
                ck_assert_msg(r == NULL, "%s has a row with no value", names[n]);
                continue;
            }
            ck_assert_msg(r != NULL, "no row for %s", names[n]);
            ck_assert_int_eq(r->flat, own_flat(&b, vi, names[n]));
            ck_assert_int_eq(r->cum, own_cum(&b, vi, names[n]));
            ck_assert_int_le(r->cum, t.total); /* recursion never counts twice */
        }
        for (size_t i = 1; i < t.nrows; i++) /* sorted by flat */
            ck_assert_int_ge(t.rows[i - 1].flat, t.rows[i].flat);
        tool_top_free(&t);
    }
}
END_TEST

START_TEST(top_by_cum_and_line)
{
    built b;
    tool_top t;

    recursive_profile(&b);
    ck_assert_int_eq(tool_top_make(&b.p, PPROF_ALLOC_SPACE, 0, 1, &t), 0);
    /* a and main are on every stack with frames (207 of 212): flat breaks the tie */
    ck_assert_str_eq(t.rows[0].name, "a");
    ck_assert_int_eq(t.rows[0].cum, 207);
    ck_assert_int_eq(t.rows[0].flat, 27);
    ck_assert_str_eq(t.rows[1].name, "main");
    ck_assert_int_eq(t.rows[1].cum, 207);
    for (size_t i = 1; i < t.nrows; i++)
        ck_assert_int_ge(t.rows[i - 1].cum, t.rows[i].cum);
    tool_top_free(&t);

    /* by line: "leaf x.c:1" (innermost frames are line 1 here) */
    ck_assert_int_eq(tool_top_make(&b.p, PPROF_ALLOC_SPACE, 1, 0, &t), 0);
    ck_assert_str_eq(t.rows[0].name, "leaf x.c:1");
    ck_assert_int_eq(t.rows[0].flat, 150);
    tool_top_free(&t);
}
END_TEST

/* ---- core: diff ------------------------------------------------------- */

START_TEST(diff_by_stack_names)
{
    built o, n;
    tool_diff d;

    build_init(&o);
    add(&o, "main work leak", 100, 100, "normal");
    add(&o, "main work keep", 70, 70, "normal");
    add(&o, "main gone", 40, 40, "normal");
    add(&o, "main work leak", 10, 10, "atomic"); /* another kind: another stack */
    build_init(&n);
    n.p.period = 1; /* another period: values compare all the same */
    add(&n, "main work keep", 60, 60, "normal");
    add(&n, "main work leak", 400, 400, "normal");
    add(&n, "main work leak", 25, 25, "normal"); /* same stack twice: summed */
    add(&n, "main fresh rec rec", 90, 90, "normal");
    add(&n, "main work leak", 10, 10, "atomic");

    ck_assert_int_eq(tool_diff_make(&o.p, &n.p, PPROF_INUSE_SPACE, &d), 0);
    ck_assert_int_eq(d.old_total, 220);
    ck_assert_int_eq(d.new_total, 585);
    ck_assert_uint_eq(d.nstacks, 5);
    int64_t sum = 0;
    for (size_t i = 0; i < d.nstacks; i++)
        sum += d.stacks[i].new_v - d.stacks[i].old_v;
    ck_assert_int_eq(sum, d.new_total - d.old_total);
    /* by growth: leak +325, fresh +90 (old 0), atomic leak 0, keep -10, gone -40 */
    const tool_diff_stack *s = &d.stacks[0];
    ck_assert_int_eq(s->old_v, 100);
    ck_assert_int_eq(s->new_v, 425);
    ck_assert_uint_eq(s->depth, 3);
    ck_assert_str_eq(tool_diff_name(&d, s->frames[0]), "leak"); /* innermost first */
    ck_assert_str_eq(tool_diff_name(&d, s->frames[2]), "main");
    ck_assert_str_eq(s->kind, "normal");
    ck_assert_int_eq(d.stacks[1].old_v, 0);
    ck_assert_int_eq(d.stacks[1].new_v, 90);
    ck_assert_str_eq(d.stacks[2].kind, "atomic");
    ck_assert_int_eq(d.stacks[2].new_v - d.stacks[2].old_v, 0);
    ck_assert_int_eq(d.stacks[3].new_v - d.stacks[3].old_v, -10);
    ck_assert_int_eq(d.stacks[4].old_v, 40);
    ck_assert_int_eq(d.stacks[4].new_v, 0);

    /* by function: flat as innermost, cum once a stack (rec is recursive) */
    static const struct {
        const char *name;
        int64_t flat, cum;
    } want[] = {{"leak", 325, 325}, {"rec", 90, 90},   {"main", 0, 365}, {"work", 0, 315},
                {"fresh", 0, 90},   {"keep", -10, -10}, {"gone", -40, -40}};
    ck_assert_uint_eq(d.nfuncs, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < d.nfuncs; i++) {
        ck_assert_str_eq(d.funcs[i].name, want[i].name);
        ck_assert_int_eq(d.funcs[i].flat, want[i].flat);
        ck_assert_int_eq(d.funcs[i].cum, want[i].cum);
    }
    tool_diff_free(&d);
}
END_TEST

/* ---- core: flame ------------------------------------------------------ */

static const tool_flame_node *node_at(const tool_flame *f, const char *path)
{
    char copy[256], *save = NULL;
    uint32_t at = 0;

    snprintf(copy, sizeof copy, "%s", path);
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        const tool_flame_node *n = &f->nodes[at];
        uint32_t found = UINT32_MAX;
        for (uint32_t k = 0; k < n->nchildren; k++)
            if (strcmp(f->nodes[f->order[n->first_child + k]].name, w) == 0)
                found = f->order[n->first_child + k];
        if (found == UINT32_MAX)
            return NULL;
        at = found;
    }
    return &f->nodes[at];
}

START_TEST(flame_tree_and_widths)
{
    built b;
    tool_flame f;
    const double W = 1000;

    recursive_profile(&b);
    add(&b, "main neg", -50, -50, "normal"); /* below 0: left out */
    ck_assert_int_eq(tool_flame_make(&b.p, PPROF_ALLOC_SPACE, &f), 0);
    tool_flame_layout(&f, 10, W);
    ck_assert_int_eq(f.nodes[0].total, 212);
    ck_assert_int_eq(f.nodes[0].self, 5); /* the sample without frames */
    ck_assert_uint_eq(f.max_depth, 7);
    static const struct {
        const char *path;
        int64_t total;
    } want[] = {{"main", 207},       {"main a", 207},       {"main a a", 100},
                {"main a b", 107},   {"main a b a", 27},    {"main a b leaf", 50},
                {"main a a leaf", 100}, {"main a b a b a a", 7}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const tool_flame_node *n = node_at(&f, want[i].path);
        ck_assert_msg(n != NULL, "no node %s", want[i].path);
        ck_assert_int_eq(n->total, want[i].total);
        ck_assert_double_eq_tol(n->width, W * (double)want[i].total / 212, 1e-9);
    }
    ck_assert_ptr_null(node_at(&f, "main neg"));
    ck_assert_ptr_null(node_at(&f, "main c")); /* value 0: nothing to draw */
    /* children side by side from their parent's x, by name, within it */
    for (size_t i = 0; i < f.nnodes; i++) {
        const tool_flame_node *n = &f.nodes[i];
        double x = n->x;
        for (uint32_t k = 0; k < n->nchildren; k++) {
            const tool_flame_node *c = &f.nodes[f.order[n->first_child + k]];
            ck_assert_double_eq_tol(c->x, x, 1e-9);
            ck_assert_uint_eq(c->depth, n->depth + 1);
            if (k)
                ck_assert_int_lt(strcmp(f.nodes[f.order[n->first_child + k - 1]].name, c->name), 0);
            x += c->width;
        }
        ck_assert(x <= n->x + n->width + 1e-9);
    }
    const tool_flame_node *aa = node_at(&f, "main a a"), *ab = node_at(&f, "main a b");
    ck_assert_double_eq_tol(ab->x, aa->x + aa->width, 1e-9); /* "a" before "b" */
    tool_flame_free(&f);
}
END_TEST

/* ---- core: names and values ------------------------------------------- */

START_TEST(values_printed)
{
    char buf[64];
    pprof_frame anon = {.function = "", .file = "", .address = 0x4011a0};
    pprof_frame named = {.function = "f", .file = "/src/deep/x.c", .line = 42};

    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, 0, 1, 0, 0), "0 B");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, 1023, 1, 0, 0), "1023 B");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, 1536, 1, 0, 0), "1.5 KiB");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, 3 << 20, 1, 0, 1), "+3.0 MiB");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, -(5LL << 30), 1, 0, 1), "-5.0 GiB");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, 1048575, 1, 0, 0), "1.0 MiB");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, 1048575, 1, 1, 0), "1048575");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, 123456, 0, 0, 0), "123456");
    ck_assert_str_eq(tool_hv_format(buf, sizeof buf, INT64_MIN, 0, 1, 0), "-9223372036854775808");
    ck_assert_str_eq(tool_hv_frame_name(&anon, 0, buf, sizeof buf), "0x4011a0");
    ck_assert_str_eq(tool_hv_frame_name(&named, 1, buf, sizeof buf), "f x.c:42");
    ck_assert_int_eq(tool_hv_add(INT64_MAX, 1), INT64_MAX);
    ck_assert_int_eq(tool_hv_sub(INT64_MIN, 1), INT64_MIN);
}
END_TEST

/* ---- limits ----------------------------------------------------------- */

START_TEST(index_many_keys)
{
    tool_hidx h = {0};
    char key[32];
    uint32_t id;

    for (int i = 0; i < 100000; i++) {
        int len = snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(tool_hidx_put(&h, key, (size_t)len, &id), 1);
        ck_assert_uint_eq(id, (uint32_t)i);
    }
    for (int i = 0; i < 100000; i += 7) {
        int len = snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(tool_hidx_put(&h, key, (size_t)len, &id), 0);
        ck_assert_uint_eq(id, (uint32_t)i);
        ck_assert_int_eq(tool_hidx_find(&h, key, (size_t)len), i);
    }
    ck_assert_int_eq(tool_hidx_find(&h, "nope", 4), -1);
    tool_hidx_free(&h);
}
END_TEST

START_TEST(empty_and_out_of_range)
{
    built b;
    tool_top t;
    tool_flame f;
    tool_diff d;

    build_init(&b);
    ck_assert_int_eq(tool_top_make(&b.p, PPROF_INUSE_SPACE, 0, 0, &t), 0);
    ck_assert_uint_eq(t.nrows, 0);
    ck_assert_int_eq(t.total, 0);
    tool_top_free(&t);
    ck_assert_int_eq(tool_flame_make(&b.p, PPROF_INUSE_SPACE, &f), 0);
    tool_flame_layout(&f, 0, 100);
    ck_assert_uint_eq(f.nnodes, 1);
    ck_assert_double_eq(f.nodes[0].width, 0);
    tool_flame_free(&f);
    /* no stacks: nothing sorted (qsort of a NULL array is undefined
     * behaviour, which clang's UBSan caught in fuzz_pprof) */
    ck_assert_int_eq(tool_diff_make(&b.p, &b.p, PPROF_INUSE_SPACE, &d), 0);
    ck_assert_uint_eq(d.nstacks, 0);
    tool_diff_free(&d);

    /* a sample whose frames run past the profile's: cut to what is there */
    add(&b, "main a", 10, 10, "");
    b.samples[0].depth = 50;
    ck_assert_int_eq(tool_top_make(&b.p, PPROF_INUSE_SPACE, 0, 0, &t), 0);
    ck_assert_int_eq(t.total, 10);
    tool_top_free(&t);
    b.samples[0].first = 99;
    ck_assert_int_eq(tool_top_make(&b.p, PPROF_INUSE_SPACE, 0, 0, &t), 0);
    ck_assert_str_eq(t.rows[0].name, TOOL_HV_NO_STACK);
    tool_top_free(&t);
}
END_TEST

static Suite *make_heap_views_suite(void)
{
    Suite *s = suite_create("heap_views");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");

    tcase_add_test(core, top_sums_match_own);
    tcase_add_test(core, top_by_cum_and_line);
    tcase_add_test(core, diff_by_stack_names);
    tcase_add_test(core, flame_tree_and_widths);
    tcase_add_test(core, values_printed);
    suite_add_tcase(s, core);
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, index_many_keys);
    tcase_add_test(limits, empty_and_out_of_range);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    return tu_run(make_heap_views_suite());
}
