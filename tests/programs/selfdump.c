/*
 * selfdump.c - writes a raw heap dump (doc/heap-dump-format.md) of its
 * own stacks: two named functions with known values, for
 * tests/check_pprof_go.sh to convert and read back with go tool pprof.
 *
 *     selfdump OUT
 */
#include <stdint.h>
#include <stdio.h>

#include "self_dump.h"

uint64_t selfdump_here(void) __attribute__((noinline));
void selfdump_alpha(FILE *fp) __attribute__((noinline));
void selfdump_beta(FILE *fp) __attribute__((noinline));

/* Its caller's return address: a point inside the caller. */
uint64_t selfdump_here(void)
{
    return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

void selfdump_alpha(FILE *fp)
{
    uint64_t in_alpha = selfdump_here();
    fprintf(fp, "stack normal 3 3000 1 1000 %lx %lx\n", (unsigned long)in_alpha,
            (unsigned long)(uintptr_t)__builtin_return_address(0));
}

void selfdump_beta(FILE *fp)
{
    uint64_t in_beta = selfdump_here();
    fprintf(fp, "stack atomic 5 7168 2 2048 %lx %lx\n", (unsigned long)in_beta,
            (unsigned long)(uintptr_t)__builtin_return_address(0));
    fprintf(fp, "stack normal 1 512 0 0 %lx %lx\n", (unsigned long)in_beta,
            (unsigned long)(uintptr_t)__builtin_return_address(0));
}

int main(int argc, char **argv)
{
    FILE *fp;

    if (argc != 2 || !(fp = fopen(argv[1], "w")))
        return 2;
    if (self_dump_start(fp) < 0)
        return 1;
    fprintf(fp, "rate 1\npid 1\ntime_ns 1764700000000000000\nduration_ns 1500000000\n");
    fprintf(fp, "comment written by tests/programs/selfdump.c\n");
    selfdump_alpha(fp);
    selfdump_beta(fp);
    return fclose(fp) == 0 ? 0 : 1;
}
