/*
 * units.h - the one definition of a mebibyte, as an integer (for byte
 * arithmetic) and as a double (for figures printed in MiB).
 */
#ifndef GCP_UNITS_H
#define GCP_UNITS_H

#include <stdint.h>

#define GCP__MIB   ((uint64_t)1 << 20)
#define GCP__MIB_F 1048576.0

#endif /* GCP_UNITS_H */
