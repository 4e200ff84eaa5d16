/*
 * A JSON writer for the event lines written most: alerts.
 *
 * jansson builds a tree of allocated values and then walks it to print
 * them: about 230,000 instructions for a 1 KB alert, more than a thousand
 * packets' triage. This writer appends text to one buffer as the fields
 * come, in the order given, and prints exactly what json_dumps(JSON_COMPACT |
 * JSON_REAL_PRECISION(12)) prints for the same object (tests/test_jsonw.c
 * holds it to that), so a line reads the same whichever wrote it. Like
 * jansson, it leaves out a field whose string is not UTF-8 or whose number
 * is not finite. Stats lines and the rare events keep jansson.
 */
#ifndef WW_JSONW_H
#define WW_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_JSONW_DEPTH 8

struct ww_jsonw {
    char *buf;          /* NUL-terminated text so far, or NULL */
    size_t len, cap;    /* bytes written (no NUL), bytes allocated */
    bool failed;        /* out of memory or too deep: the line is lost */
    uint8_t depth;      /* open objects and arrays */
    bool first[WW_JSONW_DEPTH + 1]; /* nothing written yet at that depth */
    char closer[WW_JSONW_DEPTH + 1]; /* '}' or ']': what ends that depth */
};

/* Starts the line's outer object. */
void ww_jsonw_begin(struct ww_jsonw *w);

/* A member of the open object (key) or an element of the open array (key NULL). */
void ww_jsonw_object(struct ww_jsonw *w, const char *key);
void ww_jsonw_array(struct ww_jsonw *w, const char *key);
void ww_jsonw_close(struct ww_jsonw *w); /* the innermost open object or array */
bool ww_jsonw_string(struct ww_jsonw *w, const char *key, const char *value); /* false: left out */
void ww_jsonw_int(struct ww_jsonw *w, const char *key, int64_t value);
void ww_jsonw_real(struct ww_jsonw *w, const char *key, double value);
void ww_jsonw_bool(struct ww_jsonw *w, const char *key, bool value);
void ww_jsonw_null(struct ww_jsonw *w, const char *key);
/* The members of `object_text`, a compact JSON object ("{...}"), as members here. */
void ww_jsonw_members(struct ww_jsonw *w, const char *object_text);

/* Closes the outer object and hands over the line with its '\n' (free() it);
   NULL if anything failed. */
char *ww_jsonw_line(struct ww_jsonw *w);

#endif
