/*
 * Signals while wormwatch reads a slow pipe (`tcpdump -w - | wormwatch -r -`):
 * SIGHUP (logrotate) and SIGUSR1 arrive while its read is blocked, and the
 * run must go on to the end of the stream. The alerts must equal those of a
 * quiet run over the same capture; each SIGUSR1 adds one stats event, and
 * SIGHUP moves the output to a new file at the same path.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e_util.h"

#define CAPTURE WW_PCAPS "/conficker_lan.pcap"
#define CHUNKS 20

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

/* The alert lines of an EVE text, in order, joined by newlines; free() it. */
static char *alert_lines(const char *eve)
{
    char *out = calloc(1, strlen(eve) + 1);
    assert_non_null(out);
    for (const char *line = eve; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (strstr(line, "\"event_type\":\"alert\"") &&
            strstr(line, "\"event_type\":\"alert\"") < line + len)
            strncat(out, line, len);
        line += len;
    }
    return out;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Runs wormwatch on the capture through a pipe, fed in chunks; signals between chunks. */
static int piped_run(const char *out_path, const char *rotated_path, bool signals)
{
    char *capture = slurp_path(CAPTURE);
    FILE *f = fopen(CAPTURE, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t size = (size_t)ftell(f);
    fclose(f);
    int in[2], err_fd = spill_file();
    assert_int_equal(pipe(in), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(err_fd, STDERR_FILENO);
        close(in[1]);
        execl(WW_BINARY, WW_BINARY, "--sensor-name", "e2e", "-r", "-", "-o", out_path,
              (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    size_t step = size / CHUNKS + 1;
    for (size_t done = 0, chunk = 0; done < size; chunk++) {
        size_t n = size - done < step ? size - done : step;
        assert_int_equal(write(in[1], capture + done, n), (ssize_t)n);
        done += n;
        if (!signals)
            continue;
        sleep_ms(60); /* it has read the chunk and blocks on the pipe again */
        if (chunk == 5) {
            assert_int_equal(rename(out_path, rotated_path), 0);
            kill(pid, SIGHUP);
        } else if (chunk == 3 || chunk == 12) {
            kill(pid, SIGUSR1);
        }
    }
    close(in[1]);
    free(capture);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    lseek(err_fd, 0, SEEK_SET);
    char *err = slurp_fd(err_fd);
    close(err_fd);
    assert_string_equal(err, ""); /* no "Interrupted system call" */
    free(err);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_signals_on_a_slow_pipe_lose_nothing(void **state)
{
    (void)state;
    char dir[] = "/tmp/ww-signals-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char quiet[512], noisy[512], rotated[512];
    snprintf(quiet, sizeof quiet, "%s/quiet.json", dir);
    snprintf(noisy, sizeof noisy, "%s/eve.json", dir);
    snprintf(rotated, sizeof rotated, "%s/eve.json.1", dir);

    assert_int_equal(piped_run(quiet, NULL, false), 0);
    assert_int_equal(piped_run(noisy, rotated, true), 0);

    char *q = slurp_path(quiet), *before = slurp_path(rotated), *after = slurp_path(noisy);
    size_t both_len = strlen(before) + strlen(after) + 1;
    char *both = malloc(both_len);
    assert_non_null(both);
    snprintf(both, both_len, "%s%s", before, after);
    char *quiet_alerts = alert_lines(q), *noisy_alerts = alert_lines(both);
    assert_true(count_of(quiet_alerts, "\n") >= 2);
    assert_string_equal(noisy_alerts, quiet_alerts);
    /* One stats event at the end of the quiet run; two more, one per SIGUSR1. */
    assert_int_equal(count_of(q, "\"event_type\":\"stats\""), 1);
    assert_int_equal(count_of(both, "\"event_type\":\"stats\""), 3);
    /* The first SIGUSR1 (chunk 3) answered before the rotation, the second after. */
    assert_int_equal(count_of(before, "\"event_type\":\"stats\""), 1);
    assert_true(strlen(after) > 0);
    free(quiet_alerts);
    free(noisy_alerts);
    free(both);
    free(q);
    free(before);
    free(after);
    unlink(quiet);
    unlink(noisy);
    unlink(rotated);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signals_on_a_slow_pipe_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
