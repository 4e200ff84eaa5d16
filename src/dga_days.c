/*
 * Day sets: three days of Conficker A and B names, sorted once, searched by
 * halving. See include/wormwatch/dga_days.h for why three days and why no
 * hash. Building costs 1500 names' generation and one sort, once a day of
 * packet time; a lookup is at most 11 comparisons of short strings.
 */
#include "wormwatch/dga_days.h"

#include <stdlib.h>
#include <string.h>

void ww_dga_days_init(struct ww_dga_days *set)
{
    memset(set, 0, sizeof *set);
}

/* Name first; equal names (a collision between lists) by variant, day, index. */
static int entry_cmp(const void *a, const void *b)
{
    const struct ww_dga_days_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    if (x->variant != y->variant)
        return x->variant - y->variant;
    if (x->offset != y->offset)
        return x->offset - y->offset;
    return x->index - y->index;
}

static void build(struct ww_dga_days *set, int32_t centre)
{
    char names[WW_DGA_NAMES][WW_DGA_NAME_MAX];
    size_t n = 0;
    for (int v = 0; v < WW_DGA__COUNT; v++) {
        for (int offset = 0; offset < WW_DGA_DAYS_SPAN; offset++) {
            if (!ww_dga_generate((enum ww_dga_variant)v, centre - 1 + offset, names))
                continue; /* a day outside the generator's years has no list */
            for (int i = 0; i < WW_DGA_NAMES; i++) {
                struct ww_dga_days_entry *e = &set->entries[n++];
                memcpy(e->name, names[i], WW_DGA_NAME_MAX);
                e->variant = (uint8_t)v;
                e->offset = (uint8_t)offset;
                e->index = (uint8_t)i;
            }
        }
    }
    qsort(set->entries, n, sizeof set->entries[0], entry_cmp);
    set->count = n; /* below 1500 only at the ends of the generator's years */
    set->centre = centre;
    set->built = true;
    set->stats.builds++;
}

bool ww_dga_days_advance(struct ww_dga_days *set, uint64_t ts_ns)
{
    int32_t day = ww_dga_day_of_ns(ts_ns);
    if (set->built && day <= set->centre && day >= set->centre - 1)
        return false;
    build(set, day);
    return true;
}

bool ww_dga_days_lookup(struct ww_dga_days *set, const char *name, size_t len,
                        struct ww_dga_match *m)
{
    set->stats.lookups++;
    if (len && name[len - 1] == '.')
        len--;
    if (!set->built || len == 0 || len >= WW_DGA_NAME_MAX) {
        if (len >= WW_DGA_NAME_MAX)
            set->stats.too_long++;
        return false;
    }
    char key[WW_DGA_NAME_MAX];
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        key[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        if (c == '\0')
            return false; /* an embedded NUL is no list's name */
    }
    key[len] = '\0';
    /* The first entry whose name is not below the key. */
    size_t lo = 0, hi = set->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(set->entries[mid].name, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == set->count || strcmp(set->entries[lo].name, key) != 0)
        return false;
    const struct ww_dga_days_entry *e = &set->entries[lo];
    m->variant = (enum ww_dga_variant)e->variant;
    m->day = set->centre - 1 + e->offset;
    m->index = e->index;
    set->stats.matches++;
    return true;
}
