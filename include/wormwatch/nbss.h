/*
 * NetBIOS session service framing (RFC 1002; the same 4-byte header is SMB's
 * "direct TCP" framing on 445) over one direction of a TCP stream.
 *
 * The framer cuts the byte stream into messages and hands each one over in
 * two parts: its head (the first head_cap bytes, copied into the caller's
 * buffer, judged in one call) and then its body as it passes, never kept.
 * Session requests and keepalives are skipped. A gap inside a body is just
 * skipped too (the caller hears which bytes were lost), and one inside a
 * head (a snap length that cuts segments) has the head judged on the bytes
 * that came before it, the framing still in step; a gap anywhere else,
 * a header that is not a session message, or a message that is not SMB puts
 * the framer out of step: it slides an 8-byte window over the bytes until it
 * holds a session-message header followed by 0xFF or 0xFE "SMB", and gives
 * the stream up after WW_NBSS_HUNT_LIMIT bytes without one. A flow joined in
 * the middle of a message finds its feet the same way.
 */
#ifndef WW_NBSS_H
#define WW_NBSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_NBSS_HUNT_LIMIT (1u << 20) /* bytes searched for a header before giving up */

/* One direction's framing. Zeroed = expecting a header. */
struct ww_nbss {
    uint8_t mode;          /* reading a header, a head, a body, or hunting */
    uint8_t header_len;    /* header bytes read */
    uint8_t header[4];
    uint8_t hunt_fill;     /* bytes in hunt_window (up to 8) */
    uint64_t hunt_window;  /* the last 8 bytes seen while hunting, oldest highest */
    uint32_t hunted;       /* bytes searched since out of step */
    uint32_t msg_len;      /* the current message's length, from its header */
    uint32_t msg_pos;      /* its bytes seen */
    uint16_t head_len;     /* bytes in the caller's head buffer */
    uint16_t head_want;    /* head bytes to read before the head is judged */
};

struct ww_nbss_stats {
    uint64_t messages;  /* session messages begun */
    uint64_t not_smb;   /* of which not SMB (the framer went hunting) */
    uint64_t control;   /* session requests, responses, keepalives */
    uint64_t resyncs;   /* times out of step */
    uint64_t resynced;  /* ... and back in step at a header */
    uint64_t given_up;  /* streams abandoned after WW_NBSS_HUNT_LIMIT bytes */
};

/* What the framer calls back, with the caller's ctx. */
struct ww_nbss_handler {
    uint8_t *head_buf;    /* the caller's head buffer ... */
    size_t head_cap;      /* ... and the bytes of a message to read into it (4 or more) */
    bool from_client;     /* a session request is the client's, its answers the server's */
    /* A message's head is in (its first 4 bytes are an SMB protocol id). */
    void (*head)(void *ctx, const uint8_t *head, size_t len, uint32_t msg_len);
    /* Body bytes [at, at + n) of the current message, n > 0. */
    void (*body)(void *ctx, const uint8_t *data, uint32_t at, size_t n);
    /* Body bytes [at, at + n) were lost; the framing is still in step. */
    void (*lost)(void *ctx, uint32_t at, size_t n);
    /* Out of step: the current message is abandoned. */
    void (*desync)(void *ctx);
    void *ctx;
};

/* Feeds the direction's next bytes. False once the stream is given up. */
bool ww_nbss_data(struct ww_nbss *n, struct ww_nbss_stats *st, const struct ww_nbss_handler *h,
                  const uint8_t *data, size_t len);
/* Bytes left in the body being read, 0 when not in a body (a header, a head, hunting). */
size_t ww_nbss_body_left(const struct ww_nbss *n);
/* `len` bytes of the direction will never be seen. */
void ww_nbss_gap(struct ww_nbss *n, struct ww_nbss_stats *st, const struct ww_nbss_handler *h,
                 size_t len);

#endif
