/*
 * The alert lines' JSON writer (jsonw.h): text appended to one growing
 * buffer, each value placed after a comma unless it is the first at its
 * depth. The number and string forms are jansson's, so that the lines it
 * writes cannot be told from json_dumps()'s.
 */
#include "wormwatch/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct ww_jsonw *w, size_t more)
{
    if (w->failed)
        return false;
    if (w->len + more + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < w->len + more + 1)
        cap *= 2;
    char *grown = realloc(w->buf, cap);
    if (!grown) {
        w->failed = true;
        return false;
    }
    w->buf = grown;
    w->cap = cap;
    return true;
}

static void put(struct ww_jsonw *w, const char *text, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, text, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void put_char(struct ww_jsonw *w, char c)
{
    put(w, &c, 1);
}

/* Length of the UTF-8 sequence at s (a NUL-terminated string), 0 if it is
   not one jansson accepts: no overlong forms, surrogates or code points
   past U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* includes the NUL: a cut sequence */
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_sequence(p);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

/* The quoted form: '"', '\\' and control characters escaped, the rest as is. */
static void put_quoted(struct ww_jsonw *w, const char *s)
{
    put_char(w, '"');
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        put(w, run, (size_t)(p - run));
        run = p + 1;
        char esc[8];
        const char *short_form = c == '"'    ? "\\\""
                                 : c == '\\' ? "\\\\"
                                 : c == '\b' ? "\\b"
                                 : c == '\f' ? "\\f"
                                 : c == '\n' ? "\\n"
                                 : c == '\r' ? "\\r"
                                 : c == '\t' ? "\\t"
                                             : NULL;
        if (!short_form) {
            snprintf(esc, sizeof esc, "\\u%04X", c);
            short_form = esc;
        }
        put(w, short_form, strlen(short_form));
    }
    put(w, run, strlen(run));
    put_char(w, '"');
}

/* The comma and key before a value. */
static void member(struct ww_jsonw *w, const char *key)
{
    if (!w->first[w->depth])
        put_char(w, ',');
    w->first[w->depth] = false;
    if (key) {
        put_quoted(w, key);
        put_char(w, ':');
    }
}

static void open_nested(struct ww_jsonw *w, const char *key, char bracket, char closer)
{
    if (w->depth >= WW_JSONW_DEPTH) {
        w->failed = true;
        return;
    }
    member(w, key);
    put_char(w, bracket);
    w->first[++w->depth] = true;
    w->closer[w->depth] = closer;
}

void ww_jsonw_begin(struct ww_jsonw *w)
{
    memset(w, 0, sizeof *w);
    put_char(w, '{');
    w->first[0] = true;
}

void ww_jsonw_object(struct ww_jsonw *w, const char *key)
{
    open_nested(w, key, '{', '}');
}

void ww_jsonw_array(struct ww_jsonw *w, const char *key)
{
    open_nested(w, key, '[', ']');
}

void ww_jsonw_close(struct ww_jsonw *w)
{
    if (w->failed || w->depth == 0) {
        w->failed = true;
        return;
    }
    put_char(w, w->closer[w->depth--]);
}

bool ww_jsonw_string(struct ww_jsonw *w, const char *key, const char *value)
{
    if (!value || !valid_utf8(value))
        return false;
    member(w, key);
    put_quoted(w, value);
    return true;
}

void ww_jsonw_int(struct ww_jsonw *w, const char *key, int64_t value)
{
    char digits[24], *p = digits + sizeof digits;
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    do {
        *--p = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        *--p = '-';
    member(w, key);
    put(w, p, (size_t)(digits + sizeof digits - p));
}

void ww_jsonw_real(struct ww_jsonw *w, const char *key, double value)
{
    if (!isfinite(value))
        return;
    char text[64];
    int n = snprintf(text, sizeof text - 3, "%.12g", value);
    if (n < 0 || (size_t)n >= sizeof text - 3)
        return;
    size_t len = (size_t)n;
    /* jansson's forms: a point or exponent always ("2.0"), and an exponent
       without '+' or leading zeros ("1e20", "1e-5"). */
    if (!strchr(text, '.') && !strchr(text, 'e')) {
        memcpy(text + len, ".0", 3);
        len += 2;
    }
    char *e = strchr(text, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - text) + 1);
            len -= (size_t)(end - start);
        }
    }
    member(w, key);
    put(w, text, len);
}

void ww_jsonw_bool(struct ww_jsonw *w, const char *key, bool value)
{
    member(w, key);
    put(w, value ? "true" : "false", value ? 4 : 5);
}

void ww_jsonw_null(struct ww_jsonw *w, const char *key)
{
    member(w, key);
    put(w, "null", 4);
}

void ww_jsonw_members(struct ww_jsonw *w, const char *object_text)
{
    size_t n = object_text ? strlen(object_text) : 0;
    if (n < 2 || object_text[0] != '{' || object_text[n - 1] != '}') {
        w->failed = true;
        return;
    }
    if (n == 2)
        return; /* {} */
    if (!w->first[w->depth])
        put_char(w, ',');
    w->first[w->depth] = false;
    put(w, object_text + 1, n - 2);
}

char *ww_jsonw_line(struct ww_jsonw *w)
{
    if (w->depth != 0)
        w->failed = true;
    put(w, "}\n", 2);
    if (w->failed) {
        free(w->buf);
        w->buf = NULL;
        return NULL;
    }
    char *line = w->buf;
    w->buf = NULL;
    return line;
}
