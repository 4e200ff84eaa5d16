/*
 * Conficker.C's P2P ports and messages (see include/wormwatch/p2p.h).
 *
 * Ports. The worm runs a multiplicative generator (x = x * 0x015A4E35 + 1,
 * 64-bit product, Borland's rand() constant) seeded with the complement of
 * the address as Windows keeps it in memory (network byte order read as a
 * little-endian word). Ten steps make one TCP/UDP pair: step i shifts the
 * high word of the product right by i and XORs its low 16 bits into the
 * TCP port (even i) or the UDP port (odd i). A pair is drawn again, the
 * XOR accumulating, until neither port is on the worm's exclusion list and
 * the two differ. The first pair depends on the address only; the
 * generator's state is then XORed with the week number and a second pair
 * drawn the same way. It is cheap (20 multiplications a pair in practice),
 * so nothing is cached: the detector computes a destination's ports per
 * packet, after a one-bit test that rules out the excluded ports (every
 * port below 2048 among them: DNS, SMB, NetBIOS, web never cost a thing).
 *
 * Messages. The keystream and the checksum are both byte-serial. The
 * checksum starts from the length it covers, which is known only once the
 * flags and fields have been read; as each step (XOR a byte, rotate left
 * by one) is linear, the sum is run from zero and the length's
 * contribution, the length rotated by itself, is XORed in at the end. So a
 * message is checked in one pass over the captured bytes, with no copy.
 */
#include "wormwatch/p2p.h"

#include <string.h>

#include "wormwatch/bytes.h"

#define NS_PER_S 1000000000ULL
#define WEEK_NS (WW_P2P_WEEK_S * NS_PER_S)
#define ORIGIN_NS (WW_P2P_WEEK_ORIGIN_S * NS_PER_S)
#define GENERATOR_MULTIPLIER 0x015A4E35u
/*
 * A draw is kept when both ports are allowed (86% of ports are) and differ:
 * one draw in four is redrawn, 64 failures in a row have odds of 1e-37. The
 * bound only caps what a packet can cost.
 */
#define MAX_DRAWS 64

/*
 * The worm's exclusion list: bit b of word w excludes ports w*1024 + b*32
 * to w*1024 + b*32 + 31. Words 0 and 1 exclude everything below 2048.
 */
static const uint32_t excluded_ports[64] = {
    0xffffffff, 0xffffffff, 0xf0f6bfbb, 0xbb5a5ff3, 0xf3977011, 0xeb67bfbf, 0x5f9bfac8, 0x34d88091,
    0x1e2282df, 0x573402c4, 0xc0000084, 0x03000209, 0x01600002, 0x00005000, 0x801000c0, 0x00500040,
    0x000000a1, 0x01000000, 0x01000000, 0x00022a20, 0x00000080, 0x04000000, 0x40020000, 0x88000000,
    0x00000180, 0x00081000, 0x08801900, 0x00800b81, 0x00000280, 0x080002c0, 0x00a80000, 0x00008000,
    0x00100040, 0x00100000, 0x00000000, 0x00000000, 0x10000008, 0x00000000, 0x00000000, 0x00000004,
    0x00000002, 0x00000000, 0x00040000, 0x00000000, 0x00000000, 0x00000000, 0x00410000, 0x82000000,
    0x00000000, 0x00000000, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
    0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000008, 0x80000000,
};

bool ww_p2p_port_excluded(uint16_t port)
{
    return (excluded_ports[port >> 10] >> ((port >> 5) & 31)) & 1;
}

int64_t ww_p2p_week(uint64_t ts_ns)
{
    if (ts_ns < ORIGIN_NS)
        return -1; /* floor of a negative fraction: the origin is only 4 days in */
    return (int64_t)((ts_ns - ORIGIN_NS) / WEEK_NS);
}

uint64_t ww_p2p_week_start_ns(int64_t week)
{
    if (week < 0)
        return 0;
    if ((uint64_t)week > (UINT64_MAX - ORIGIN_NS) / WEEK_NS)
        return UINT64_MAX;
    return ORIGIN_NS + (uint64_t)week * WEEK_NS;
}

/* Draws one pair into pair[0] (TCP) and pair[1] (UDP), advancing *state. */
static void draw_pair(uint32_t *state, uint16_t pair[2])
{
    pair[0] = pair[1] = 0;
    for (int draw = 0; draw < MAX_DRAWS; draw++) {
        for (unsigned step = 0; step < 10; step++) {
            uint64_t x = (uint64_t)*state * GENERATOR_MULTIPLIER + 1;
            *state = (uint32_t)x;
            pair[step & 1] ^= (uint16_t)((uint32_t)(x >> 32) >> step);
        }
        if (!ww_p2p_port_excluded(pair[0]) && !ww_p2p_port_excluded(pair[1]) && pair[0] != pair[1])
            return;
    }
}

/* The generator's seed: the address's bytes in wire order as a little-endian word, complemented. */
static uint32_t seed_of(uint32_t ip)
{
    uint32_t wire_le = (ip >> 24) | ((ip >> 8) & 0xff00u) | ((ip << 8) & 0xff0000u) | (ip << 24);
    return ~wire_le;
}

/* The week-independent pair, and the generator state the weekly pair starts from. */
static uint32_t fixed_pair(uint32_t ip, uint16_t pair[2])
{
    uint32_t state = seed_of(ip);
    draw_pair(&state, pair);
    return state;
}

static void weekly_pair(uint32_t state_after_fixed, int64_t week, uint16_t pair[2])
{
    /* The worm XORs the week into the 32-bit state; a negative week as its two's complement. */
    uint32_t state = state_after_fixed ^ (uint32_t)(uint64_t)week;
    draw_pair(&state, pair);
}

void ww_p2p_ports(uint32_t ip, int64_t week, struct ww_p2p_ports *out)
{
    uint16_t fixed[2], weekly[2];
    weekly_pair(fixed_pair(ip, fixed), week, weekly);
    out->tcp[0] = fixed[0];
    out->udp[0] = fixed[1];
    out->tcp[1] = weekly[0];
    out->udp[1] = weekly[1];
}

void ww_p2p_ports_at(uint32_t ip, uint64_t ts_ns, struct ww_p2p_ports *out)
{
    ww_p2p_ports(ip, ww_p2p_week(ts_ns), out);
}

enum ww_p2p_match ww_p2p_match_port(uint32_t ip, uint16_t port, bool tcp, uint64_t ts_ns,
                                    uint64_t slack_ns, int64_t *week_out)
{
    int64_t week = ww_p2p_week(ts_ns);
    if (week_out)
        *week_out = week;
    if (ww_p2p_port_excluded(port))
        return WW_P2P_NO_MATCH;
    unsigned which = tcp ? 0 : 1;
    uint16_t pair[2];
    uint32_t state = fixed_pair(ip, pair);
    if (pair[which] == port)
        return WW_P2P_MATCH_FIXED;
    weekly_pair(state, week, pair);
    if (pair[which] == port)
        return WW_P2P_MATCH_WEEK;
    if (slack_ns == 0 || week < 0)
        return WW_P2P_NO_MATCH;
    uint64_t start = ww_p2p_week_start_ns(week);
    uint64_t into = ts_ns - start;
    int64_t neighbours[2];
    unsigned count = 0;
    if (into < slack_ns && week > 0)
        neighbours[count++] = week - 1;
    if (WEEK_NS - into <= slack_ns)
        neighbours[count++] = week + 1;
    for (unsigned i = 0; i < count; i++) {
        weekly_pair(state, neighbours[i], pair);
        if (pair[which] == port) {
            if (week_out)
                *week_out = neighbours[i];
            return WW_P2P_MATCH_ADJACENT;
        }
    }
    return WW_P2P_NO_MATCH;
}

/* --- messages ------------------------------------------------------------------------------ */

/* The keystream: the 64-bit key rotated left by one, its low byte taken, then added back to it. */
struct keystream {
    uint64_t key;
};

static uint8_t keystream_next(struct keystream *ks)
{
    ks->key = (ks->key << 1) | (ks->key >> 63);
    uint8_t k = (uint8_t)ks->key;
    ks->key += k;
    return k;
}

/* The checksum run from zero; checksum_final() adds the covered length's share. */
static uint32_t checksum_step(uint32_t sum, uint8_t byte)
{
    sum ^= byte;
    return (sum << 1) | (sum >> 31);
}

static uint32_t checksum_final(uint32_t partial, size_t covered)
{
    uint32_t len = (uint32_t)covered;
    unsigned r = (unsigned)(covered % 32);
    return partial ^ (r ? (len << r) | (len >> (32 - r)) : len);
}

/*
 * A reader of the encrypted part: bytes come from `c` (what was captured of
 * the message), `avail` says how many the message has in all, so running out
 * of the one is truncation and of the other a malformed message.
 */
struct reader {
    struct ww_cursor c;
    size_t avail;      /* bytes of the message on the wire, from c's start */
    struct keystream ks;
    uint32_t sum;      /* checksum so far, from zero */
    enum ww_p2p_verdict failure;
};

/* Whether n more bytes can be read; sets the failure if not. */
static bool reader_has(struct reader *r, size_t n)
{
    if (r->avail - r->c.pos < n) {
        r->failure = WW_P2P_MALFORMED;
        return false;
    }
    if (ww_remaining(&r->c) < n) {
        r->failure = WW_P2P_TRUNCATED;
        return false;
    }
    return true;
}

/* Decrypts n (at most 4) bytes into a little-endian value; `checked` adds them to the checksum. */
static bool reader_le(struct reader *r, size_t n, bool checked, uint32_t *out)
{
    if (!reader_has(r, n))
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        if (!ww_get_u8(&r->c, &b))
            return false;
        b ^= keystream_next(&r->ks);
        if (checked)
            r->sum = checksum_step(r->sum, b);
        v |= (uint32_t)b << (8 * i);
    }
    *out = v;
    return true;
}

/* Decrypts and checksums n bytes, keeping them in out (if not NULL). */
static bool reader_bytes(struct reader *r, size_t n, uint8_t *out)
{
    if (!reader_has(r, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        if (!ww_get_u8(&r->c, &b))
            return false;
        b ^= keystream_next(&r->ks);
        r->sum = checksum_step(r->sum, b);
        if (out)
            out[i] = b;
    }
    return true;
}

static bool read_fields(struct reader *r, struct ww_p2p_message *m)
{
    uint32_t v;
    if (!reader_le(r, 2, true, &v))
        return false;
    m->flags = (uint16_t)v;
    if (m->flags & WW_P2P_FLAG_PEER) {
        if (!reader_le(r, 4, true, &m->peer_ip) || !reader_le(r, 2, true, &v))
            return false;
        m->peer_port = (uint16_t)v;
    }
    if ((m->flags & WW_P2P_FLAG_UNKNOWN0) && !reader_le(r, 4, true, &m->unknown0))
        return false;
    if ((m->flags & WW_P2P_FLAG_UNKNOWN1) && !reader_le(r, 4, true, &m->unknown1))
        return false;
    if (m->flags & WW_P2P_FLAG_DATA) {
        if (!reader_le(r, 1, true, &v))
            return false;
        m->data_type = (uint8_t)v;
        if (!reader_le(r, 2, true, &v))
            return false;
        m->data_len = (uint16_t)v;
        if (!reader_bytes(r, m->data_len, NULL))
            return false;
    }
    if ((m->flags & WW_P2P_FLAG_SYSINFO) && !reader_bytes(r, WW_P2P_SYSINFO_BYTES, m->sysinfo))
        return false;
    return true;
}

enum ww_p2p_verdict ww_p2p_verify(const uint8_t *payload, size_t cap_len, size_t wire_len, bool tcp,
                                  struct ww_p2p_message *msg)
{
    struct ww_p2p_message scratch;
    struct ww_p2p_message *m = msg ? msg : &scratch;
    memset(m, 0, sizeof *m);
    m->tcp = tcp;
    if (wire_len < cap_len)
        cap_len = wire_len; /* bytes past the payload (Ethernet padding) are not the message's */
    struct ww_cursor c = ww_cursor_make(payload, cap_len);
    size_t avail = wire_len;
    if (tcp) {
        if (!ww_get_le16(&c, &m->frame_len))
            return wire_len < 2 ? WW_P2P_MALFORMED : WW_P2P_TRUNCATED;
        if (m->frame_len < WW_P2P_MIN_MESSAGE)
            return WW_P2P_MALFORMED;
        /* The frame may go on in later segments: its length, not the segment's, bounds it. */
        avail = m->frame_len;
        size_t here = ww_remaining(&c) < avail ? ww_remaining(&c) : avail;
        struct ww_cursor frame;
        if (!ww_take(&c, here, &frame))
            return WW_P2P_MALFORMED;
        c = frame;
    }

    struct reader r = {.c = c, .avail = avail, .failure = WW_P2P_VALID};
    if (!reader_has(&r, WW_P2P_KEY_BYTES))
        return r.failure;
    const uint8_t *key = ww_take_bytes(&r.c, WW_P2P_KEY_BYTES);
    if (!key)
        return WW_P2P_TRUNCATED;
    for (size_t i = 0; i < WW_P2P_KEY_BYTES; i++)
        r.sum = checksum_step(r.sum, key[i]);
    m->key_lo = (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16 | (uint32_t)key[3] << 24;
    m->key_hi = (uint32_t)key[4] | (uint32_t)key[5] << 8 | (uint32_t)key[6] << 16 | (uint32_t)key[7] << 24;
    r.ks.key = (uint64_t)m->key_hi << 32 | m->key_lo;

    if (!read_fields(&r, m))
        return r.failure;
    m->checked_len = r.c.pos;
    m->computed = checksum_final(r.sum, m->checked_len);
    if (!reader_le(&r, 4, false, &m->checksum))
        return r.failure;
    m->noise_len = ww_remaining(&r.c);
    return m->checksum == m->computed ? WW_P2P_VALID : WW_P2P_BAD_CHECKSUM;
}

const char *ww_p2p_verdict_name(enum ww_p2p_verdict verdict)
{
    switch (verdict) {
    case WW_P2P_VALID:
        return "valid";
    case WW_P2P_TRUNCATED:
        return "truncated";
    case WW_P2P_BAD_CHECKSUM:
        return "bad_checksum";
    case WW_P2P_MALFORMED:
        return "malformed";
    }
    return "unknown";
}

bool ww_p2p_nmap_shaped(const struct ww_p2p_message *msg)
{
    uint16_t expected = WW_P2P_FLAG_MODE | WW_P2P_FLAG_ENCODED | (msg->tcp ? WW_P2P_FLAG_IS_TCP : 0);
    bool key_ok = msg->key_lo >= 1 && msg->key_lo <= 0x7fffffffu && msg->key_hi >= 1 &&
                  msg->key_hi <= 0x7fffffffu;
    return msg->flags == expected && key_ok && msg->noise_len == 0 &&
           msg->checked_len == WW_P2P_KEY_BYTES + 2 &&
           (!msg->tcp || msg->frame_len == WW_P2P_MIN_MESSAGE);
}

/* --- encoding (tests, generators) ------------------------------------------------------------ */

/* A bounded writer of plaintext; `sum` is run over what is written while `checked`. */
struct writer {
    uint8_t *out;
    size_t cap, pos;
    bool overflow;
    bool checked;
    uint32_t sum;
};

static void put_u8(struct writer *w, uint8_t b)
{
    if (w->pos >= w->cap) {
        w->overflow = true;
        return;
    }
    w->out[w->pos++] = b;
    if (w->checked)
        w->sum = checksum_step(w->sum, b);
}

static void put_le(struct writer *w, uint32_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_u8(w, (uint8_t)(v >> (8 * i)));
}

size_t ww_p2p_encode(const struct ww_p2p_message *msg, const uint8_t *data, const uint8_t *noise,
                     size_t noise_len, uint8_t *out, size_t cap)
{
    struct writer w = {.out = out, .cap = cap, .checked = false};
    size_t frame_at = w.pos;
    if (msg->tcp)
        put_le(&w, 0, 2); /* the length, filled in below */
    size_t start = w.pos;
    w.checked = true;
    put_le(&w, msg->key_lo, 4);
    put_le(&w, msg->key_hi, 4);
    put_le(&w, msg->flags, 2);
    if (msg->flags & WW_P2P_FLAG_PEER) {
        put_le(&w, msg->peer_ip, 4);
        put_le(&w, msg->peer_port, 2);
    }
    if (msg->flags & WW_P2P_FLAG_UNKNOWN0)
        put_le(&w, msg->unknown0, 4);
    if (msg->flags & WW_P2P_FLAG_UNKNOWN1)
        put_le(&w, msg->unknown1, 4);
    if (msg->flags & WW_P2P_FLAG_DATA) {
        put_u8(&w, msg->data_type);
        put_le(&w, msg->data_len, 2);
        for (size_t i = 0; i < msg->data_len; i++)
            put_u8(&w, data ? data[i] : 0);
    }
    if (msg->flags & WW_P2P_FLAG_SYSINFO)
        for (size_t i = 0; i < WW_P2P_SYSINFO_BYTES; i++)
            put_u8(&w, msg->sysinfo[i]);
    w.checked = false;
    put_le(&w, checksum_final(w.sum, w.pos - start), 4);
    for (size_t i = 0; i < noise_len; i++)
        put_u8(&w, noise ? noise[i] : 0);
    size_t frame = w.pos - start;
    if (w.overflow || (msg->tcp && frame > UINT16_MAX))
        return 0;
    if (msg->tcp) {
        out[frame_at] = (uint8_t)frame;
        out[frame_at + 1] = (uint8_t)(frame >> 8);
    }
    struct keystream ks = {(uint64_t)msg->key_hi << 32 | msg->key_lo};
    for (size_t i = start + WW_P2P_KEY_BYTES; i < w.pos; i++)
        out[i] ^= keystream_next(&ks);
    return w.pos;
}
