/*
 * The command line: what wormwatch was asked to do (struct ww_cli), read
 * from argv as getopt_long reads it, and the checks that need nothing but
 * the options themselves (the filter compiles, the rules load). main.c
 * opens and runs; this file only decides, so every usage error is found
 * before a capture or an output is touched.
 */
#ifndef WW_CLI_H
#define WW_CLI_H

#include <stdio.h>

#include "wormwatch/capture.h"
#include "wormwatch/output.h"
#include "wormwatch/rules.h"

/* Exit codes (README): 0 success, 1 runtime failure, 2 usage or configuration error. */
#define WW_EXIT_RUNTIME 1
#define WW_EXIT_USAGE 2

#define WW_CLI_MAX_INPUTS 256
#define WW_CLI_MAX_WORKERS 64
#define WW_CLI_STATS_INTERVAL 60 /* seconds between live stats events, unless told */

struct ww_cli {
    const char *inputs[WW_CLI_MAX_INPUTS];
    int input_count;
    const char *outputs[WW_OUTPUT_MAX_SINKS];
    int output_count;
    struct ww_live_options live;  /* live.iface set: capture from an interface */
    const char *rules_path;
    const char *sensor_name;
    const char *max_memory;
    const char *filter_file;
    char *filter;                 /* BPF expression: trailing arguments or -F FILE */
    const char *user, *group;
    const char *pidfile;
    long stats_interval;          /* seconds; -1: the default */
    long workers;                 /* live capture threads sharing the interface */
    int test_rules;
    int dump_rules;
    int list_interfaces;
    int progress;                 /* --progress: the progress line even off a terminal */
    int summary;                  /* --summary: the closing summary even off a terminal */
};

/* Fills *o from argv; -1 to go on, or an exit code (--help, --conficker-domains, errors). */
int ww_cli_parse(int argc, char **argv, struct ww_cli *o);
void ww_cli_usage(FILE *f);
/* Prints "wormwatch: " fmt (with arg) and a hint to stderr; returns WW_EXIT_USAGE. */
int ww_cli_usage_error(const char *fmt, const char *arg);
/* Reads -F FILE and compiles the filter: -1 to go on, or WW_EXIT_USAGE. */
int ww_cli_check_filter(struct ww_cli *o);
/* The rules file (or the built-in rules) and --max-memory: -1, or WW_EXIT_USAGE. */
int ww_cli_load_rules(const struct ww_cli *o, struct ww_ruleset *rules);

#endif
