/*
 * Unit tests for the alert lines' JSON writer (jsonw.h): for the same
 * object, its text must be json_dumps()'s, byte for byte, with the flags
 * the other events use; and what jansson would refuse (a string that is not
 * UTF-8, a number that is not finite) is left out as jansson leaves it out.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "wormwatch/jsonw.h"

/* jansson's line for `o` (consumed), with the writer's trailing newline. */
static char *jansson_line(json_t *o)
{
    char *body = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(o);
    assert_non_null(body);
    size_t n = strlen(body);
    char *line = malloc(n + 2);
    assert_non_null(line);
    memcpy(line, body, n);
    memcpy(line + n, "\n", 2);
    free(body);
    return line;
}

static void assert_same(char *ours, json_t *theirs)
{
    char *expected = jansson_line(theirs);
    assert_non_null(ours);
    assert_string_equal(ours, expected);
    free(ours);
    free(expected);
}

static void reals_as_jansson_prints_them(void **state)
{
    (void)state;
    static const double values[] = {0.0,     -0.0,   1.0,        -2.0,          99.2,
                                    0.1,     1e20,   1e-5,       123456789012.5, 1.5e300,
                                    -3e-300, 6126.21, 2.0 / 3.0, 1e12,          1e11};
    struct ww_jsonw w;
    ww_jsonw_begin(&w);
    json_t *o = json_object();
    ww_jsonw_array(&w, "reals");
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        ww_jsonw_real(&w, NULL, values[i]);
        json_array_append_new(a, json_real(values[i]));
    }
    ww_jsonw_close(&w);
    json_object_set_new(o, "reals", a);
    /* Not finite: jansson makes no value, so the member is not there. */
    ww_jsonw_real(&w, "nan", NAN);
    ww_jsonw_real(&w, "inf", INFINITY);
    ww_jsonw_real(&w, "last", 5.25);
    json_object_set_new(o, "last", json_real(5.25));
    assert_same(ww_jsonw_line(&w), o);
}

static void integers_and_literals(void **state)
{
    (void)state;
    struct ww_jsonw w;
    ww_jsonw_begin(&w);
    json_t *o = json_object();
    static const int64_t values[] = {0, 1, -1, 9, 10, 65535, INT64_MAX, INT64_MIN, 4294967296LL};
    char key[8];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "i%zu", i);
        ww_jsonw_int(&w, key, values[i]);
        json_object_set_new(o, key, json_integer(values[i]));
    }
    ww_jsonw_bool(&w, "yes", true);
    ww_jsonw_bool(&w, "no", false);
    ww_jsonw_null(&w, "none");
    json_object_set_new(o, "yes", json_true());
    json_object_set_new(o, "no", json_false());
    json_object_set_new(o, "none", json_null());
    assert_same(ww_jsonw_line(&w), o);
}

static void strings_escaped_and_checked(void **state)
{
    (void)state;
    static const char *values[] = {
        "plain", "", "quote \" and \\ back", "\b\f\n\r\t", "\x01\x1f\x7f",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9b", "a/b", "DESKTOP-V1FA0UQ"};
    static const char *refused[] = {"\xc0\xaf",         /* overlong '/' */
                                    "\xed\xa0\x80",     /* a surrogate */
                                    "\xf4\x90\x80\x80", /* past U+10FFFF */
                                    "cut \xe2\x82",     /* a cut sequence */
                                    "\xff"};
    struct ww_jsonw w;
    ww_jsonw_begin(&w);
    json_t *o = json_object();
    char key[8];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "s%zu", i);
        assert_true(ww_jsonw_string(&w, key, values[i]));
        json_object_set_new(o, key, json_string(values[i]));
    }
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_null(json_string(refused[i])); /* jansson refuses them too */
        assert_false(ww_jsonw_string(&w, "refused", refused[i]));
    }
    /* A key is escaped as a string is. */
    assert_true(ww_jsonw_string(&w, "k\"ey\n", "v"));
    json_object_set_new(o, "k\"ey\n", json_string("v"));
    assert_same(ww_jsonw_line(&w), o);
}

static void nesting_and_members(void **state)
{
    (void)state;
    struct ww_jsonw w;
    ww_jsonw_begin(&w);
    ww_jsonw_object(&w, "alert");
    ww_jsonw_int(&w, "gid", 1);
    ww_jsonw_array(&w, "empty");
    ww_jsonw_close(&w);
    ww_jsonw_object(&w, "inner");
    ww_jsonw_close(&w);
    ww_jsonw_close(&w);
    ww_jsonw_members(&w, "{\"p2p\":{\"port\":4242},\"dga\":[1,2]}");
    ww_jsonw_members(&w, "{}");
    ww_jsonw_string(&w, "host", "vm");
    json_t *o = json_pack("{s:{s:i,s:[],s:{}},s:{s:i},s:[i,i],s:s}", "alert", "gid", 1, "empty",
                          "inner", "p2p", "port", 4242, "dga", 1, 2, "host", "vm");
    assert_same(ww_jsonw_line(&w), o);

    /* Members first in a line need no comma. */
    ww_jsonw_begin(&w);
    ww_jsonw_members(&w, "{\"a\":1}");
    ww_jsonw_int(&w, "b", 2);
    assert_same(ww_jsonw_line(&w), json_pack("{s:i,s:i}", "a", 1, "b", 2));
}

static void misuse_loses_the_line(void **state)
{
    (void)state;
    struct ww_jsonw w;
    /* An object left open. */
    ww_jsonw_begin(&w);
    ww_jsonw_object(&w, "open");
    assert_null(ww_jsonw_line(&w));
    /* One close too many. */
    ww_jsonw_begin(&w);
    ww_jsonw_close(&w);
    assert_null(ww_jsonw_line(&w));
    /* Deeper than the writer keeps. */
    ww_jsonw_begin(&w);
    for (int i = 0; i <= WW_JSONW_DEPTH; i++)
        ww_jsonw_array(&w, i ? NULL : "deep");
    assert_true(w.failed);
    assert_null(ww_jsonw_line(&w));
    /* Members that are not an object's text. */
    ww_jsonw_begin(&w);
    ww_jsonw_members(&w, "[1]");
    assert_null(ww_jsonw_line(&w));
}

/* A line long enough to grow the buffer several times stays whole. */
static void long_lines_grow(void **state)
{
    (void)state;
    struct ww_jsonw w;
    ww_jsonw_begin(&w);
    json_t *o = json_object();
    ww_jsonw_array(&w, "many");
    json_t *a = json_array();
    for (int i = 0; i < 5000; i++) {
        ww_jsonw_string(&w, NULL, "10.20.30.40");
        json_array_append_new(a, json_string("10.20.30.40"));
    }
    ww_jsonw_close(&w);
    json_object_set_new(o, "many", a);
    assert_same(ww_jsonw_line(&w), o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reals_as_jansson_prints_them),
        cmocka_unit_test(integers_and_literals),
        cmocka_unit_test(strings_escaped_and_checked),
        cmocka_unit_test(nesting_and_members),
        cmocka_unit_test(misuse_loses_the_line),
        cmocka_unit_test(long_lines_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
