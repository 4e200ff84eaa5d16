/*
 * Conficker A and B domain generation: the 250 names a day each variant
 * tries to reach for its updates, reproduced exactly, in the worm's order.
 *
 * Both variants seed a floating-point generator with the UTC date (as a
 * Windows FILETIME at midnight) and draw, per name, a length, the letters
 * and a top-level domain. The generator's state is the bit pattern of a
 * double computed from sin() and log() of the previous one, so the lists
 * depend on every rounding the worm's x87 code made: dga.c works in IEEE
 * double (which is what x87 arithmetic at Windows' 53-bit precision
 * control gives) and emulates fsin's reduction of large arguments by
 * a 66-bit pi instead of calling the C library's (correct) sin().
 *
 * Days are counted from 1970-01-01 (UTC), negative before; dates are
 * proleptic Gregorian, years WW_DGA_YEAR_MIN..WW_DGA_YEAR_MAX.
 */
#ifndef WW_DGA_H
#define WW_DGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WW_DGA_NAMES 250   /* names a day, per variant */
#define WW_DGA_NAME_MAX 17 /* 11 letters, ".info", NUL */
/* FILETIME starts in 1601; four-digit years in a spec string end in 9999. */
#define WW_DGA_YEAR_MIN 1601
#define WW_DGA_YEAR_MAX 9999

enum ww_dga_variant { WW_DGA_A, WW_DGA_B, WW_DGA__COUNT };

/* "A" or "B". */
const char *ww_dga_variant_name(enum ww_dga_variant v);

/* A UTC calendar date. */
struct ww_dga_date {
    int year, month, day;
};

bool ww_dga_date_valid(struct ww_dga_date d);
/* Days since 1970-01-01 of a valid date. */
int32_t ww_dga_day_number(struct ww_dga_date d);
/* The date of a day number (any int32 day gives some proleptic date). */
struct ww_dga_date ww_dga_date_of_day(int32_t day);
/* The UTC day a packet time falls in. */
int32_t ww_dga_day_of_ns(uint64_t ts_ns);
/* Day numbers of WW_DGA_YEAR_MIN-01-01 and WW_DGA_YEAR_MAX-12-31. */
int32_t ww_dga_first_day(void);
int32_t ww_dga_last_day(void);

/*
 * Writes the variant's names for `day` in generation order, lower case, as
 * "letters.tld". False (names untouched) for a day outside the year range.
 */
bool ww_dga_generate(enum ww_dga_variant v, int32_t day, char names[WW_DGA_NAMES][WW_DGA_NAME_MAX]);

/*
 * Whether a DNS message's first question could name a Conficker A/B domain,
 * from its wire bytes: one label of 8 to 11 letters, then a top-level label
 * of 2 to 4 letters, then the root. Almost every ordinary name fails within
 * a few bytes, so the full parse is only paid for the rest.
 */
bool ww_dga_wire_candidate(const uint8_t *message, size_t len);

/*
 * Parses "VARIANT:YYYY-MM-DD" (variant A or B, either case). On failure
 * writes a one-line reason into err and returns false.
 */
bool ww_dga_parse_spec(const char *spec, enum ww_dga_variant *v, int32_t *day, char *err,
                       size_t err_len);

enum ww_dga_print_result { WW_DGA_PRINTED, WW_DGA_BAD_SPEC, WW_DGA_WRITE_FAILED };

/* Parses a spec and writes its names to `out`, one a line (the CLI's work). */
enum ww_dga_print_result ww_dga_print_spec(const char *spec, FILE *out, char *err, size_t err_len);

/*
 * What x87 fsin returns for x, rounded to double: the argument is reduced
 * exactly modulo a 66-bit pi, so for large x it differs from the true sine
 * (by up to about 0.006 near 2^62). Exposed for the unit tests.
 */
double ww_dga_x87_sin(double x);

#endif
