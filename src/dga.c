/*
 * Conficker A and B domain generation, exact to the worm's rounding.
 *
 * The worm (and downatool2, the University of Bonn's reimplementation the
 * reference lists come from) seeds a 64-bit key from the day:
 *
 *   key = (filetime(midnight UTC) * M1 mod 2^64) / one week in 100 ns + K
 *
 * and each draw replaces the key by the bits of a double:
 *
 *   x = (double)key
 *   key = bits((((double)(key * M2 mod 2^64) + sin(x)) * x + C) * x + log(x))
 *
 * returning the key's low 32 bits as a signed int. A name is drawn as a
 * length r % 4 + 8 (C's truncating %, so 5..11 letters, 8 twice as often),
 * letters 'a' + labs(r) % 26, then a top-level domain. The x87 code runs at
 * Windows' default precision control (53-bit significands), so every step is
 * an IEEE double operation: this file does them in double one at a time
 * (volatile, so no compiler fuses a multiply-add or keeps excess precision).
 *
 * sin() is the one step a modern C library does differently: x is about
 * 5e18, and the x87 fsin instruction reduces its argument by a 66-bit
 * approximation of pi, which for x that large is off by up to about 0.006
 * rad from the true reduction a libm does. The sine only reaches the key
 * when the product term is below 2^53 (about once in 2048 draws), but then a
 * different sine can change a rounding, and with it the rest of that day's
 * list. So ww_dga_x87_sin() does fsin's reduction exactly, in integers, and
 * only evaluates the reduced argument with the C library.
 */
#include "wormwatch/dga.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The worm's draws are IEEE double operations; excess precision would break them. */
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "dga.c needs double arithmetic without excess precision (FLT_EVAL_METHOD 0, e.g. SSE2)"
#endif

#define FILETIME_DAY 864000000000ULL        /* 100 ns units in a day */
#define FILETIME_WEEK (7 * FILETIME_DAY)
#define DAYS_1601_TO_1970 134774            /* FILETIME's epoch to Unix's */
#define NS_PER_DAY 86400000000000ULL

/* What distinguishes the variants (constants read from the worm by its analysts). */
struct variant_params {
    uint64_t seed_mul;    /* M1 */
    uint32_t seed_add;    /* K */
    uint32_t draw_mul;    /* M2 */
    double draw_add;      /* C */
    const char *const *tlds; /* top-level domains, in the worm's order */
    unsigned tld_count;
};

static const char *const tlds_a[] = {"com", "net", "org", "info", "biz"};
static const char *const tlds_b[] = {"cc", "cn", "ws", "com", "net", "org", "info", "biz"};

static const struct variant_params variants[WW_DGA__COUNT] = {
    [WW_DGA_A] = {0x463DA5676ULL, 0xB46A7637u, 0x64236735u, 0.737565675, tlds_a, 5},
    [WW_DGA_B] = {0x352C94565ULL, 0xA3596526u, 0x53125624u, 0.626454564, tlds_b, 8},
};

const char *ww_dga_variant_name(enum ww_dga_variant v)
{
    return v == WW_DGA_A ? "A" : v == WW_DGA_B ? "B" : "?";
}

/* ---- calendar (proleptic Gregorian) -------------------------------------------- */

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Days from 0001-01-01 to year-01-01, for year >= 1. */
static int64_t days_before_year(int64_t year)
{
    int64_t y = year - 1;
    return 365 * y + y / 4 - y / 100 + y / 400;
}

bool ww_dga_date_valid(struct ww_dga_date d)
{
    return d.year >= WW_DGA_YEAR_MIN && d.year <= WW_DGA_YEAR_MAX && d.month >= 1 &&
           d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

int32_t ww_dga_day_number(struct ww_dga_date d)
{
    int64_t n = days_before_year(d.year) - days_before_year(1970) + d.day - 1;
    for (int m = 1; m < d.month; m++)
        n += days_in_month(d.year, m);
    return (int32_t)n;
}

struct ww_dga_date ww_dga_date_of_day(int32_t day)
{
    int64_t n = (int64_t)day + days_before_year(1970); /* days since 0001-01-01 */
    int64_t year = n * 400 / 146097 + 1;                 /* 146097 days in 400 years */
    while (days_before_year(year + 1) <= n)
        year++;
    while (year > 1 && days_before_year(year) > n)
        year--;
    struct ww_dga_date d = {(int)year, 1, (int)(n - days_before_year(year)) + 1};
    while (d.month < 12 && d.day > days_in_month(d.year, d.month))
        d.day -= days_in_month(d.year, d.month++);
    return d;
}

int32_t ww_dga_day_of_ns(uint64_t ts_ns)
{
    return (int32_t)(ts_ns / NS_PER_DAY);
}

int32_t ww_dga_first_day(void)
{
    return ww_dga_day_number((struct ww_dga_date){WW_DGA_YEAR_MIN, 1, 1});
}

int32_t ww_dga_last_day(void)
{
    return ww_dga_day_number((struct ww_dga_date){WW_DGA_YEAR_MAX, 12, 31});
}

/* ---- x87 fsin ------------------------------------------------------------------ */

/*
 * fsin's pi: pi/4 * 2^68 truncated, 0xC90FDAA22168C234C, whose last two bits
 * are zero, i.e. pi rounded to 66 significant bits (Intel SDM vol. 1, 8.3.10).
 * Read in units of 2^-67, the same number is pi66/2, the divisor below.
 */
#define PI66_HI 0xCULL
#define PI66_LO 0x90FDAA22168C234CULL
#define PI66_UNIT_EXP (-67)

/* A 128-bit unsigned number as two halves: the remainder below never exceeds 2^70. */
struct u128 {
    uint64_t hi, lo;
};

static bool u128_ge(struct u128 a, struct u128 b)
{
    return a.hi != b.hi ? a.hi > b.hi : a.lo >= b.lo;
}

static struct u128 u128_sub(struct u128 a, struct u128 b)
{
    struct u128 r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return r;
}

double ww_dga_x87_sin(double x)
{
    if (!isfinite(x) || fabs(x) >= 0x1p63)
        return sin(x); /* fsin refuses these; the generator never asks (its x < 2^63) */
    if (x < 0)
        return -ww_dga_x87_sin(-x);
    int binexp;
    double frac = frexp(x, &binexp);
    uint64_t mant = (uint64_t)ldexp(frac, 53); /* x = mant * 2^(binexp - 53), exactly */
    int shift = binexp - 53 - PI66_UNIT_EXP;   /* x = mant * 2^shift units of 2^-67 */
    if (shift < 0)
        return sin(x); /* x below 2^-14: fsin needs no reduction */
    /*
     * Long division of mant * 2^shift by pi66/2, one bit at a time: the
     * remainder is exact, and the quotient's two low bits say the quadrant.
     */
    const struct u128 divisor = {PI66_HI, PI66_LO};
    struct u128 rem = {0, 0};
    unsigned quadrant = 0;
    for (int bit = 52 + shift; bit >= 0; bit--) {
        uint64_t in = bit >= shift ? (mant >> (bit - shift)) & 1 : 0;
        rem.hi = (rem.hi << 1) | (rem.lo >> 63);
        rem.lo = (rem.lo << 1) | in;
        quadrant <<= 1;
        if (u128_ge(rem, divisor)) {
            rem = u128_sub(rem, divisor);
            quadrant |= 1;
        }
    }
    double r = ldexp(ldexp((double)rem.hi, 64) + (double)rem.lo, PI66_UNIT_EXP);
    switch (quadrant & 3) {
    case 0: return sin(r);
    case 1: return cos(r);
    case 2: return -sin(r);
    default: return -cos(r);
    }
}

/* ---- the generator -------------------------------------------------------------- */

/* (double)u rounded to nearest-even, without relying on how the compiler converts. */
static double u64_to_double(uint64_t u)
{
    int drop = 0;
    while ((u >> drop) >= (1ULL << 53))
        drop++;
    if (drop == 0)
        return (double)u;
    uint64_t mant = u >> drop, rest = u & ((1ULL << drop) - 1), half = 1ULL << (drop - 1);
    if (rest > half || (rest == half && (mant & 1)))
        mant++; /* may reach 2^53: still exact as a double */
    return ldexp((double)mant, drop);
}

struct draw_state {
    uint64_t key;
    const struct variant_params *p;
};

/* One draw: the worm's Rand(). */
static int32_t draw(struct draw_state *s)
{
    volatile double x = u64_to_double(s->key);
    volatile double a = u64_to_double(s->key * s->p->draw_mul);
    /* From 2^53 up a double's spacing is 2 or more, and |sin x| < 1 rounds
       back to a: the exact fsin, costly, is only paid where it can matter. */
    if (a < 0x1p53) {
        volatile double sine = ww_dga_x87_sin(x);
        a = a + sine;
    }
    a = a * x;
    a = a + s->p->draw_add;
    a = a * x;
    volatile double logx = log(x);
    double result = a + logx;
    memcpy(&s->key, &result, sizeof s->key);
    int64_t low = (int64_t)(s->key & 0xFFFFFFFFu);
    return (int32_t)(low >= 0x80000000 ? low - 0x100000000 : low);
}

/* 'a' + labs(r) % 26 as the worm's 32-bit code computes it, lower-cased. */
static char letter(int32_t r)
{
    /*
     * labs(INT32_MIN) overflows to itself in the worm, % 26 is then -24 and
     * the byte arithmetic gives 'I': the same DNS name as "i", written so.
     */
    if (r == INT32_MIN)
        return 'i';
    return (char)('a' + (r < 0 ? -r : r) % 26);
}

bool ww_dga_generate(enum ww_dga_variant v, int32_t day, char names[WW_DGA_NAMES][WW_DGA_NAME_MAX])
{
    if ((unsigned)v >= WW_DGA__COUNT || day < ww_dga_first_day() || day > ww_dga_last_day())
        return false;
    const struct variant_params *p = &variants[v];
    uint64_t filetime = (uint64_t)(day + DAYS_1601_TO_1970) * FILETIME_DAY;
    struct draw_state s = {filetime * p->seed_mul / FILETIME_WEEK + p->seed_add, p};
    for (int i = 0; i < WW_DGA_NAMES; i++) {
        int len = draw(&s) % 4 + 8;
        char *out = names[i];
        for (int j = 0; j < len; j++)
            *out++ = letter(draw(&s));
        uint32_t r = (uint32_t)draw(&s);
        /* A takes the draw as unsigned modulo 5, B its low three bits. */
        const char *tld = p->tlds[v == WW_DGA_A ? r % p->tld_count : (r & 7)];
        *out++ = '.';
        strcpy(out, tld);
    }
    return true;
}

static bool letters(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
            return false;
    return true;
}

bool ww_dga_wire_candidate(const uint8_t *m, size_t len)
{
    enum { QUESTION = 12 }; /* the question follows the 12-byte header */
    if (len < QUESTION + 1 + 8 + 1 + 2 + 1 || (m[4] == 0 && m[5] == 0))
        return false; /* too short for the shortest name, or no question */
    size_t first = m[QUESTION];
    if (first < 8 || first > 11)
        return false;
    size_t tld_at = QUESTION + 1 + first;
    if (tld_at + 1 > len)
        return false;
    size_t tld = m[tld_at];
    if (tld < 2 || tld > 4 || tld_at + 1 + tld + 1 > len || m[tld_at + 1 + tld] != 0)
        return false;
    return letters(m + QUESTION + 1, first) && letters(m + tld_at + 1, tld);
}

/* ---- "VARIANT:YYYY-MM-DD" ------------------------------------------------------- */

/* Reads exactly `digits` decimal digits. */
static bool read_digits(const char **s, int digits, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++, (*s)++) {
        if (!isdigit((unsigned char)**s))
            return false;
        v = v * 10 + (**s - '0');
    }
    *out = v;
    return true;
}

/* The spec as a message may show it: at most 40 characters, unprintable ones as '?'. */
static void quote_spec(const char *spec, char out[48])
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *spec && n < 41; spec++)
        out[n++] = isprint((unsigned char)*spec) ? *spec : '?';
    if (*spec)
        out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n++] = '\'';
    out[n] = '\0';
}

bool ww_dga_parse_spec(const char *spec, enum ww_dga_variant *v, int32_t *day, char *err,
                       size_t err_len)
{
    char quoted[48];
    quote_spec(spec, quoted);
    char c = spec[0];
    if ((c != 'A' && c != 'a' && c != 'B' && c != 'b') || spec[1] != ':') {
        snprintf(err, err_len, "%s: give VARIANT:YYYY-MM-DD, variant A or B (as in B:2020-06-15)",
                 quoted);
        return false;
    }
    const char *s = spec + 2;
    struct ww_dga_date d;
    if (!read_digits(&s, 4, &d.year) || *s++ != '-' || !read_digits(&s, 2, &d.month) ||
        *s++ != '-' || !read_digits(&s, 2, &d.day) || *s) {
        snprintf(err, err_len, "%s: the date must be YYYY-MM-DD (as in B:2020-06-15)", quoted);
        return false;
    }
    if (!ww_dga_date_valid(d)) {
        snprintf(err, err_len, "%s: no such date in the years %d to %d", quoted,
                 WW_DGA_YEAR_MIN, WW_DGA_YEAR_MAX);
        return false;
    }
    *v = (c == 'A' || c == 'a') ? WW_DGA_A : WW_DGA_B;
    *day = ww_dga_day_number(d);
    return true;
}

enum ww_dga_print_result ww_dga_print_spec(const char *spec, FILE *out, char *err, size_t err_len)
{
    enum ww_dga_variant v;
    int32_t day;
    if (!ww_dga_parse_spec(spec, &v, &day, err, err_len))
        return WW_DGA_BAD_SPEC;
    char names[WW_DGA_NAMES][WW_DGA_NAME_MAX];
    ww_dga_generate(v, day, names);
    for (int i = 0; i < WW_DGA_NAMES; i++)
        fprintf(out, "%s\n", names[i]);
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, err_len, "cannot write the domain list");
        return WW_DGA_WRITE_FAILED;
    }
    return WW_DGA_PRINTED;
}
