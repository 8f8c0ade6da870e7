/*
 * circular_refs - the design's second example: 100 records and a shared
 * list that refer to each other, all garbage when the closure returns.
 * --verify checks the report against the program's own record (verify.h).
 */
#include "examples.h"

int main(int argc, char **argv)
{
    return example_main(argc, argv, "circular_refs", example_circular_refs);
}
