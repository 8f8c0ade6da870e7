/*
 * fuzz_args.c - libFuzzer target for the argument parsers of `gcprof run`,
 * `plot`, `peak`, `summary`, `tune`, `heap` and `massif` (fuzz_args_run.c,
 * fuzz_args_plot.c, fuzz_args_report.c, fuzz_args_tune.c,
 * fuzz_args_heap.c and fuzz_args_massif.c include the commands' sources).
 * The input's first byte picks the parser; the rest, split at NUL bytes,
 * is argv after the command's name. Properties: the
 * documented results only (run: 0 run, 1 help, -1 error; plot: -1 go on
 * with a FILE, an output and sizes in range, or an exit status), each
 * no crash, leak or undefined behaviour. make fuzz runs it with
 * -close_fd_mask=3: the help and the messages are not kept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fuzz_args_plot(int argc, char **argv);
int fuzz_args_run(int argc, char **argv);
int fuzz_args_report(int argc, char **argv, int summary);
int fuzz_args_tune(int argc, char **argv);
int fuzz_args_heap(int argc, char **argv);
int fuzz_args_massif(int argc, char **argv);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy, *argv[MAX_ARGS + 2];
    int argc = 1;

    if (size < 1)
        return 0;
    if (!(copy = malloc(size))) /* the rest, NUL-terminated */
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    /* bit 3: tune; else bit 4: heap; else bit 5: massif; else bit 0: run;
     * else bit 1: peak or summary (bit 2), else plot */
    if (data[0] & 8)
        argv[0] = "tune";
    else if (data[0] & 16)
        argv[0] = "heap";
    else if (data[0] & 32)
        argv[0] = "massif";
    else
        argv[0] = data[0] & 1 ? "run" : !(data[0] & 2) ? "plot" : data[0] & 4 ? "summary" : "peak";
    for (size_t i = 0; i < size - 1 && argc <= MAX_ARGS; i++) {
        argv[argc++] = copy + i;
        i += strlen(copy + i);
    }
    argv[argc] = NULL;
    if (data[0] & 8)
        fuzz_args_tune(argc, argv);
    else if (data[0] & 16)
        fuzz_args_heap(argc, argv);
    else if (data[0] & 32)
        fuzz_args_massif(argc, argv);
    else if (data[0] & 1)
        fuzz_args_run(argc, argv);
    else if (data[0] & 2)
        fuzz_args_report(argc, argv, data[0] & 4);
    else
        fuzz_args_plot(argc, argv);
    fflush(stdout);
    free(copy);
    return 0;
}
