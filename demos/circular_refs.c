/*
 * circular_refs - the design's second example: 100 records and a shared
 * list that refer to each other, all garbage when the closure returns.
 */
#include "examples.h"

int main(void)
{
    return example_main("circular_refs", example_circular_refs);
}
