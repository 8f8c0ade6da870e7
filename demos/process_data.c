/*
 * process_data - the design's first example: profile a closure that
 * builds and drops a 1000 x 1000 matrix. Settings come from GCPROF.
 */
#include "examples.h"

int main(void)
{
    return example_main("process_data", example_process_data);
}
