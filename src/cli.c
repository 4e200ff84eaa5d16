/*
 * The command line (cli.h): options, their checks, and the usage text.
 */
#include "wormwatch/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/dga.h"

#define ERR_LEN 512


void ww_cli_usage(FILE *f)
{
    fprintf(f,
            "Usage: wormwatch [OPTIONS] -r FILE [-r FILE ...] [FILTER EXPRESSION]\n"
            "       wormwatch [OPTIONS] -i IFACE [FILTER EXPRESSION]\n"
            "Names the hosts that scan like Conficker-style SMB worms, from capture files\n"
            "or a live interface (a SPAN port). Events are EVE JSON, one object per line:\n"
            "an alert per flagged source and rule, and stats events.\n"
            "\n"
            "Input\n"
            "  -r, --read FILE         read a pcap or pcapng file ('-' = standard input);\n"
            "                          several -r files are one continuous stream\n"
            "  -i, --interface IFACE   capture live from IFACE (one per process; 'any' for all)\n"
            "  -p, --no-promiscuous    do not put the interface in promiscuous mode\n"
            "  -B, --buffer-size KIB   kernel capture buffer, in KiB\n"
            "  -s, --snaplen BYTES     bytes kept per frame (default %d: headers are enough)\n"
            "      --workers N         N capture threads on the interface (Linux PACKET_FANOUT,\n"
            "                          keyed on each probe's initiator; default 1)\n"
            "  -F, --filter-file FILE  read the BPF filter from FILE (or give it after the\n"
            "                          options; live default: the watched ports, NBNS, ICMP\n"
            "                          and ARP, also under one or two VLAN tags)\n"
            "      --list-interfaces   list the interfaces that can be captured and exit\n"
            "Output\n"
            "  -o, --output OUTPUT     where events go, repeatable: '-' (standard output,\n"
            "                          the default), a file (appended), unix-dgram:PATH,\n"
            "                          unix-stream:PATH, syslog[:FACILITY],\n"
            "                          redis://HOST[:PORT]/KEY[?mode=M[&maxlen=N]] or\n"
            "                          redis+unix:PATH?key=KEY[&mode=M][&maxlen=N]: M is\n"
            "                          rpush (default: a list readers pop in arrival\n"
            "                          order; Suricata's default is lpush), lpush,\n"
            "                          publish or xadd (a stream; maxlen: MAXLEN ~ N)\n"
            "      --stats-interval N  a stats event every N seconds (live default %d; 0: at\n"
            "                          exit only)\n"
            "      --sensor-name NAME  value of \"host\" in events (default: the hostname)\n"
            "      --progress          a progress line on standard error while replaying files\n"
            "      --summary           the flagged hosts, one line each, on standard error at\n"
            "                          the end (both are on when standard error is a terminal)\n"
            "Rules\n"
            "  -R, --rules FILE        use FILE instead of the built-in rules\n"
            "  -T, --test-rules        check the rules (and filter), print a summary and exit\n"
            "      --dump-rules        print the built-in rules file and exit\n"
            "  -m, --max-memory SIZE   memory for state tables (overrides max_memory, e.g. 64M)\n"
            "DNS blocklists\n"
            "      --conficker-domains VARIANT:DATE\n"
            "                          print the 250 names Conficker A or B looks up on DATE\n"
            "                          (YYYY-MM-DD, UTC), one a line, and exit\n"
            "Running as a service\n"
            "  -u, --user USER         drop privileges to USER once the capture is open\n"
            "  -g, --group GROUP       ... and to GROUP (default: USER's group)\n"
            "      --pidfile FILE      write the process id to FILE\n"
            "  -V, --version           print the version and exit\n"
            "  -h, --help              print this help and exit\n"
            "\n"
            "Signals: SIGINT/SIGTERM stop (events and stats written, exit 0); SIGHUP reopens\n"
            "output files (logrotate) and reconnects sockets; SIGUSR1 writes a stats event.\n"
            "Exit status: 0 success; 1 a capture or output could not be opened, read or\n"
            "written (events seen before the failure are written first); 2 usage, filter or\n"
            "rules error.\n",
            WW_LIVE_SNAPLEN, WW_CLI_STATS_INTERVAL);
}

int ww_cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "wormwatch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'wormwatch --help')\n");
    return WW_EXIT_USAGE;
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

/* A whole number for an option, within [min, max]; false otherwise. */
static bool parse_count(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* --conficker-domains VARIANT:DATE: a day's names for a blocklist; the work is in dga.c. */
static int print_conficker_domains(const char *spec)
{
    char err[ERR_LEN];
    enum ww_dga_print_result r = ww_dga_print_spec(spec, stdout, err, sizeof err);
    if (r == WW_DGA_BAD_SPEC)
        return ww_cli_usage_error("--conficker-domains %s", err);
    if (r == WW_DGA_WRITE_FAILED)
        fprintf(stderr, "wormwatch: %s: %s\n", err, strerror(errno));
    return r == WW_DGA_PRINTED ? EXIT_SUCCESS : WW_EXIT_RUNTIME;
}

/* Returns -1 to go on, or an exit code. */
int ww_cli_parse(int argc, char **argv, struct ww_cli *o)
{
    enum { OPT_DUMP_RULES = 256, OPT_SENSOR_NAME, OPT_PIDFILE, OPT_STATS, OPT_LIST, OPT_WORKERS,
           OPT_CONFICKER_DOMAINS, OPT_PROGRESS, OPT_SUMMARY };
    static const struct option longopts[] = {
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"no-promiscuous", no_argument, NULL, 'p'},
        {"buffer-size", required_argument, NULL, 'B'},
        {"snaplen", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"filter-file", required_argument, NULL, 'F'},
        {"rules", required_argument, NULL, 'R'},
        {"test-rules", no_argument, NULL, 'T'},
        {"dump-rules", no_argument, NULL, OPT_DUMP_RULES},
        {"max-memory", required_argument, NULL, 'm'},
        {"sensor-name", required_argument, NULL, OPT_SENSOR_NAME},
        {"user", required_argument, NULL, 'u'},
        {"group", required_argument, NULL, 'g'},
        {"pidfile", required_argument, NULL, OPT_PIDFILE},
        {"stats-interval", required_argument, NULL, OPT_STATS},
        {"list-interfaces", no_argument, NULL, OPT_LIST},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"conficker-domains", required_argument, NULL, OPT_CONFICKER_DOMAINS},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"summary", no_argument, NULL, OPT_SUMMARY},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    o->live.promiscuous = true;
    o->stats_interval = -1;
    o->workers = 1;
    opterr = 0;
    int c;
    long n;
    while ((c = getopt_long(argc, argv, ":r:i:pB:s:o:F:R:Tm:u:g:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (o->input_count == WW_CLI_MAX_INPUTS)
                return ww_cli_usage_error("more than %s -r files", "256");
            o->inputs[o->input_count++] = optarg;
            break;
        case 'i': o->live.iface = optarg; break;
        case 'p': o->live.promiscuous = false; break;
        case 'B':
            /* libpcap takes bytes as an int: a larger size would wrap */
            if (!parse_count(optarg, 1, INT_MAX / 1024, &n))
                return ww_cli_usage_error("-B '%s' is not a buffer size from 1 to 2097151 KiB", optarg);
            o->live.buffer_kib = (int)n;
            break;
        case 's':
            if (!parse_count(optarg, 64, 262144, &n))
                return ww_cli_usage_error("-s '%s' is not a snap length from 64 to 262144", optarg);
            o->live.snaplen = (int)n;
            break;
        case 'o':
            if (o->output_count == WW_OUTPUT_MAX_SINKS)
                return ww_cli_usage_error("more than %s -o outputs", "8");
            o->outputs[o->output_count++] = optarg;
            break;
        case 'F': o->filter_file = optarg; break;
        case 'R': o->rules_path = optarg; break;
        case 'T': o->test_rules = 1; break;
        case 'm': o->max_memory = optarg; break;
        case 'u': o->user = optarg; break;
        case 'g': o->group = optarg; break;
        case OPT_DUMP_RULES: o->dump_rules = 1; break;
        case OPT_SENSOR_NAME: o->sensor_name = optarg; break;
        case OPT_PIDFILE: o->pidfile = optarg; break;
        case OPT_LIST: o->list_interfaces = 1; break;
        case OPT_PROGRESS: o->progress = 1; break;
        case OPT_SUMMARY: o->summary = 1; break;
        case OPT_WORKERS:
            if (!parse_count(optarg, 1, WW_CLI_MAX_WORKERS, &o->workers))
                return ww_cli_usage_error("--workers '%s' is not a number from 1 to 64", optarg);
            break;
        case OPT_STATS:
            if (!parse_count(optarg, 0, 86400 * 365, &o->stats_interval))
                return ww_cli_usage_error("--stats-interval '%s' is not a number of seconds", optarg);
            break;
        case OPT_CONFICKER_DOMAINS: return print_conficker_domains(optarg);
        case 'V': printf("wormwatch %s\n", WW_VERSION); return EXIT_SUCCESS;
        case 'h': ww_cli_usage(stdout); return EXIT_SUCCESS;
        case ':': return ww_cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return ww_cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc && o->filter_file)
        return ww_cli_usage_error("%s", "give the filter either after the options or with -F, not both");
    if (optind < argc && !(o->filter = join_arguments(argc - optind, argv + optind)))
        return ww_cli_usage_error("%s", "out of memory");
    if (o->input_count && o->live.iface)
        return ww_cli_usage_error("%s", "read files (-r) or capture live (-i), not both");
    if (o->group && !o->user)
        return ww_cli_usage_error("%s", "-g needs -u");
    if (o->workers > 1 && !o->live.iface)
        return ww_cli_usage_error("%s", "--workers is for live capture (-i)");
    bool works_alone = o->test_rules || o->dump_rules || o->list_interfaces;
    if (!o->input_count && !o->live.iface && !works_alone)
        return ww_cli_usage_error("%s", "no input: give a capture with -r FILE or an interface with -i");
    return -1;
}

/* Reads -F FILE's expression; exit code 2 on failure, else -1. */
static int read_filter_file(struct ww_cli *o)
{
    FILE *f = fopen(o->filter_file, "rb");
    if (!f) {
        fprintf(stderr, "wormwatch: %s: cannot open filter file: %s\n", o->filter_file,
                strerror(errno));
        return WW_EXIT_USAGE;
    }
    enum { MAX_FILTER = 65536 };
    o->filter = calloc(1, MAX_FILTER + 1);
    size_t n = o->filter ? fread(o->filter, 1, MAX_FILTER + 1, f) : 0;
    fclose(f);
    if (!o->filter || n > MAX_FILTER) {
        fprintf(stderr, "wormwatch: %s: filter file too large (over %d bytes)\n", o->filter_file,
                MAX_FILTER);
        return WW_EXIT_USAGE;
    }
    for (char *c = o->filter; *c; c++) /* newlines and tabs, as tcpdump -F */
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    return -1;
}

/* A filter that does not compile is a usage error, found before any reading. */
int ww_cli_check_filter(struct ww_cli *o)
{
    if (o->filter_file) {
        int rc = read_filter_file(o);
        if (rc >= 0)
            return rc;
    }
    char err[ERR_LEN];
    if (o->filter && !ww_capture_check_filter(o->filter, 1 /* DLT_EN10MB */, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return WW_EXIT_USAGE;
    }
    return -1;
}

int ww_cli_load_rules(const struct ww_cli *o, struct ww_ruleset *rules)
{
    char err[ERR_LEN];
    bool ok = o->rules_path ? ww_rules_load_file(o->rules_path, rules, err, sizeof err)
                            : ww_rules_load_default(rules, err, sizeof err);
    if (!ok) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return WW_EXIT_USAGE;
    }
    if (o->max_memory) {
        uint64_t bytes;
        if (!ww_parse_size(o->max_memory, &bytes) || bytes < 1024 * 1024)
            return ww_cli_usage_error("--max-memory '%s' is not a size of at least 1M", o->max_memory);
        rules->max_memory = bytes;
    }
    return -1;
}

