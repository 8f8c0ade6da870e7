/*
 * breakdown_pair.c - one breakdown of this process written twice, for
 * tests/check_gcprof_breakdown.sh: its JSON on standard output (as a
 * recording's record holds it) and the library's text into FILE, so the
 * test can check that gcprof heap prints, from the JSON, what the
 * library printed.
 *
 *     breakdown_pair FILE
 */
#include <gcprof.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    static void *keep[2000];
    gcp_breakdown *b;
    FILE *fp;

    if (argc != 2 || !(fp = fopen(argv[1], "w")))
        return 2;
    /* the last 2000 kept: objects of 14 sizes, so more classes than the
     * text (10) and a record (8) show */
    for (int i = 0; i < 200000; i++)
        keep[i % 2000] = gcp_alloc((size_t)(16 + (i % 14) * 16));
    if (gcp_heap_breakdown(NULL, &b) < 0) {
        fprintf(stderr, "breakdown_pair: %s\n", gcp_last_error());
        return 1;
    }
    int rc = gcp_breakdown_write_json(stdout, b) < 0 || gcp_breakdown_print(fp, b) < 0;
    gcp_breakdown_free(b);
    return fclose(fp) != 0 || rc || !keep[0];
}
