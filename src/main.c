/*
 * wormwatch: the program. Takes the command line (cli.c), opens the
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
#include "wormwatch/cli.h"
#include "wormwatch/output.h"
#include "wormwatch/format.h"
#include "wormwatch/pipeline.h"
#include "wormwatch/probe.h"
#include "wormwatch/rules.h"

#define ERR_LEN 512

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

static struct human *human_new(const struct ww_cli *o)
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

static int read_inputs(const struct ww_cli *o, struct ww_pipeline *pipeline)
{
    char err[ERR_LEN];
    for (int i = 0; i < o->input_count && !ww_pipeline_stopped(pipeline); i++) {
        struct ww_capture *cap = ww_capture_open_file(o->inputs[i], err, sizeof err);
        if (!cap) {
            fprintf(stderr, "wormwatch: %s\n", err);
            return WW_EXIT_RUNTIME;
        }
        if (!ww_capture_set_filter(cap, o->filter, err, sizeof err)) {
            fprintf(stderr, "wormwatch: %s\n", err);
            ww_capture_close(cap);
            return WW_EXIT_RUNTIME;
        }
        bool ok = ww_pipeline_run_capture(pipeline, cap, err, sizeof err);
        ww_capture_close(cap);
        if (!ok) {
            fprintf(stderr, "wormwatch: %s\n", err);
            return WW_EXIT_RUNTIME;
        }
    }
    return EXIT_SUCCESS;
}

/* The capture files (or standard input) in turn, answering SIGHUP and SIGUSR1. */
static int read_files(const struct ww_cli *o, struct ww_pipeline *pipeline, struct human *human)
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
static struct ww_capture *open_live(const struct ww_cli *o, const struct ww_ruleset *rules)
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
static int read_live(const struct ww_cli *o, struct ww_pipeline *pipeline, struct ww_capture *cap,
                     bool first)
{
    char err[ERR_LEN];
    long interval = o->stats_interval >= 0 ? o->stats_interval : WW_CLI_STATS_INTERVAL;
    struct ww_live_control ctl = {.reopen = first ? &reopen_requested : NULL,
                                  .stats_requests = &stats_requests, .attention = &signals_caught,
                                  .stats_interval_ns = (uint64_t)interval * 1000000000ULL,
                                  .warn = warn_to_stderr};
    if (!ww_pipeline_run_live(pipeline, cap, &ctl, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        return WW_EXIT_RUNTIME;
    }
    return EXIT_SUCCESS;
}

/*
 * After the capture is open: the pid file, then the unprivileged user.
 * *pidfile_written says whether the file is ours to remove at the end (a
 * start that fails before writing it must not remove another instance's).
 */
static bool settle_process(const struct ww_cli *o, bool *pidfile_written)
{
    if (o->pidfile) {
        if (!write_pidfile(o->pidfile))
            return false;
        *pidfile_written = true;
    }
    return !o->user || drop_privileges(o->user, o->group);
}

/* Closes the output (its failure fails the run) and removes our pid file. */
static int end_run(const struct ww_cli *o, struct ww_output *out, bool pidfile_written, int rc)
{
    char err[ERR_LEN];
    if (!ww_output_close(out, err, sizeof err)) {
        fprintf(stderr, "wormwatch: %s\n", err);
        rc = WW_EXIT_RUNTIME;
    }
    if (pidfile_written)
        unlink(o->pidfile); /* may fail once privileges are gone; harmless */
    return rc;
}

/* --- workers -------------------------------------------------------------------- */

static struct ww_output *open_outputs(const struct ww_cli *o);

struct worker {
    int index;
    const struct ww_cli *options;
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
static bool open_worker_captures(const struct ww_cli *o, struct worker *w, long n,
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

static bool make_worker_pipelines(const struct ww_cli *o, struct worker *w, long n,
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

static int run_with_workers(const struct ww_cli *o, const struct ww_ruleset *rules)
{
    long n = o->workers;
    struct worker *w = calloc((size_t)n, sizeof *w);
    if (!w) {
        fprintf(stderr, "wormwatch: out of memory\n");
        return WW_EXIT_RUNTIME;
    }
    int rc = WW_EXIT_RUNTIME;
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

static struct ww_output *open_outputs(const struct ww_cli *o)
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

static int run(const struct ww_cli *o, const struct ww_ruleset *rules)
{
    if (o->workers > 1)
        return run_with_workers(o, rules);
    char err[ERR_LEN];
    int rc = WW_EXIT_RUNTIME;
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
static int run_options(struct ww_cli *o)
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
        return WW_EXIT_RUNTIME;
    }
    if ((rc = ww_cli_check_filter(o)) >= 0)
        return rc;
    static struct ww_ruleset rules; /* large; read-only once loaded */
    if ((rc = ww_cli_load_rules(o, &rules)) >= 0)
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
    struct ww_cli o = {0};
    int rc = ww_cli_parse(argc, argv, &o);
    if (rc < 0)
        rc = run_options(&o);
    free(o.filter);
    return rc;
}
