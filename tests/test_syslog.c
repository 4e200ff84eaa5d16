/*
 * The syslog output (-o syslog:FACILITY) read by a real /dev/log reader.
 *
 * The test enters a private mount namespace, mounts a tmpfs over /dev (so
 * the host's /dev/log is never touched), binds its own datagram socket at
 * /dev/log, and runs wormwatch on a bundled capture: every message must be
 * "<PRI>... wormwatch[PID]: " followed by one whole EVE event, with the
 * facility asked for. Needs root (skipped with 77 otherwise).
 */
#define _GNU_SOURCE /* unshare */
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define LOCAL3_NOTICE "<157>" /* facility local3 (19) * 8 + severity notice (5) */

/* A /dev of our own, with /dev/null, and a reader bound at /dev/log. */
static int private_dev_log(void)
{
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("wwtest", "/dev", "tmpfs", 0, "mode=0755") != 0)
        return -1;
    if (mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)) != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        return -1;
    return fd;
}

static void test_syslog_messages_are_whole_events(void **state)
{
    (void)state;
    int fd = private_dev_log();
    if (fd < 0)
        skip(); /* no mount namespaces here */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(WW_BINARY, WW_BINARY, "-r", WW_PCAPS "/sll.pcap", "-o", "syslog:local3",
              "--sensor-name", "syslog-test", (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    char message[65536];
    int alerts = 0, stats = 0;
    ssize_t n;
    /* The sender has exited: what it logged is queued, so the first empty read ends it. */
    while ((n = recv(fd, message, sizeof message - 1, MSG_DONTWAIT)) > 0) {
        message[n] = '\0';
        assert_true(strncmp(message, LOCAL3_NOTICE, strlen(LOCAL3_NOTICE)) == 0);
        char tag[32];
        snprintf(tag, sizeof tag, "wormwatch[%d]: ", (int)pid);
        const char *body = strstr(message, tag);
        assert_non_null(body);
        json_t *e = json_loads(body + strlen(tag), 0, NULL);
        assert_non_null(e); /* one whole event per message */
        const char *type = json_string_value(json_object_get(e, "event_type"));
        alerts += !strcmp(type, "alert");
        stats += !strcmp(type, "stats");
        assert_string_equal(json_string_value(json_object_get(e, "host")), "syslog-test");
        json_decref(e);
    }
    assert_int_equal(alerts, 2); /* sll.pcap: the sequential and the count rule */
    assert_int_equal(stats, 1);
    close(fd);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_syslog: needs root for a private /dev/log; skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syslog_messages_are_whole_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
