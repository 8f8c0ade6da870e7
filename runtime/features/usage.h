/*
 * usage.h - gcp_memory_usage's internals that its tests look at (usage.c).
 */
#ifndef GCP_USAGE_H
#define GCP_USAGE_H

#include <stdint.h>

/* Readings taken by every gcp_memory_usage sampler thread in this process
 * so far (not the start and end samples). A closure in a white-box test
 * waits for it to advance by 2 to know that a whole reading was taken
 * while it held its memory, whatever the machine's load. */
uint64_t gcp__usage_sampler_readings(void);

#endif /* GCP_USAGE_H */
