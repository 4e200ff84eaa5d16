/*
 * wormwatch: command line. Parses options, loads the rules, opens the
 * capture and the outputs, and runs the pipeline; the work is in the library.
 *
 * Order matters for a live sensor: the capture is opened first (it needs
 * CAP_NET_RAW), then privileges are dropped (-u/-g), then the outputs are
 * opened as that user, so that files created now and on every SIGHUP reopen
 * belong to it.
 *
 * Exit codes: 0 success (also when stopped by SIGINT/SIGTERM); 1 runtime
 * failure (a capture or output that cannot be opened, read or written),
 * after flushing every event seen so far; 2 usage or configuration error.
 */
/* setgroups() is not POSIX: it comes with the BSD/GNU interfaces. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <assert.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wormwatch/capture.h"
#include "wormwatch/dga.h"
#include "wormwatch/output.h"
#include "wormwatch/format.h"
#include "wormwatch/pipeline.h"
#include "wormwatch/probe.h"
#include "wormwatch/rules.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define MAX_INPUTS 256
#define ERR_LEN 512
#define DEFAULT_LIVE_STATS_INTERVAL 60
#define MAX_WORKERS 64

struct options {
    const char *inputs[MAX_INPUTS];
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

static void usage(FILE *f)
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
            WW_LIVE_SNAPLEN, DEFAULT_LIVE_STATS_INTERVAL);
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
        return usage_error("--conficker-domains %s", err);
    if (r == WW_DGA_WRITE_FAILED)
        fprintf(stderr, "wormwatch: %s: %s\n", err, strerror(errno));
    return r == WW_DGA_PRINTED ? EXIT_SUCCESS : EXIT_RUNTIME;
}

/* Returns -1 to go on, or an exit code. */
static int parse_options(int argc, char **argv, struct options *o)
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
            if (o->input_count == MAX_INPUTS)
                return usage_error("more than %s -r files", "256");
            o->inputs[o->input_count++] = optarg;
            break;
        case 'i': o->live.iface = optarg; break;
        case 'p': o->live.promiscuous = false; break;
        case 'B':
            /* libpcap takes bytes as an int: a larger size would wrap */
            if (!parse_count(optarg, 1, INT_MAX / 1024, &n))
                return usage_error("-B '%s' is not a buffer size from 1 to 2097151 KiB", optarg);
            o->live.buffer_kib = (int)n;
            break;
        case 's':
            if (!parse_count(optarg, 64, 262144, &n))
                return usage_error("-s '%s' is not a snap length from 64 to 262144", optarg);
            o->live.snaplen = (int)n;
            break;
        case 'o':
            if (o->output_count == WW_OUTPUT_MAX_SINKS)
                return usage_error("more than %s -o outputs", "8");
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
            if (!parse_count(optarg, 1, MAX_WORKERS, &o->workers))
                return usage_error("--workers '%s' is not a number from 1 to 64", optarg);
            break;
        case OPT_STATS:
            if (!parse_count(optarg, 0, 86400 * 365, &o->stats_interval))
                return usage_error("--stats-interval '%s' is not a number of seconds", optarg);
            break;
        case OPT_CONFICKER_DOMAINS: return print_conficker_domains(optarg);
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
    if (o->input_count && o->live.iface)
        return usage_error("%s", "read files (-r) or capture live (-i), not both");
    if (o->group && !o->user)
        return usage_error("%s", "-g needs -u");
    if (o->workers > 1 && !o->live.iface)
        return usage_error("%s", "--workers is for live capture (-i)");
    bool works_alone = o->test_rules || o->dump_rules || o->list_interfaces;
    if (!o->input_count && !o->live.iface && !works_alone)
        return usage_error("%s", "no input: give a capture with -r FILE or an interface with -i");
    return -1;
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
    for (char *c = o->filter; *c; c++) /* newlines and tabs, as tcpdump -F */
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

/* --- signals ------------------------------------------------------------------- */

/*
 * Set by signal handlers (or a failing worker); read by the pipelines'
 * threads between frames. Lock-free atomics are both async-signal-safe and
 * free of data races between threads, which volatile sig_atomic_t is not.
 */
static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal flags must be lock-free atomics");
static atomic_int stop_requested, reopen_requested;
static atomic_uint stats_requests, signals_caught;

static void on_signal(int sig)
{
    atomic_fetch_add(&signals_caught, 1);
    if (sig == SIGHUP)
        atomic_store(&reopen_requested, 1);
    else if (sig == SIGUSR1)
        atomic_fetch_add(&stats_requests, 1);
    else
        atomic_store(&stop_requested, 1);
}

static void install_signal_handlers(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = 0; /* no SA_RESTART: a read blocked on a quiet pipe must return */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* A file size limit must fail the write (counted, reported), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
}

static void warn_to_stderr(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "wormwatch: %s\n", message);
}

/* --- running as a service ------------------------------------------------------- */

static bool write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "wormwatch: %s: cannot write pid file: %s\n", path, strerror(errno));
        return false;
    }
    fprintf(f, "%ld\n", (long)getpid());
    if (fclose(f) != 0) {
        fprintf(stderr, "wormwatch: %s: cannot write pid file: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* Becomes USER (and GROUP, else USER's group) for good. */
static bool drop_privileges(const char *user, const char *group)
{
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "wormwatch: no such user '%s'\n", user);
        return false;
    }
    gid_t gid = pw->pw_gid;
    if (group) {
        struct group *gr = getgrnam(group);
        if (!gr) {
            fprintf(stderr, "wormwatch: no such group '%s'\n", group);
            return false;
        }
        gid = gr->gr_gid;
    }
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
        fprintf(stderr, "wormwatch: cannot become user '%s': %s\n", user, strerror(errno));
        return false;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) { /* must be impossible now */
        fprintf(stderr, "wormwatch: privileges of '%s' could be regained; refusing to run\n",
                user);
        return false;
    }
    return true;
}

/* --- inputs ----------------------------------------------------------------------- */

/* --- a person at a terminal ----------------------------------------------------- */

/* The progress line and the closing summary, on standard error only. */
struct human {
    bool progress, summary;
    bool line_shown;              /* a progress line is on screen: clear it first */
    uint64_t start_ns;            /* monotonic, for the rate */
    pthread_mutex_t lock;         /* workers report alerts from their threads */
    struct ww_summary hosts;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct human *human_new(const struct options *o)
{
    bool tty = isatty(STDERR_FILENO);
    bool progress = o->progress || (tty && o->input_count > 0);
    bool summary = o->summary || tty;
    if (!progress && !summary)
        return NULL;
    struct human *h = calloc(1, sizeof *h);
    if (!h)
        return NULL; /* a nicety, not worth failing the run for */
    h->progress = progress;
    h->summary = summary;
    h->start_ns = mono_ns();
    pthread_mutex_init(&h->lock, NULL);
    ww_summary_init(&h->hosts);
    return h;
}

static void human_observe(void *ctx, const struct ww_summary_alert *a)
{
    struct human *h = ctx;
    pthread_mutex_lock(&h->lock);
    ww_summary_add(&h->hosts, a);
    pthread_mutex_unlock(&h->lock);
}

static void human_progress(void *ctx, const struct ww_progress *p)
{
    struct human *h = ctx;
    double secs = (double)(mono_ns() - h->start_ns) / 1e9;
    char when[WW_TIMESTAMP_LEN];
    ww_format_timestamp(p->packet_ns, when);
    when[19] = '\0';
    when[10] = ' ';
    fprintf(stderr, "\rwormwatch: %.1f MB, %llu packets (%.0f/s), %llu alert%s, at %s\033[K",
            (double)p->bytes / 1e6, (unsigned long long)p->packets,
            secs > 0 ? (double)p->packets / secs : 0.0, (unsigned long long)p->alerts,
            p->alerts == 1 ? "" : "s", when);
    fflush(stderr);
    h->line_shown = true;
}

/* Ends the progress line and prints the summary; frees. */
static void human_end(struct human *h)
{
    if (!h)
        return;
    if (h->line_shown)
        fputs("\r\033[K", stderr);
    if (h->summary)
        ww_summary_print(&h->hosts, stderr);
    pthread_mutex_destroy(&h->lock);
    free(h);
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

/* The capture files (or standard input) in turn, answering SIGHUP and SIGUSR1. */
static int read_files(const struct options *o, struct ww_pipeline *pipeline, struct human *human)
{
    struct ww_live_control ctl = {.reopen = &reopen_requested, .stats_requests = &stats_requests,
                                  .attention = &signals_caught, .warn = warn_to_stderr};
    if (human && human->progress) {
        ctl.progress = human_progress;
        ctl.progress_ctx = human;
    }
    ww_pipeline_set_control(pipeline, &ctl);
    int rc = read_inputs(o, pipeline);
    ww_pipeline_set_control(pipeline, NULL);
    return rc;
}

/* Opens the interface with the user's filter, or the default one for the rules. */
static struct ww_capture *open_live(const struct options *o, const struct ww_ruleset *rules)
{
    char err[ERR_LEN], warn[ERR_LEN], filter[2048];
    struct ww_capture *cap = ww_capture_open_live(&o->live, warn, sizeof warn, err, sizeof err);
    if (!cap) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return NULL;
    }
    if (warn[0])
        fprintf(stderr, "wormwatch: warning: %s\n", warn);
    /* The user's filter goes to libpcap whole: -F allows far more than a
       buffer here would hold. */
    const char *expression = o->filter;
    if (!expression) {
        struct ww_probe_config cfg;
        struct ww_hash_key unused = {0}; /* only the port list is wanted here */
        ww_probe_config_from_rules(rules, 1, 1, &unused, &cfg);
        unsigned wants = (rules->payload.dga ? WW_FILTER_DNS : 0) |
                         (rules->payload.p2p ? WW_FILTER_P2P : 0);
        ww_capture_default_filter(cfg.tcp_ports, cfg.tcp_port_count, wants,
                                  ww_capture_link(cap) == WW_LINK_ETHERNET, filter, sizeof filter);
        expression = filter;
    }
    if (!ww_capture_set_filter(cap, expression, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        ww_capture_close(cap);
        return NULL;
    }
    return cap;
}

/* Runs one live pipeline; only the first worker reopens the shared output on SIGHUP. */
static int read_live(const struct options *o, struct ww_pipeline *pipeline, struct ww_capture *cap,
                     bool first)
{
    char err[ERR_LEN];
    long interval = o->stats_interval >= 0 ? o->stats_interval : DEFAULT_LIVE_STATS_INTERVAL;
    struct ww_live_control ctl = {.reopen = first ? &reopen_requested : NULL,
                                  .stats_requests = &stats_requests, .attention = &signals_caught,
                                  .stats_interval_ns = (uint64_t)interval * 1000000000ULL,
                                  .warn = warn_to_stderr};
    if (!ww_pipeline_run_live(pipeline, cap, &ctl, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return EXIT_RUNTIME;
    }
    return EXIT_SUCCESS;
}

/*
 * After the capture is open: the pid file, then the unprivileged user.
 * *pidfile_written says whether the file is ours to remove at the end (a
 * start that fails before writing it must not remove another instance's).
 */
static bool settle_process(const struct options *o, bool *pidfile_written)
{
    if (o->pidfile) {
        if (!write_pidfile(o->pidfile))
            return false;
        *pidfile_written = true;
    }
    return !o->user || drop_privileges(o->user, o->group);
}

/* Closes the output (its failure fails the run) and removes our pid file. */
static int end_run(const struct options *o, struct ww_output *out, bool pidfile_written, int rc)
{
    char err[ERR_LEN];
    if (!ww_output_close(out, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        rc = EXIT_RUNTIME;
    }
    if (pidfile_written)
        unlink(o->pidfile); /* may fail once privileges are gone; harmless */
    return rc;
}

/* --- workers -------------------------------------------------------------------- */

static struct ww_output *open_outputs(const struct options *o);

struct worker {
    int index;
    const struct options *options;
    struct ww_ruleset rules;        /* the default's, with this worker's share of memory */
    struct ww_capture *cap;
    struct ww_pipeline *pipeline;
    pthread_t thread;
    int rc;
    atomic_bool done;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->rc = read_live(w->options, w->pipeline, w->cap, w->index == 0);
    if (w->rc != EXIT_SUCCESS)
        atomic_store(&stop_requested, 1); /* one broken capture stops them all */
    ww_pipeline_finish(w->pipeline);
    atomic_store(&w->done, true);
    return NULL;
}

/* Opens the interface once per worker, all in one fanout group. */
static bool open_worker_captures(const struct options *o, struct worker *w, long n,
                                 const struct ww_ruleset *rules)
{
    char err[ERR_LEN];
    uint16_t group = 0; /* the kernel's choice, unique on this host */
    for (long i = 0; i < n; i++) {
        if (!(w[i].cap = open_live(o, rules)))
            return false;
        if (!ww_capture_join_fanout(w[i].cap, &group, i == 0, err, sizeof err)) {
            fprintf(stderr, "wormwatch: %s\n", err);
            return false;
        }
    }
    return true;
}

static bool make_worker_pipelines(const struct options *o, struct worker *w, long n,
                                  const struct ww_ruleset *rules, struct ww_output *out,
                                  struct human *human)
{
    char err[ERR_LEN];
    for (long i = 0; i < n; i++) {
        w[i].index = (int)i;
        w[i].options = o;
        w[i].rules = *rules;
        w[i].rules.max_memory = rules->max_memory / (uint64_t)n; /* the cap bounds them all */
        if (!(w[i].pipeline = ww_pipeline_new(&w[i].rules, out, err, sizeof err))) {
            fprintf(stderr, "wormwatch: %s\n", err);
            return false;
        }
        ww_pipeline_set_worker(w[i].pipeline, (int)i);
        ww_pipeline_set_stop_flag(w[i].pipeline, &stop_requested);
        if (human)
            ww_pipeline_set_observer(w[i].pipeline, human_observe, human);
    }
    return true;
}

/* Starts the workers with signals blocked, so that the main thread takes them all. */
static long start_workers(struct worker *w, long n)
{
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    long started = 0;
    while (started < n && pthread_create(&w[started].thread, NULL, worker_main, &w[started]) == 0)
        started++;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (started < n) {
        fprintf(stderr, "wormwatch: cannot start worker %ld\n", started);
        atomic_store(&stop_requested, 1);
    }
    return started;
}

/* Waits for a stop signal (or a worker's end), then for every worker. */
static int run_workers(struct worker *w, long started)
{
    bool all_done = false;
    while (!atomic_load(&stop_requested) && !all_done) {
        nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
        all_done = true;
        for (long i = 0; i < started; i++)
            all_done &= atomic_load(&w[i].done);
    }
    int rc = EXIT_SUCCESS;
    for (long i = 0; i < started; i++) {
        pthread_join(w[i].thread, NULL);
        if (w[i].rc != EXIT_SUCCESS)
            rc = w[i].rc;
    }
    return rc;
}

static int run_with_workers(const struct options *o, const struct ww_ruleset *rules)
{
    long n = o->workers;
    struct worker *w = calloc((size_t)n, sizeof *w);
    if (!w) {
        fprintf(stderr, "wormwatch: out of memory\n");
        return EXIT_RUNTIME;
    }
    int rc = EXIT_RUNTIME;
    bool pidfile_written = false;
    struct ww_output *out = NULL;
    struct human *human = human_new(o);
    if (open_worker_captures(o, w, n, rules) && settle_process(o, &pidfile_written) &&
        (out = open_outputs(o)) && make_worker_pipelines(o, w, n, rules, out, human))
        rc = run_workers(w, start_workers(w, n));
    for (long i = 0; i < n; i++) {
        ww_pipeline_free(w[i].pipeline);
        ww_capture_close(w[i].cap);
    }
    free(w);
    rc = end_run(o, out, pidfile_written, rc);
    human_end(human);
    return rc;
}

/* --- a run ------------------------------------------------------------------------ */

static struct ww_output *open_outputs(const struct options *o)
{
    char err[ERR_LEN], host[256] = "";
    if (o->sensor_name)
        snprintf(host, sizeof host, "%s", o->sensor_name);
    else if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    struct ww_output *out = ww_output_new(host);
    if (!out) {
        fprintf(stderr, "wormwatch: out of memory\n");
        return NULL;
    }
    if (o->live.iface)
        ww_output_set_iface(out, o->live.iface);
    for (int i = 0; i < (o->output_count ? o->output_count : 1); i++) {
        if (!ww_output_add(out, o->output_count ? o->outputs[i] : "-", err, sizeof err)) {
            fprintf(stderr, "wormwatch: %s\n", err);
            ww_output_close(out, err, sizeof err);
            return NULL;
        }
    }
    return out;
}

static int run(const struct options *o, const struct ww_ruleset *rules)
{
    if (o->workers > 1)
        return run_with_workers(o, rules);
    char err[ERR_LEN];
    int rc = EXIT_RUNTIME;
    bool pidfile_written = false;
    struct ww_capture *live = NULL;
    struct ww_output *out = NULL;
    struct ww_pipeline *pipeline = NULL;
    struct human *human = human_new(o);
    if ((!o->live.iface || (live = open_live(o, rules))) && settle_process(o, &pidfile_written) &&
        (out = open_outputs(o))) {
        if ((pipeline = ww_pipeline_new(rules, out, err, sizeof err))) {
            ww_pipeline_set_stop_flag(pipeline, &stop_requested);
            if (human)
                ww_pipeline_set_observer(pipeline, human_observe, human);
            rc = live ? read_live(o, pipeline, live, true) : read_files(o, pipeline, human);
            ww_pipeline_finish(pipeline); /* before the capture goes: its kernel counters */
        } else {
            fprintf(stderr, "wormwatch: %s\n", err);
        }
    }
    ww_pipeline_free(pipeline);
    ww_capture_close(live);
    rc = end_run(o, out, pidfile_written, rc);
    human_end(human);
    return rc;
}

/* Everything after the options; returns the exit code. */
static int run_options(struct options *o)
{
    int rc;
    if (o->dump_rules) {
        fputs(ww_default_rules_text, stdout);
        return EXIT_SUCCESS;
    }
    if (o->list_interfaces) {
        char err[ERR_LEN];
        if (ww_capture_list_interfaces(stdout, err, sizeof err))
            return EXIT_SUCCESS;
        fprintf(stderr, "wormwatch: %s\n", err);
        return EXIT_RUNTIME;
    }
    if ((rc = check_filter(o)) >= 0)
        return rc;
    static struct ww_ruleset rules; /* large; read-only once loaded */
    if ((rc = load_rules(o, &rules)) >= 0)
        return rc;
    if (o->test_rules) {
        printf("wormwatch: rules OK: %zu rules from %s\n", rules.rule_count,
               o->rules_path ? o->rules_path : "the built-in default.rules");
        return EXIT_SUCCESS;
    }
    install_signal_handlers();
    return run(o, &rules);
}

int main(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(argc, argv, &o);
    if (rc < 0)
        rc = run_options(&o);
    free(o.filter);
    return rc;
}
