/*
 * abi_layout.c - the size of every public struct and where its reserved
 * space starts, compiled twice by tests/check_abi: once against the header
 * as it is, once against tests/grown/gcprof.h, a later version's header
 * made by consuming one word of every reserved_ tail for a new field
 * (grown_). ABI_LAYOUT_FN names the table each build defines.
 */
#include <stddef.h>

#include "gcprof.h"
#include "abi_layout.h"

#ifdef ABI_GROWN
#define TAIL grown_ /* the new field stands where reserved_ began */
#else
#define TAIL reserved_
#endif

#define ROW(type) {#type, sizeof(type), offsetof(type, TAIL)}

static const abi_row rows[] = {
    ROW(gcp_heap_counters),
    ROW(gcp_config),
    ROW(gcp_gc_stats),
    ROW(gcp_report),
    ROW(gcp_task),
    ROW(gcp_gc_decision),
    ROW(gcp_site),
    ROW(gcp_leak_options),
    ROW(gcp_leak_report),
    ROW(gcp_live_counts),
    ROW(gcp_monitor_options),
    ROW(gcp_usage_options),
    ROW(gcp_usage_sample),
    ROW(gcp_snapshot_verdict),
    ROW(gcp_snapshot_leak_site),
    ROW(gcp_heap_profile_options),
    ROW(gcp_metrics_options),
    ROW(gcp_breakdown_options),
};

const abi_row *ABI_LAYOUT_FN(size_t *n)
{
    *n = sizeof rows / sizeof rows[0];
    return rows;
}
