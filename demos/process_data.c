/*
 * process_data - the design's first example: profile a closure that
 * builds and drops a 1000 x 1000 matrix. Settings come from GCPROF;
 * --verify checks the report against the program's own record (verify.h).
 */
#include "examples.h"

int main(int argc, char **argv)
{
    return example_main(argc, argv, "process_data", example_process_data);
}
