/*
 * Bounds-checked reads of packet bytes.
 *
 * Every byte of a captured frame is read through a cursor that knows how many
 * bytes were captured. A read that would run past the end fails and leaves the
 * output untouched, so a truncated or lying packet ends the decode in one place
 * instead of being checked ad hoc in every protocol (as tcpdump's GET_ macros).
 */
#ifndef WW_BYTES_H
#define WW_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ww_cursor {
    const uint8_t *data; /* first byte of the region */
    size_t len;          /* bytes that may be read */
    size_t pos;          /* next byte to read */
};

static inline struct ww_cursor ww_cursor_make(const uint8_t *data, size_t len)
{
    struct ww_cursor c = {data, len, 0};
    return c;
}

static inline size_t ww_remaining(const struct ww_cursor *c)
{
    return c->len - c->pos;
}

static inline bool ww_skip(struct ww_cursor *c, size_t n)
{
    if (ww_remaining(c) < n)
        return false;
    c->pos += n;
    return true;
}

static inline bool ww_get_u8(struct ww_cursor *c, uint8_t *out)
{
    if (ww_remaining(c) < 1)
        return false;
    *out = c->data[c->pos++];
    return true;
}

static inline bool ww_get_be16(struct ww_cursor *c, uint16_t *out)
{
    if (ww_remaining(c) < 2)
        return false;
    const uint8_t *p = c->data + c->pos;
    *out = (uint16_t)((p[0] << 8) | p[1]);
    c->pos += 2;
    return true;
}

static inline bool ww_get_le16(struct ww_cursor *c, uint16_t *out)
{
    if (ww_remaining(c) < 2)
        return false;
    const uint8_t *p = c->data + c->pos;
    *out = (uint16_t)(p[0] | (p[1] << 8));
    c->pos += 2;
    return true;
}

static inline bool ww_get_le32(struct ww_cursor *c, uint32_t *out)
{
    if (ww_remaining(c) < 4)
        return false;
    const uint8_t *p = c->data + c->pos;
    *out = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    c->pos += 4;
    return true;
}

static inline bool ww_get_be32(struct ww_cursor *c, uint32_t *out)
{
    if (ww_remaining(c) < 4)
        return false;
    const uint8_t *p = c->data + c->pos;
    *out = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
    c->pos += 4;
    return true;
}

/* Reads the byte at pos + offset without consuming anything. */
static inline bool ww_peek_u8(const struct ww_cursor *c, size_t offset, uint8_t *out)
{
    if (ww_remaining(c) <= offset)
        return false;
    *out = c->data[c->pos + offset];
    return true;
}

/*
 * A checked window: consumes the next n bytes and returns them, or returns
 * NULL (consuming nothing) if fewer remain. A fixed-size header is checked
 * once this way and its fields read with ww_load_*() at offsets below n, as
 * tcpdump's ND_TCHECK_LEN: one comparison instead of one per field.
 */
static inline const uint8_t *ww_take_bytes(struct ww_cursor *c, size_t n)
{
    if (ww_remaining(c) < n)
        return NULL;
    const uint8_t *p = c->data + c->pos;
    c->pos += n;
    return p;
}

/* Loads from a window ww_take_bytes() has checked; never on unchecked bytes. */
static inline uint16_t ww_load_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t ww_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint16_t ww_load_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t ww_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t ww_load_le64(const uint8_t *p)
{
    return (uint64_t)ww_load_le32(p) | ((uint64_t)ww_load_le32(p + 4) << 32);
}

/* Splits off the next n bytes as a cursor of their own and consumes them. */
static inline bool ww_take(struct ww_cursor *c, size_t n, struct ww_cursor *sub)
{
    if (ww_remaining(c) < n)
        return false;
    *sub = ww_cursor_make(c->data + c->pos, n);
    c->pos += n;
    return true;
}

#endif
