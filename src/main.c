/*
 * wormwatch: command line. Parses options, loads the rules, opens the output
 * and feeds each capture into the pipeline; the work is in the library.
 *
 * Exit codes: 0 success (also when stopped by SIGINT/SIGTERM); 1 runtime
 * failure (a capture or output that cannot be opened, read or written),
 * after flushing every event seen so far; 2 usage or configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wormwatch/capture.h"
#include "wormwatch/output.h"
#include "wormwatch/pipeline.h"
#include "wormwatch/rules.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define MAX_INPUTS 256
#define ERR_LEN 512

struct options {
    const char *inputs[MAX_INPUTS];
    int input_count;
    const char *output;
    const char *rules_path;
    const char *sensor_name;
    const char *max_memory;
    const char *filter_file;
    char *filter;          /* BPF expression: trailing arguments or -F FILE */
    int test_rules;
    int dump_rules;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: wormwatch [OPTIONS] -r FILE [-r FILE ...] [FILTER EXPRESSION]\n"
            "Names the hosts that scan like Conficker-style SMB worms, from capture files.\n"
            "Events are EVE JSON, one object per line: an alert per flagged source and rule,\n"
            "then one stats event.\n"
            "\n"
            "  -r, --read FILE         read a pcap or pcapng file ('-' = standard input);\n"
            "                          several -r files are one continuous stream\n"
            "  -o, --output PATH       append events to PATH (default: standard output)\n"
            "  -F, --filter-file FILE  read the BPF filter expression from FILE (as tcpdump;\n"
            "                          or give it after the options)\n"
            "  -R, --rules FILE        use FILE instead of the built-in rules\n"
            "  -T, --test-rules        check the rules, print a summary and exit\n"
            "      --dump-rules        print the built-in rules file and exit\n"
            "  -m, --max-memory SIZE   memory for state tables (overrides max_memory, e.g. 64M)\n"
            "      --sensor-name NAME  value of \"host\" in events (default: the hostname)\n"
            "  -V, --version           print the version and exit\n"
            "  -h, --help              print this help and exit\n"
            "\n"
            "Exit status: 0 success; 1 a capture or output could not be opened, read or\n"
            "written (events seen before the failure are written first); 2 usage or rules error.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "wormwatch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'wormwatch --help')\n");
    return EXIT_USAGE;
}

/* The trailing arguments as one filter expression, as tcpdump takes them. */
static char *join_arguments(int count, char **args)
{
    size_t len = 1;
    for (int i = 0; i < count; i++)
        len += strlen(args[i]) + 1;
    char *joined = calloc(1, len);
    for (int i = 0; joined && i < count; i++) {
        if (i)
            strcat(joined, " ");
        strcat(joined, args[i]);
    }
    return joined;
}

/* Reads -F FILE's expression; exit code 2 on failure, else -1. */
static int read_filter_file(struct options *o)
{
    FILE *f = fopen(o->filter_file, "rb");
    if (!f) {
        fprintf(stderr, "wormwatch: %s: cannot open filter file: %s\n", o->filter_file,
                strerror(errno));
        return EXIT_USAGE;
    }
    enum { MAX_FILTER = 65536 };
    o->filter = calloc(1, MAX_FILTER + 1);
    size_t n = o->filter ? fread(o->filter, 1, MAX_FILTER + 1, f) : 0;
    fclose(f);
    if (!o->filter || n > MAX_FILTER) {
        fprintf(stderr, "wormwatch: %s: filter file too large (over %d bytes)\n", o->filter_file,
                MAX_FILTER);
        return EXIT_USAGE;
    }
    for (char *c = o->filter; *c; c++) /* comments and newlines, as tcpdump -F */
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    return -1;
}

/* A filter that does not compile is a usage error, found before any reading. */
static int check_filter(struct options *o)
{
    if (o->filter_file) {
        int rc = read_filter_file(o);
        if (rc >= 0)
            return rc;
    }
    char err[ERR_LEN];
    if (o->filter && !ww_capture_check_filter(o->filter, 1 /* DLT_EN10MB */, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return EXIT_USAGE;
    }
    return -1;
}

/* Returns -1 to go on, or an exit code. */
static int parse_options(int argc, char **argv, struct options *o)
{
    enum { OPT_DUMP_RULES = 256, OPT_SENSOR_NAME };
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"output", required_argument, NULL, 'o'},
        {"filter-file", required_argument, NULL, 'F'},
        {"rules", required_argument, NULL, 'R'},
        {"test-rules", no_argument, NULL, 'T'},
        {"dump-rules", no_argument, NULL, OPT_DUMP_RULES},
        {"max-memory", required_argument, NULL, 'm'},
        {"sensor-name", required_argument, NULL, OPT_SENSOR_NAME},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":r:o:F:R:Tm:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (o->input_count == MAX_INPUTS)
                return usage_error("more than %s -r files", "256");
            o->inputs[o->input_count++] = optarg;
            break;
        case 'o': o->output = optarg; break;
        case 'F': o->filter_file = optarg; break;
        case 'R': o->rules_path = optarg; break;
        case 'T': o->test_rules = 1; break;
        case 'm': o->max_memory = optarg; break;
        case OPT_DUMP_RULES: o->dump_rules = 1; break;
        case OPT_SENSOR_NAME: o->sensor_name = optarg; break;
        case 'V': printf("wormwatch %s\n", WW_VERSION); return EXIT_SUCCESS;
        case 'h': usage(stdout); return EXIT_SUCCESS;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc && o->filter_file)
        return usage_error("%s", "give the filter either after the options or with -F, not both");
    if (optind < argc && !(o->filter = join_arguments(argc - optind, argv + optind)))
        return usage_error("%s", "out of memory");
    if (!o->input_count && !o->test_rules && !o->dump_rules)
        return usage_error("%s", "no input: give a capture with -r FILE");
    return -1;
}

static int load_rules(const struct options *o, struct ww_ruleset *rules)
{
    char err[ERR_LEN];
    bool ok = o->rules_path ? ww_rules_load_file(o->rules_path, rules, err, sizeof err)
                            : ww_rules_load_default(rules, err, sizeof err);
    if (!ok) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return EXIT_USAGE;
    }
    if (o->max_memory) {
        uint64_t bytes;
        if (!ww_parse_size(o->max_memory, &bytes) || bytes < 1024 * 1024)
            return usage_error("--max-memory '%s' is not a size of at least 1M", o->max_memory);
        rules->max_memory = bytes;
    }
    return -1;
}

/* Set by SIGINT/SIGTERM: finish the events seen so far and exit 0. */
static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_signal_handlers(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = request_stop;
    sa.sa_flags = 0; /* no SA_RESTART: a read blocked on a quiet pipe must return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A file size limit must fail the write (counted, reported), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
}

static int read_inputs(const struct options *o, struct ww_pipeline *pipeline)
{
    char err[ERR_LEN];
    for (int i = 0; i < o->input_count && !ww_pipeline_stopped(pipeline); i++) {
        struct ww_capture *cap = ww_capture_open_file(o->inputs[i], err, sizeof err);
        if (!cap) {
            fprintf(stderr, "wormwatch: %s\n", err);
            return EXIT_RUNTIME;
        }
        if (!ww_capture_set_filter(cap, o->filter, err, sizeof err)) {
            fprintf(stderr, "wormwatch: %s\n", err);
            ww_capture_close(cap);
            return EXIT_RUNTIME;
        }
        bool ok = ww_pipeline_run_capture(pipeline, cap, err, sizeof err);
        ww_capture_close(cap);
        if (!ok) {
            fprintf(stderr, "wormwatch: %s\n", err);
            return EXIT_RUNTIME;
        }
    }
    return EXIT_SUCCESS;
}

static int run(const struct options *o, const struct ww_ruleset *rules)
{
    char err[ERR_LEN], host[256] = "";
    if (o->sensor_name)
        snprintf(host, sizeof host, "%s", o->sensor_name);
    else if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    struct ww_output *out = ww_output_open(o->output, host, err, sizeof err);
    if (!out) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return EXIT_RUNTIME;
    }
    struct ww_pipeline *pipeline = ww_pipeline_new(rules, out, err, sizeof err);
    if (!pipeline) {
        fprintf(stderr, "wormwatch: %s\n", err);
        ww_output_close(out, err, sizeof err);
        return EXIT_RUNTIME;
    }
    ww_pipeline_set_stop_flag(pipeline, &stop_requested);
    int rc = read_inputs(o, pipeline);
    ww_pipeline_finish(pipeline);
    ww_pipeline_free(pipeline);
    if (!ww_output_close(out, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        rc = EXIT_RUNTIME;
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.dump_rules) {
        fputs(ww_default_rules_text, stdout);
        return EXIT_SUCCESS;
    }
    if ((rc = check_filter(&o)) >= 0)
        return rc;
    static struct ww_ruleset rules; /* large; read-only once loaded */
    if ((rc = load_rules(&o, &rules)) >= 0)
        return rc;
    if (o.test_rules) {
        printf("wormwatch: rules OK: %zu rules from %s\n", rules.rule_count,
               o.rules_path ? o.rules_path : "the built-in default.rules");
        return EXIT_SUCCESS;
    }
    install_signal_handlers();
    rc = run(&o, &rules);
    free(o.filter);
    return rc;
}
