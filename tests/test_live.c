/*
 * Live tests: the wormwatch binary capturing on the loopback interface while
 * this test makes real TCP connection attempts between 127.0.0.x addresses
 * (nothing listens on port 445 there: the kernel answers each SYN with a
 * RST), driven by SIGHUP, SIGUSR1 and SIGTERM; and its Unix socket outputs
 * read by real consumers: Debian's fever EVE router on unix-stream, and a
 * datagram socket bound here on unix-dgram.
 *
 * Needs root (capture, -u nobody): exits 77 (skipped) when not root or when
 * `lo` cannot be captured. Sends nothing outside 127.0.0.0/8. Runs in
 * different build trees are serialised with a lock file: two at once would
 * see each other's scans on lo.
 */
#define _DEFAULT_SOURCE /* flock(), timegm(); the BSD types pcap.h uses */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e_util.h"

#define MAX_ARGS 32
#define MAX_CHILDREN 8
#define MAX_DIRS 8
#define WAIT_S 5.0 /* the longest any single step may take */

#define SID_COUNT 1000001      /* fan-out: 10 failed targets */
#define SID_SEQUENTIAL 1000004 /* the sequential test: 4 failed first contacts */

/* ---- time ----------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Waits for readable data on fd; false after `ms` milliseconds. */
static bool readable(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc;
    while ((rc = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
        ;
    return rc == 1;
}

/* ---- children and temporary directories, cleaned up even after a failure -- */

struct proc {
    pid_t pid;
    int out_fd, err_fd; /* spill files of its stdout and stderr */
    const char *name;
};

static pid_t children[MAX_CHILDREN];
static char dirs[MAX_DIRS][64];
static int dir_count;

/* Starts argv[0] (searched in PATH), stdin from /dev/null, stdout and stderr to spill files. */
static struct proc start_argv(const char *const *argv)
{
    struct proc p = {.out_fd = spill_file(), .err_fd = spill_file(), .name = argv[0]};
    p.pid = fork();
    assert_true(p.pid >= 0);
    if (p.pid == 0) {
        dup2(p.out_fd, STDOUT_FILENO);
        dup2(p.err_fd, STDERR_FILENO);
        int in = open("/dev/null", O_RDONLY);
        dup2(in, STDIN_FILENO);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (!children[i]) {
            children[i] = p.pid;
            return p;
        }
    fail_msg("more than %d children", MAX_CHILDREN);
    return p;
}

/* Starts wormwatch with the NULL-terminated arguments. */
static struct proc start_wormwatch(const char *first, ...)
{
    const char *argv[MAX_ARGS] = {WW_BINARY};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(argc < MAX_ARGS - 1);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    return start_argv(argv);
}

static void forget_child(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

/* What the child wrote on stderr so far; free() it. */
static char *stderr_of(const struct proc *p)
{
    lseek(p->err_fd, 0, SEEK_SET);
    return slurp_fd(p->err_fd);
}

/* Whether the child is still running (a child that exited is reaped and reported). */
static void assert_running(struct proc *p)
{
    int status;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
        forget_child(p->pid);
        char *err = stderr_of(p);
        fail_msg("%s exited early (status %d): %s", p->name, status, err);
    }
}

/* Sends `sig` (0: none) and waits at most WAIT_S for the exit; the exit code, -1 if killed. */
static int stop(struct proc *p, int sig)
{
    if (sig)
        kill(p->pid, sig);
    double deadline = now_s() + WAIT_S;
    int status = 0;
    pid_t r;
    while ((r = waitpid(p->pid, &status, WNOHANG)) == 0 && now_s() < deadline)
        sleep_ms(10);
    forget_child(p->pid);
    if (r != p->pid) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
        fail_msg("%s did not exit within %.0f s", p->name, WAIT_S);
    }
    close(p->out_fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The child's stderr must be empty; closes it. */
static void assert_quiet(struct proc *p)
{
    char *err = stderr_of(p);
    close(p->err_fd);
    if (*err)
        fail_msg("%s wrote on stderr: %s", p->name, err);
    free(err);
}

/* A fresh directory under /tmp that anyone (the user nobody) can write into. */
static const char *make_dir(void)
{
    assert_true(dir_count < MAX_DIRS);
    char *d = dirs[dir_count];
    snprintf(d, sizeof dirs[0], "/tmp/wwlive.XXXXXX");
    assert_non_null(mkdtemp(d));
    assert_int_equal(chmod(d, 0777), 0);
    dir_count++;
    return d;
}

static void remove_dir(const char *d)
{
    DIR *dir = opendir(d);
    if (!dir)
        return;
    char path[sizeof dirs[0] + sizeof ((struct dirent *)0)->d_name + 2];
    for (struct dirent *e; (e = readdir(dir));) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            unlink(path);
        }
    }
    closedir(dir);
    rmdir(d);
}

/* Teardown of every test: no child left running, no directory left behind. */
static int clean_up(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i]) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
    for (int i = 0; i < dir_count; i++)
        remove_dir(dirs[i]);
    dir_count = 0;
    return 0;
}

/* ---- EVE files ------------------------------------------------------------- */

/*
 * The events in an EVE file, as a JSON array. `whole`: the writer is done,
 * so every line must be one whole JSON object and the last one ended; else
 * (polling a file being written) an unended last line is left for later.
 */
static json_t *read_events(const char *path, bool whole)
{
    json_t *events = json_array();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (!whole && errno == ENOENT)
            return events;
        fail_msg("%s: %s", path, strerror(errno));
    }
    char *text = slurp_fd(fd);
    close(fd);
    size_t len = strlen(text);
    if (whole && len > 0 && text[len - 1] != '\n')
        fail_msg("%s: the last line is not ended: %s", path, strrchr(text, '\n'));
    char *line = text;
    for (char *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        json_error_t jerr;
        json_t *e = json_loads(line, 0, &jerr);
        if (!json_is_object(e))
            fail_msg("%s: not a whole JSON object: '%s' (%s)", path, line, jerr.text);
        json_array_append_new(events, e);
    }
    free(text);
    return events;
}

/* Whether an event is of `type`, from `src`, with `sid` (NULL or 0: any). */
static bool event_is(json_t *e, const char *type, const char *src, long long sid)
{
    json_t *t = json_object_get(e, "event_type"), *s = json_object_get(e, "src_ip");
    json_t *id = value_at(e, "alert.signature_id");
    return (!type || (json_is_string(t) && !strcmp(json_string_value(t), type))) &&
           (!src || (json_is_string(s) && !strcmp(json_string_value(s), src))) &&
           (!sid || (json_is_integer(id) && json_integer_value(id) == sid));
}

/* The first such event, or NULL. */
static json_t *find_event(json_t *events, const char *type, const char *src, long long sid)
{
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) if (event_is(e, type, src, sid)) return e;
    return NULL;
}

static size_t count_events(json_t *events, const char *type, const char *src)
{
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(events, i, e) n += event_is(e, type, src, 0);
    return n;
}

/* Waits until `path` exists (the child opens its outputs once the capture is open). */
static void wait_for_file(struct proc *p, const char *path)
{
    struct stat st;
    for (double deadline = now_s() + WAIT_S; stat(path, &st) != 0; sleep_ms(10)) {
        assert_running(p);
        if (now_s() > deadline)
            fail_msg("%s did not appear within %.0f s", path, WAIT_S);
    }
}

/* Waits until `path` holds both scan alerts for `src`; returns its events. */
static json_t *wait_for_scan_alerts(struct proc *p, const char *path, const char *src)
{
    for (double deadline = now_s() + WAIT_S;; sleep_ms(20)) {
        json_t *events = read_events(path, false);
        if (find_event(events, "alert", src, SID_SEQUENTIAL) &&
            find_event(events, "alert", src, SID_COUNT))
            return events;
        json_decref(events);
        assert_running(p);
        if (now_s() > deadline)
            fail_msg("no alerts of both rules for %s in %s within %.0f s", src, path, WAIT_S);
    }
}

/* Waits until `path` holds `n` stats events: its events, or NULL after `seconds`. */
static json_t *wait_for_stats(struct proc *p, const char *path, size_t n, double seconds)
{
    for (double deadline = now_s() + seconds;; sleep_ms(5)) {
        json_t *events = read_events(path, false);
        if (count_events(events, "stats", NULL) >= n)
            return events;
        json_decref(events);
        assert_running(p);
        if (now_s() > deadline)
            return NULL;
    }
}

/* An inotify descriptor watching `dir` for files being created. */
static int watch_creations(const char *dir)
{
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    assert_true(fd >= 0);
    assert_true(inotify_add_watch(fd, dir, IN_CREATE) >= 0);
    return fd;
}

/* Waits (at most WAIT_S) until the watched directory has a file `name` created in it. */
static void wait_for_creation(int watch, struct proc *p, const char *name)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (double deadline = now_s() + WAIT_S; now_s() < deadline;) {
        assert_running(p);
        if (!readable(watch, 10))
            continue;
        ssize_t n = read(watch, buf, sizeof buf);
        for (ssize_t at = 0; n > 0 && at < n;) {
            const struct inotify_event *e = (const struct inotify_event *)(buf + at);
            if (e->len && !strcmp(e->name, name))
                return;
            at += (ssize_t)(sizeof *e + e->len);
        }
    }
    fail_msg("%s was not created within %.0f s", name, WAIT_S);
}

/* An EVE timestamp ("2026-01-02T03:04:05.123456+0000") within a minute of now. */
static void assert_recent(const char *stamp)
{
    struct tm tm = {0};
    int usec;
    if (sscanf(stamp, "%4d-%2d-%2dT%2d:%2d:%2d.%6d+0000", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec) != 7)
        fail_msg("timestamp '%s' is not EVE's format", stamp);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    double age = difftime(time(NULL), timegm(&tm));
    if (age < -60 || age > 60)
        fail_msg("timestamp %s is not the time of capture (%.0f s away)", stamp, age);
}

/* ---- loopback traffic ------------------------------------------------------ */

/* 127.0.0.N, N from 1 to 254: never the network, never a broadcast, never outside lo. */
static struct in_addr loopback(int n)
{
    assert_true(n >= 1 && n <= 254);
    return (struct in_addr){htonl(0x7f000000u | (uint32_t)n)};
}

/*
 * Real TCP connection attempts from 127.0.0.SRC to port 445 of 127.0.0.FIRST
 * to 127.0.0.LAST, non-blocking, in order. Each must be refused: the kernel's
 * RST, as nothing listens there (else the scan would not be a failing one).
 */
static void scan(int src, int first, int last)
{
    int fds[256];
    bool refused[256];
    int n = 0;
    assert_true(last - first < 256);
    for (int t = first; t <= last; t++, n++) {
        fds[n] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(fds[n] >= 0);
        struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr = loopback(src)};
        assert_int_equal(bind(fds[n], (struct sockaddr *)&from, sizeof from), 0);
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(445),
                                 .sin_addr = loopback(t)};
        if (connect(fds[n], (struct sockaddr *)&to, sizeof to) == 0)
            fail_msg("127.0.0.%d:445 accepted: something listens on port 445", t);
        if (errno != EINPROGRESS && errno != ECONNREFUSED)
            fail_msg("connect to 127.0.0.%d:445: %s", t, strerror(errno));
        refused[n] = errno == ECONNREFUSED;
    }
    for (int i = 0; i < n; i++) {
        if (!refused[i]) {
            struct pollfd pfd = {.fd = fds[i], .events = POLLOUT};
            assert_int_equal(poll(&pfd, 1, 2000), 1);
            int err = 0;
            socklen_t len = sizeof err;
            assert_int_equal(getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len), 0);
            if (err != ECONNREFUSED)
                fail_msg("127.0.0.%d:445: %s, not refused", first + i,
                         err ? strerror(err) : "connected");
        }
        close(fds[i]);
    }
}

/* The two alerts on `src`'s scan of 80 addresses, as a live sensor on lo reports them. */
static void assert_scan_alerts(json_t *events, const char *src, const char *host)
{
    assert_int_equal(count_events(events, "alert", src), 2); /* one per rule, then suppressed */
    json_t *seq = find_event(events, "alert", src, SID_SEQUENTIAL);
    json_t *count = find_event(events, "alert", src, SID_COUNT);
    json_t *both[] = {seq, count};
    for (size_t i = 0; i < 2; i++) {
        json_t *a = both[i];
        assert_string_equal(str_at(a, "src_ip"), src);
        assert_true(strncmp(str_at(a, "dest_ip"), "127.0.0.", 8) == 0);
        assert_int_equal(int_at(a, "dest_port"), 445);
        assert_string_equal(str_at(a, "proto"), "TCP");
        assert_true(strncmp(str_at(a, "community_id"), "1:", 2) == 0);
        assert_int_equal(strlen(str_at(a, "community_id")), 30); /* 1: + base64 of SHA-1 */
        assert_string_equal(str_at(a, "in_iface"), "lo");
        assert_string_equal(str_at(a, "host"), host);
        assert_int_equal(int_at(a, "scan.dest_port"), 445);
        assert_recent(str_at(a, "timestamp"));
    }
    assert_int_equal(int_at(seq, "trw.failures"), 4);
    assert_int_equal(int_at(seq, "scan.targets"), 4);
    assert_int_equal(int_at(count, "scan.targets"), 10);
    assert_int_equal(json_array_size(value_at(count, "scan.sample_targets")), 10);
}

static void assert_owned_by_nobody(const char *path)
{
    struct passwd *pw = getpwnam("nobody");
    assert_non_null(pw);
    assert_int_equal(pw->pw_uid, 65534);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if (st.st_uid != pw->pw_uid)
        fail_msg("%s is owned by uid %u, not nobody", path, (unsigned)st.st_uid);
}

/* ---- Unix sockets ------------------------------------------------------------ */

static struct sockaddr_un unix_address(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof a.sun_path);
    memcpy(a.sun_path, path, strlen(path));
    return a;
}

/* A socket bound at `path`: a listening stream socket, or a datagram socket to read. */
static int bind_unix(const char *path, int type)
{
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a = unix_address(path);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 4), 0);
    return fd;
}

static bool can_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un a = unix_address(path);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Reads a stream until it has sent `lines` newlines, or until `ms` pass; free() it. */
static char *read_lines(int fd, size_t lines, int ms)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    for (double deadline = now_s() + ms / 1000.0; line_count(buf) < lines;) {
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0 || !readable(fd, left))
            break;
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        assert_true(len < cap - 1);
    }
    return buf;
}

/* One datagram as a JSON event: it must be whole, one line ended by its newline. */
static json_t *receive_event(int fd, int ms)
{
    if (!readable(fd, ms))
        return NULL;
    char buf[65536];
    struct iovec iov = {buf, sizeof buf - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(fd, &msg, 0);
    assert_true(n > 0);
    assert_false(msg.msg_flags & MSG_TRUNC);
    buf[n] = '\0';
    if (buf[n - 1] != '\n' || strchr(buf, '\n') != buf + n - 1)
        fail_msg("a datagram is not one line ended by a newline: '%s'", buf);
    json_error_t jerr;
    json_t *e = json_loads(buf, 0, &jerr);
    if (!json_is_object(e))
        fail_msg("a datagram is not a whole JSON object: '%s' (%s)", buf, jerr.text);
    return e;
}

/* ---- 1. live on lo: scan, logrotate + SIGHUP, SIGTERM ------------------------ */

static void test_live_scan_rotate_and_stop(void **state)
{
    (void)state;
    const char *dir = make_dir();
    char file[128], rotated[128];
    snprintf(file, sizeof file, "%s/eve.json", dir);
    snprintf(rotated, sizeof rotated, "%s/eve.json.1", dir);
    struct proc ww = start_wormwatch("-i", "lo", "-o", file, "-u", "nobody", "--sensor-name",
                                     "live-test", "--stats-interval", "0", NULL);
    wait_for_file(&ww, file); /* the output is opened once the capture is open */

    scan(5, 10, 89);
    json_t *events = wait_for_scan_alerts(&ww, file, "127.0.0.5");
    assert_scan_alerts(events, "127.0.0.5", "live-test");
    json_decref(events);

    /* As logrotate does: rename, then SIGHUP; wormwatch (now nobody) creates FILE anew. */
    assert_int_equal(rename(file, rotated), 0);
    assert_int_equal(kill(ww.pid, SIGHUP), 0);
    wait_for_file(&ww, file);
    assert_owned_by_nobody(file);
    assert_owned_by_nobody(rotated);

    scan(6, 100, 179);
    events = wait_for_scan_alerts(&ww, file, "127.0.0.6");
    assert_scan_alerts(events, "127.0.0.6", "live-test");
    assert_int_equal(count_events(events, NULL, "127.0.0.5"), 0);
    json_decref(events);
    events = read_events(rotated, false);
    assert_int_equal(count_events(events, NULL, "127.0.0.6"), 0);
    json_decref(events);

    assert_int_equal(stop(&ww, SIGTERM), 0);
    assert_quiet(&ww);
    json_t *before = read_events(rotated, true), *after = read_events(file, true);
    assert_int_equal(json_array_size(before), 2); /* no stats: --stats-interval 0 */
    assert_int_equal(json_array_size(after), 3);  /* two alerts, then the stats at exit */
    json_t *stats = json_array_get(after, 2);
    assert_string_equal(str_at(stats, "event_type"), "stats");
    assert_string_equal(str_at(stats, "in_iface"), "lo");
    assert_string_equal(str_at(stats, "host"), "live-test");
    assert_recent(str_at(stats, "timestamp"));
    assert_true(int_at(stats, "stats.capture.kernel_packets") > 0);
    assert_int_equal(int_at(stats, "stats.capture.kernel_drops"), 0);
    assert_int_equal(int_at(stats, "stats.alerts"), 4);
    assert_true(int_at(stats, "stats.probes.rejected") >= 160);
    assert_int_equal(int_at(stats, "stats.output.events_written"), 4);
    assert_int_equal(int_at(stats, "stats.output.events_lost"), 0);
    assert_string_equal(str_at(stats, "stats.output.sinks.0.name"), file);
    assert_int_equal(int_at(stats, "stats.output.sinks.0.reopens"), 1);
    assert_int_equal(int_at(stats, "stats.output.sinks.0.written"), 4);
    assert_int_equal(int_at(stats, "stats.output.sinks.0.lost"), 0);
    json_decref(before);
    json_decref(after);
}

/*
 * A user filter longer than 2 KiB once reached libpcap cut at 2047 bytes (a
 * syntax error, or worse another filter). Its last clause matters: the scan
 * is only seen if the whole expression arrives.
 */
static void test_live_long_filter_reaches_libpcap_whole(void **state)
{
    (void)state;
    const char *dir = make_dir();
    char file[128], filter[4096] = "(tcp port 80";
    snprintf(file, sizeof file, "%s/eve.json", dir);
    while (strlen(filter) < 3000)
        strcat(filter, " or tcp port 80");
    strcat(filter, ") or tcp port 445");
    struct proc ww = start_wormwatch("-i", "lo", "-o", file, "--stats-interval", "0", filter, NULL);
    wait_for_file(&ww, file);
    scan(8, 190, 209);
    json_t *events = wait_for_scan_alerts(&ww, file, "127.0.0.8");
    assert_int_equal(count_events(events, "alert", "127.0.0.8"), 2);
    json_decref(events);
    assert_int_equal(stop(&ww, SIGTERM), 0);
    assert_quiet(&ww);
}

/* ---- 2. SIGUSR1: a stats event at once -------------------------------------- */

static void test_live_sigusr1_writes_stats_at_once(void **state)
{
    (void)state;
    const char *dir = make_dir();
    char file[128];
    snprintf(file, sizeof file, "%s/eve.json", dir);
    int watch = watch_creations(dir);
    /* Tables of 512M take wormwatch a moment to set up once its output is open. */
    struct proc ww = start_wormwatch("-i", "lo", "-o", file, "--sensor-name", "live-usr1",
                                     "--stats-interval", "0", "-m", "512M", NULL);
    /*
     * The first request comes the moment the output exists: the capture is
     * open and the signal handlers are in place, so it must be answered,
     * even if the capture loop has not started yet.
     */
    wait_for_creation(watch, &ww, "eve.json");
    close(watch);
    double asked = now_s();
    assert_int_equal(kill(ww.pid, SIGUSR1), 0);
    /* At once: the signal cuts the capture's 250 ms wait short; 1 s leaves room for load. */
    json_t *events = wait_for_stats(&ww, file, 1, 1.0);
    if (!events) {
        assert_int_equal(kill(ww.pid, SIGUSR1), 0);
        events = wait_for_stats(&ww, file, 1, 1.0);
        bool second_answered = events != NULL;
        json_decref(events);
        fail_msg("no stats event within 1 s of a SIGUSR1 sent once the output was open; %s",
                 second_answered ? "a second SIGUSR1 was answered: the first request was lost"
                                 : "nor of a second one");
    }
    double took = now_s() - asked;
    assert_int_equal(count_events(events, "stats", NULL), 1); /* no timer: only when asked */
    json_t *stats = find_event(events, "stats", NULL, 0);
    assert_string_equal(str_at(stats, "in_iface"), "lo");
    assert_string_equal(str_at(stats, "host"), "live-usr1");
    assert_recent(str_at(stats, "timestamp"));
    assert_true(json_is_object(value_at(stats, "stats.capture")));
    assert_int_equal(int_at(stats, "stats.files"), 1);
    json_decref(events);

    /* And once it has been running a while. */
    sleep_ms(300);
    double again = now_s();
    assert_int_equal(kill(ww.pid, SIGUSR1), 0);
    events = wait_for_stats(&ww, file, 2, 1.0);
    if (!events)
        fail_msg("no stats event within 1 s of a SIGUSR1 sent to a running capture");
    double took_again = now_s() - again;
    json_decref(events);

    assert_int_equal(stop(&ww, SIGTERM), 0);
    assert_quiet(&ww);
    events = read_events(file, true);
    assert_int_equal(count_events(events, "stats", NULL), 3); /* SIGUSR1's two, the exit's */
    json_decref(events);
    print_message("SIGUSR1 to stats event: %.0f ms at start, %.0f ms running\n", took * 1000,
                  took_again * 1000);
}

/* ---- 3. Unix socket outputs, read by real consumers ------------------------- */

static bool in_path(const char *name)
{
    const char *path = getenv("PATH");
    char dir[4096], file[4200];
    snprintf(dir, sizeof dir, "%s", path ? path : "/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(dir, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(file, sizeof file, "%s/%s", d, name);
        if (access(file, X_OK) == 0)
            return true;
    }
    return false;
}

/*
 * fever (DCSO's EVE router, Debian package `fever`) listens on a Unix stream
 * socket for Suricata's EVE output (its input.socket), parses each line
 * (event_type, addresses, ports, timestamp) and forwards events by their
 * parsed event_type: its multi-forward outputs are Unix stream sockets it
 * connects to, each with the event types it takes. Two outputs, one for
 * "alert" and one for "stats", show both that it received every event and
 * that it parsed each one's type: an event reaches the alert socket only if
 * fever read "alert" in it. Its forwarded lines are the received lines as
 * they were, so they are compared with the file output byte for byte.
 *
 * Forwarding is configured as multi-forward outputs with a buffer-length:
 * with fever 1.3.5's command-line forwarding (-o SOCKET) only 1 to 3 of the
 * 3 events of a run came through, varying from run to run (its default
 * forwarder seems to get no buffer, and to drop what comes while it is
 * busy); buffered outputs forwarded every one of hundreds. Its input buffer
 * is set and buffer-drop off for the same reason.
 * No database, metrics, passive DNS or flow reports: nothing leaves the
 * machine (--dummy as well), and its management socket is in our directory.
 */
static void test_fever_receives_and_parses_stream_events(void **state)
{
    (void)state;
    if (!in_path("fever"))
        fail_msg("fever is not installed: apt-get install fever (tests/run-all.sh does)");
    const char *dir = make_dir();
    char in[128], alerts[128], stats[128], mgmt[128], config[128], file[128], sink[160];
    snprintf(in, sizeof in, "%s/in.sock", dir);
    snprintf(alerts, sizeof alerts, "%s/alerts.sock", dir);
    snprintf(stats, sizeof stats, "%s/stats.sock", dir);
    snprintf(mgmt, sizeof mgmt, "%s/mgmt.sock", dir);
    snprintf(config, sizeof config, "%s/fever.yaml", dir);
    snprintf(file, sizeof file, "%s/eve.json", dir);
    snprintf(sink, sizeof sink, "unix-stream:%s", in);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f,
            "input:\n  socket: %s\n  buffer: 1000\n  buffer-length: 1000\n  buffer-drop: false\n"
            "multi-forward:\n"
            "  alerts:\n    socket: %s\n    all: false\n    buffer-length: 100\n"
            "    types:\n      - alert\n"
            "  stats:\n    socket: %s\n    all: false\n    buffer-length: 100\n"
            "    types:\n      - stats\n"
            "database:\n  enable: false\nmetrics:\n  enable: false\npdns:\n  enable: false\n"
            "flowreport:\n  interval: 0s\nheartbeat:\n  enable: false\n"
            "mgmt:\n  socket: %s\n",
            in, alerts, stats, mgmt);
    assert_int_equal(fclose(f), 0);

    /* fever connects to its outputs when it starts: they must be listening first. */
    int alerts_listen = bind_unix(alerts, SOCK_STREAM), stats_listen = bind_unix(stats, SOCK_STREAM);
    const char *argv[] = {"fever", "run", "--config", config, "--dummy", "--mgmt-socket", mgmt,
                          "--verbose", NULL};
    struct proc fever = start_argv(argv);
    int alerts_fd = -1, stats_fd = -1;
    for (double deadline = now_s() + WAIT_S; alerts_fd < 0 || stats_fd < 0; sleep_ms(10)) {
        assert_running(&fever);
        if (now_s() > deadline)
            fail_msg("fever did not connect to its outputs within %.0f s", WAIT_S);
        if (alerts_fd < 0 && readable(alerts_listen, 0))
            alerts_fd = accept(alerts_listen, NULL, NULL);
        if (stats_fd < 0 && readable(stats_listen, 0))
            stats_fd = accept(stats_listen, NULL, NULL);
    }
    for (double deadline = now_s() + WAIT_S; !can_connect(in); sleep_ms(20)) {
        assert_running(&fever);
        if (now_s() > deadline)
            fail_msg("fever did not listen on %s within %.0f s", in, WAIT_S);
    }

    struct proc ww = start_wormwatch("--sensor-name", "fever-test", "-r",
                                     WW_PCAPS "/conficker_lan.pcap", "-o", sink, "-o", file, NULL);
    assert_int_equal(stop(&ww, 0), 0);
    assert_quiet(&ww);
    json_t *events = read_events(file, true);
    assert_int_equal(json_array_size(events), 3); /* two alerts, then stats */
    json_t *last = json_array_get(events, 2);
    assert_string_equal(str_at(last, "stats.output.sinks.0.name"), sink);
    assert_int_equal(int_at(last, "stats.output.sinks.0.connects"), 1);
    assert_int_equal(int_at(last, "stats.output.sinks.0.written"), 2);
    assert_int_equal(int_at(last, "stats.output.sinks.0.lost"), 0);

    char *alert_lines = read_lines(alerts_fd, 2, 5000);
    char *stats_lines = read_lines(stats_fd, 1, 5000);
    /* Nothing more comes: the stats event did not go to the alert output, nor the reverse. */
    char *more_alerts = read_lines(alerts_fd, 1, 300), *more_stats = read_lines(stats_fd, 1, 10);
    stop(&fever, SIGTERM); /* fever exits 1 on SIGTERM, by design */
    close(fever.err_fd);

    char *text = slurp_path(file);
    char *stats_line = strchr(strchr(text, '\n') + 1, '\n') + 1;
    assert_int_equal(line_count(alert_lines), 2);
    assert_int_equal(strlen(alert_lines), (size_t)(stats_line - text));
    assert_memory_equal(alert_lines, text, strlen(alert_lines)); /* the same two lines */
    assert_string_equal(stats_lines, stats_line);
    assert_string_equal(more_alerts, "");
    assert_string_equal(more_stats, "");
    /* And the same JSON objects, parsed back. */
    json_t *forwarded = json_loads(alert_lines, JSON_DISABLE_EOF_CHECK, NULL);
    assert_true(json_equal(forwarded, json_array_get(events, 0)));
    json_decref(forwarded);

    free(text);
    free(alert_lines);
    free(stats_lines);
    free(more_alerts);
    free(more_stats);
    json_decref(events);
    close(alerts_fd);
    close(stats_fd);
    close(alerts_listen);
    close(stats_listen);
}

/* unix-dgram: every datagram one whole event, the same as the file's lines. */
static void test_unix_dgram_one_event_per_datagram(void **state)
{
    (void)state;
    const char *dir = make_dir();
    char path[128], file[128], sink[160];
    snprintf(path, sizeof path, "%s/eve.sock", dir);
    snprintf(file, sizeof file, "%s/eve.json", dir);
    snprintf(sink, sizeof sink, "unix-dgram:%s", path);
    int reader = bind_unix(path, SOCK_DGRAM);
    struct proc ww = start_wormwatch("--sensor-name", "dgram-test", "-r",
                                     WW_PCAPS "/conficker_lan.pcap", "-o", sink, "-o", file, NULL);
    assert_int_equal(stop(&ww, 0), 0);
    assert_quiet(&ww);
    json_t *events = read_events(file, true);
    assert_int_equal(json_array_size(events), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *e = receive_event(reader, 1000);
        if (!e)
            fail_msg("datagram %zu of 3 did not come", i + 1);
        assert_true(json_equal(e, json_array_get(events, i)));
        json_decref(e);
    }
    assert_null(receive_event(reader, 100));
    json_t *stats = json_array_get(events, 2);
    assert_string_equal(str_at(stats, "stats.output.sinks.0.name"), sink);
    assert_int_equal(int_at(stats, "stats.output.sinks.0.connects"), 1);
    assert_int_equal(int_at(stats, "stats.output.sinks.0.written"), 2);
    assert_int_equal(int_at(stats, "stats.output.sinks.0.lost"), 0);
    json_decref(events);
    close(reader);
}

/*
 * A reader that appears late: wormwatch (live on lo, so the run lasts long
 * enough for the once-a-second reconnection) runs on without it, counts the
 * events it could not deliver, and connects once the reader is there.
 */
static void test_unix_dgram_reader_appears_late(void **state)
{
    (void)state;
    const char *dir = make_dir();
    char path[128], file[128], sink[160];
    snprintf(path, sizeof path, "%s/eve.sock", dir);
    snprintf(file, sizeof file, "%s/eve.json", dir);
    snprintf(sink, sizeof sink, "unix-dgram:%s", path);
    struct proc ww = start_wormwatch("-i", "lo", "-o", sink, "-o", file, "--sensor-name",
                                     "late-reader", "--stats-interval", "0", NULL);
    wait_for_file(&ww, file);

    scan(7, 20, 29); /* 10 targets: both alerts, with nobody reading the socket */
    json_t *events = wait_for_scan_alerts(&ww, file, "127.0.0.7");
    assert_scan_alerts(events, "127.0.0.7", "late-reader");
    json_decref(events);
    assert_running(&ww);

    int reader = bind_unix(path, SOCK_DGRAM);
    sleep_ms(1200); /* past the once-a-second limit on reconnection attempts */
    assert_int_equal(kill(ww.pid, SIGUSR1), 0);
    json_t *first = receive_event(reader, 3000);
    if (!first)
        fail_msg("wormwatch did not connect to the reader within 3 s of SIGUSR1");
    /* Taken before it was sent: the two alerts lost, not yet connected. */
    assert_string_equal(str_at(first, "event_type"), "stats");
    assert_int_equal(int_at(first, "stats.output.sinks.0.lost"), 2);
    assert_int_equal(int_at(first, "stats.output.sinks.0.written"), 0);
    assert_int_equal(int_at(first, "stats.output.sinks.0.connects"), 0);
    assert_int_equal(int_at(first, "stats.output.events_lost"), 2);
    assert_int_equal(int_at(first, "stats.output.sinks.1.written"), 2); /* the file had them */

    assert_int_equal(stop(&ww, SIGTERM), 0);
    assert_quiet(&ww);
    json_t *final = receive_event(reader, 1000);
    if (!final)
        fail_msg("the stats event at exit did not come");
    assert_int_equal(int_at(final, "stats.output.sinks.0.connects"), 1);
    assert_int_equal(int_at(final, "stats.output.sinks.0.written"), 1);
    assert_int_equal(int_at(final, "stats.output.sinks.0.lost"), 2);
    assert_null(receive_event(reader, 100));

    events = read_events(file, true);
    assert_int_equal(json_array_size(events), 4); /* two alerts, two stats */
    assert_true(json_equal(first, json_array_get(events, 2)));
    assert_true(json_equal(final, json_array_get(events, 3)));
    json_decref(events);
    json_decref(first);
    json_decref(final);
    close(reader);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_live: skipped: needs root (live capture on lo, -u nobody)\n");
        return 77;
    }
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *lo = pcap_open_live("lo", 96, 0, 100, err);
    if (!lo) {
        fprintf(stderr, "test_live: skipped: cannot capture on lo: %s\n", err);
        return 77;
    }
    pcap_close(lo);
    /* One run at a time on this machine, whatever the build tree (ctest's
       RESOURCE_LOCK only covers the tests of one run). */
    int lock = open("/tmp/wormwatch-loopback-tests.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock >= 0)
        flock(lock, LOCK_EX);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_live_scan_rotate_and_stop, clean_up),
        cmocka_unit_test_teardown(test_live_long_filter_reaches_libpcap_whole, clean_up),
        cmocka_unit_test_teardown(test_live_sigusr1_writes_stats_at_once, clean_up),
        cmocka_unit_test_teardown(test_fever_receives_and_parses_stream_events, clean_up),
        cmocka_unit_test_teardown(test_unix_dgram_one_event_per_datagram, clean_up),
        cmocka_unit_test_teardown(test_unix_dgram_reader_appears_late, clean_up),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (lock >= 0)
        close(lock);
    return rc;
}
