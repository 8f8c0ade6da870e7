/*
 * commands.h - the gcprof command's subcommands. Each takes the arguments
 * after "gcprof" (argv[0] is the subcommand's name) and returns the exit
 * status. Errors are one line on stderr, "gcprof <cmd>: <what>".
 */
#ifndef GCPROF_COMMANDS_H
#define GCPROF_COMMANDS_H

int gcprof_cmd_run(int argc, char **argv);     /* cmd_run.c */
int gcprof_cmd_peak(int argc, char **argv);    /* cmd_report.c */
int gcprof_cmd_summary(int argc, char **argv); /* cmd_report.c */
int gcprof_cmd_plot(int argc, char **argv);    /* plot.c */

#endif
