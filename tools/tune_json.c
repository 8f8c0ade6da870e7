/*
 * tune_json.c - `gcprof tune --json`: the table, the recommendation and
 * every run's figures as one JSON object (doc/tune.md lists the fields).
 * Times in seconds, sizes in MiB; an unknown figure is null.
 */
#include "tune.h"

#include "text.h"

static void stat_json(FILE *fp, const char *key, const tool_tune_stat *s, int decimals)
{
    fprintf(fp, ",\"%s\":", key);
    if (s->n == 0)
        fputs("null", fp);
    else
        fprintf(fp, "{\"median\":%.*f,\"min\":%.*f,\"max\":%.*f}", decimals, s->med, decimals,
                s->lo, decimals, s->hi);
}

static void ratios_json(FILE *fp, const tool_tune_row *row)
{
    fputs(",\"vs_default\":{\"n\":", fp);
    fprintf(fp, "%zu", row->vs[TOOL_TUNE_WALL].n);
    stat_json(fp, "wall", &row->vs[TOOL_TUNE_WALL], 6);
    stat_json(fp, "cpu", &row->vs[TOOL_TUNE_CPU], 6);
    stat_json(fp, "peak_rss", &row->vs[TOOL_TUNE_RSS], 6);
    fputc('}', fp);
}

static const char *state_name(int state)
{
    switch (state) {
    case TOOL_TUNE_OK:
        return "ok";
    case TOOL_TUNE_FAILED:
        return "failed";
    case TOOL_TUNE_STOPPED:
        return "stopped";
    default:
        return "not run";
    }
}

static void run_json(FILE *fp, const tool_tune_run *run, size_t round)
{
    char why[96];

    fprintf(fp, "{\"seq\":%d,\"round\":%zu,\"status\":\"%s\"", run->seq, round + 1,
            state_name(run->state));
    if (run->state == TOOL_TUNE_NOT_RUN) {
        fputc('}', fp);
        return;
    }
    fputs(",\"ended\":", fp);
    gcp__json_str(fp, tool_tune_status_text(run->wstatus, why, sizeof why));
    fprintf(fp, ",\"wall_s\":%.6f,\"cpu_s\":%.6f,\"peak_rss_mib\":%.4f", run->wall, run->cpu,
            run->rss);
    fprintf(fp, ",\"recorded\":%s", run->unrecorded ? "false" : "true");
    if (run->has_gcs)
        fprintf(fp, ",\"collections\":%llu", (unsigned long long)run->gcs);
    else
        fputs(",\"collections\":null", fp);
    if (run->has_gcs && run->has_gc_time)
        fprintf(fp, ",\"gc_s\":%.6f}", run->gc_time);
    else
        fputs(",\"gc_s\":null}", fp);
}

static void env_json(FILE *fp, const tool_tune_config *c)
{
    fputs(",\"env\":{", fp);
    for (size_t i = 0; i < TOOL_TUNE_AXES; i++) {
        const tool_tune_axis *a = &tool_tune_axes[i];
        fprintf(fp, "%s\"%s\":", i ? "," : "", a->var);
        if (c->pick[i])
            gcp__json_str(fp, a->values[c->pick[i] - 1]);
        else
            fputs("null", fp);
    }
    fputc('}', fp);
}

static void config_json(FILE *fp, const tool_tune_result *res, size_t i)
{
    const tool_tune_config *c = &res->configs[i];
    const tool_tune_row *row = &res->rows[i];

    fprintf(fp, "{\"id\":%zu,\"label\":", i);
    gcp__json_str(fp, c->label);
    fputs(",\"assign\":", fp);
    gcp__json_str(fp, c->assign);
    env_json(fp, c);
    fprintf(fp, ",\"runs_ok\":%zu,\"runs_failed\":%zu,\"runs_unrecorded\":%zu,\"front\":%s",
            row->ok, row->failed, row->unrecorded, row->front ? "true" : "false");
    stat_json(fp, "wall_s", &row->wall, 6);
    stat_json(fp, "cpu_s", &row->cpu, 6);
    stat_json(fp, "peak_rss_mib", &row->rss, 4);
    stat_json(fp, "gc_s", &row->gc_time, 6);
    stat_json(fp, "collections", &row->gcs, 1);
    ratios_json(fp, row);
    fputs(",\"runs\":[", fp);
    for (size_t r = 0; r < res->rounds; r++) {
        fputs(r ? "," : "", fp);
        run_json(fp, &res->runs[r * res->nconfigs + i], r);
    }
    fputs("]}", fp);
}

static void recommendation_json(FILE *fp, const tool_tune_result *res)
{
    fputs(",\"recommendation\":", fp);
    if (res->best < 0) {
        fputs("null", fp);
    } else {
        fprintf(fp, "{\"id\":%ld,\"label\":", res->best);
        gcp__json_str(fp, res->configs[res->best].label);
        fputs(",\"assign\":", fp);
        gcp__json_str(fp, res->configs[res->best].assign);
        ratios_json(fp, &res->rows[res->best]);
        fputc('}', fp);
    }
    if (res->lowest < 0)
        fputs(",\"lowest_rss\":null", fp);
    else
        fprintf(fp, ",\"lowest_rss\":%ld", res->lowest);
}

void tool_tune_print_json(FILE *fp, const tool_tune_result *res, char **argv)
{
    fputs("{\"program\":[", fp);
    for (char **a = argv; *a; a++) {
        fputs(a == argv ? "" : ",", fp);
        gcp__json_str(fp, *a);
    }
    fprintf(fp,
            "],\"rounds\":%zu,\"warmup\":%zu,\"complete_rounds\":%zu,\"rounds_used\":%zu,"
            "\"elapsed_s\":%.3f",
            res->rounds, res->warmup, res->complete, res->used, res->elapsed);
    if (res->stop_signal)
        fprintf(fp, ",\"stopped_by_signal\":%d", res->stop_signal);
    else
        fputs(",\"stopped_by_signal\":null", fp);
    if (res->max_rss > 0)
        fprintf(fp, ",\"max_rss_mib\":%.4f", res->max_rss);
    else
        fputs(",\"max_rss_mib\":null", fp);
    fputs(",\"configs\":[", fp);
    for (size_t i = 0; i < res->nconfigs; i++) {
        fputs(i ? ",\n" : "\n", fp);
        config_json(fp, res, i);
    }
    fputs("]", fp);
    recommendation_json(fp, res);
    fputs("}\n", fp);
}
