/*
 * NetBIOS session framing: a small state machine per direction (see nbss.h).
 *
 * Hunting loses nothing a header could be made of: when a header or a
 * message's first 4 bytes turn out wrong, those bytes (less the first) prime
 * the hunting window, so a real header that began inside them is still
 * found. The protocol id is checked as soon as its 4 bytes are in, before the
 * rest of the head is read, so a wrong guess costs 8 bytes at most.
 */
#include "wormwatch/nbss.h"

#include <string.h>

#include "wormwatch/bytes.h"

#define NBSS_MESSAGE 0x00
#define NBSS_REQUEST 0x81
#define NBSS_POSITIVE 0x82
#define NBSS_NEGATIVE 0x83
#define NBSS_RETARGET 0x84
#define NBSS_KEEPALIVE 0x85
#define NBSS_CONTROL_MAX 512 /* a session request: two encoded NetBIOS names, with scope */
#define SMB_MESSAGE_MIN 32   /* an SMB1 header; SMB2's is longer */

enum mode { MODE_HEADER, MODE_HEAD, MODE_BODY, MODE_HUNT };

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static void end_message(struct ww_nbss *n)
{
    n->mode = MODE_HEADER;
    n->header_len = 0;
    n->head_len = 0;
}

/* Slides one byte into the window: does it now hold a header and "\xffSMB" / "\xfeSMB"? */
static bool hunt_step(struct ww_nbss *n, uint8_t byte)
{
    n->hunt_window = n->hunt_window << 8 | byte;
    if (n->hunt_fill < 8)
        n->hunt_fill++;
    if (n->hunt_fill < 8)
        return false;
    uint64_t w = n->hunt_window;
    uint8_t type = (uint8_t)(w >> 56), id = (uint8_t)(w >> 24);
    uint32_t len = (uint32_t)(w >> 32) & 0xFFFFFF;
    return type == NBSS_MESSAGE && (id == 0xFF || id == 0xFE) && (w & 0xFFFFFF) == 0x534D42 &&
           len >= SMB_MESSAGE_MIN;
}

/* Out of step: look for a header from here on, the given bytes first. */
static void start_hunt(struct ww_nbss *n, struct ww_nbss_stats *st,
                       const struct ww_nbss_handler *h, const uint8_t *seen, size_t count)
{
    if (n->mode != MODE_HUNT) {
        st->resyncs++;
        n->hunted = 0;
        h->desync(h->ctx);
    }
    n->mode = MODE_HUNT;
    n->hunt_fill = 0;
    n->hunt_window = 0;
    for (size_t i = 0; i < count; i++)
        hunt_step(n, seen[i]); /* fewer than 8: they cannot match yet */
}

static void begin_message(struct ww_nbss *n, struct ww_nbss_stats *st,
                          const struct ww_nbss_handler *h, uint32_t len)
{
    n->msg_len = len;
    n->msg_pos = 0;
    n->head_len = 0;
    n->head_want = (uint16_t)min_size(len, h->head_cap < 4 ? 4 : h->head_cap);
    n->mode = MODE_HEAD;
    st->messages++;
}

/* A whole header was read. */
static void header_done(struct ww_nbss *n, struct ww_nbss_stats *st,
                        const struct ww_nbss_handler *h)
{
    uint8_t type = n->header[0];
    uint32_t len = (uint32_t)n->header[1] << 16 | (uint32_t)n->header[2] << 8 | n->header[3];
    n->header_len = 0;
    bool control = h->from_client
                       ? type == NBSS_REQUEST
                       : type == NBSS_POSITIVE || type == NBSS_NEGATIVE || type == NBSS_RETARGET;
    if (type == NBSS_MESSAGE && len >= 4) {
        begin_message(n, st, h, len);
    } else if ((type == NBSS_KEEPALIVE && len == 0) || (control && len <= NBSS_CONTROL_MAX)) {
        st->control++;
        if (len > 0) { /* skipped unread: nothing to judge in it */
            n->msg_len = len;
            n->msg_pos = 0;
            n->head_len = 0;
            n->head_want = 0;
            n->mode = MODE_BODY;
        }
    } else {
        start_hunt(n, st, h, n->header + 1, 3);
    }
}

/* Head bytes were added: check the protocol id once it is in, and finish the head. */
static void head_progress(struct ww_nbss *n, struct ww_nbss_stats *st,
                          const struct ww_nbss_handler *h)
{
    struct ww_cursor c = ww_cursor_make(h->head_buf, n->head_len);
    const uint8_t *id = ww_take_bytes(&c, 4);
    if (n->head_len == 4 && (memcmp(id + 1, "SMB", 3) != 0 || id[0] < 0xFC)) {
        st->not_smb++;
        uint8_t seen[7] = {n->header[1], n->header[2], n->header[3], id[0], id[1], id[2], id[3]};
        start_hunt(n, st, h, seen, sizeof seen);
        return;
    }
    if (n->head_len < n->head_want)
        return;
    h->head(h->ctx, h->head_buf, n->head_len, n->msg_len);
    if (n->msg_pos == n->msg_len)
        end_message(n);
    else
        n->mode = MODE_BODY;
}

/* The window holds a header: the message it starts is read from its protocol id on. */
static void hunt_found(struct ww_nbss *n, struct ww_nbss_stats *st,
                       const struct ww_nbss_handler *h)
{
    uint64_t w = n->hunt_window;
    st->resynced++;
    n->hunted = 0;
    for (int i = 0; i < 4; i++)
        n->header[i] = (uint8_t)(w >> (56 - 8 * i));
    begin_message(n, st, h, (uint32_t)(w >> 32) & 0xFFFFFF);
    for (int i = 0; i < 4; i++)
        h->head_buf[i] = (uint8_t)(w >> (24 - 8 * i));
    n->head_len = 4;
    n->msg_pos = 4;
    head_progress(n, st, h);
}

bool ww_nbss_data(struct ww_nbss *n, struct ww_nbss_stats *st, const struct ww_nbss_handler *h,
                  const uint8_t *data, size_t len)
{
    struct ww_cursor c = ww_cursor_make(data, len);
    while (ww_remaining(&c) > 0) {
        size_t k;
        switch (n->mode) {
        case MODE_HEADER:
            k = min_size(ww_remaining(&c), 4u - n->header_len);
            memcpy(n->header + n->header_len, ww_take_bytes(&c, k), k);
            n->header_len = (uint8_t)(n->header_len + k);
            if (n->header_len == 4)
                header_done(n, st, h);
            break;
        case MODE_HEAD:
            k = min_size(ww_remaining(&c), (size_t)(n->head_want - n->head_len));
            if (n->head_len < 4)
                k = min_size(k, 4u - n->head_len);
            memcpy(h->head_buf + n->head_len, ww_take_bytes(&c, k), k);
            n->head_len = (uint16_t)(n->head_len + k);
            n->msg_pos += (uint32_t)k;
            head_progress(n, st, h);
            break;
        case MODE_BODY: {
            k = min_size(ww_remaining(&c), (size_t)(n->msg_len - n->msg_pos));
            const uint8_t *p = ww_take_bytes(&c, k);
            if (n->head_want > 0)
                h->body(h->ctx, p, n->msg_pos, k);
            n->msg_pos += (uint32_t)k;
            if (n->msg_pos == n->msg_len)
                end_message(n);
            break;
        }
        default: { /* MODE_HUNT */
            uint8_t byte;
            ww_get_u8(&c, &byte);
            if (hunt_step(n, byte)) {
                hunt_found(n, st, h);
            } else if (++n->hunted > WW_NBSS_HUNT_LIMIT) {
                st->given_up++;
                return false;
            }
            break;
        }
        }
    }
    return true;
}

size_t ww_nbss_body_left(const struct ww_nbss *n)
{
    return n->mode == MODE_BODY ? (size_t)(n->msg_len - n->msg_pos) : 0;
}

void ww_nbss_gap(struct ww_nbss *n, struct ww_nbss_stats *st, const struct ww_nbss_handler *h,
                 size_t len)
{
    bool inside = len <= (size_t)(n->msg_len - n->msg_pos);
    if (n->mode == MODE_HEAD && inside && n->head_len >= 4) {
        /* a head cut short (the snap length, a lost segment): judged on what came */
        h->head(h->ctx, h->head_buf, n->head_len, n->msg_len);
        n->mode = MODE_BODY;
    }
    if (n->mode == MODE_BODY && inside) {
        if (n->head_want > 0)
            h->lost(h->ctx, n->msg_pos, len);
        n->msg_pos += (uint32_t)len;
        if (n->msg_pos == n->msg_len)
            end_message(n);
        return;
    }
    start_hunt(n, st, h, NULL, 0); /* also when hunting: the window must not span the gap */
}
