/* Helpers shared by test_e2e and test_live: see e2e_util.h. */
#include "e2e_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

char *slurp_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

char *slurp_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    char *text = slurp_fd(fd);
    close(fd);
    return text;
}

int spill_file(void)
{
    char path[] = "/tmp/wwe2e.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    return fd;
}

size_t line_count(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

json_t *value_at(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    json_t *v = o;
    for (char *key = strtok_r(buf, ".", &save); key && v; key = strtok_r(NULL, ".", &save))
        v = json_is_array(v) && all_digits(key) ? json_array_get(v, strtoul(key, NULL, 10))
                                                : json_object_get(v, key);
    return v;
}

const char *str_at(json_t *o, const char *path)
{
    const char *s = json_string_value(value_at(o, path));
    if (!s)
        fail_msg("%s is not a string", path);
    return s;
}

long long int_at(json_t *o, const char *path)
{
    json_t *v = value_at(o, path);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

/* The events wormwatch writes for `capture`, as a JSON array. */
json_t *e2e_events(const char *binary, const char *capture)
{
    int out = spill_file();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out, STDOUT_FILENO);
        execl(binary, binary, "--sensor-name", "e2e", "-r", capture, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    lseek(out, 0, SEEK_SET);
    char *text = slurp_fd(out);
    close(out);
    json_t *events = json_array();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t error;
        json_t *e = json_loads(line, 0, &error);
        assert_non_null(e);
        json_array_append_new(events, e);
    }
    free(text);
    return events;
}

