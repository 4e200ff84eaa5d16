/*
 * DCE/RPC pipe parser and the MS08-067 path test. See dcerpc.h for the idea.
 *
 * Each pipe is a small state machine over the bytes written into it: read a
 * header (16 bytes, then the rest a request has), then its body, keeping only
 * a call's stub start or a bind's body start. A header that lies (wrong
 * version, a fragment shorter than its own header, an auth trailer longer
 * than the fragment) puts the pipe out of step until an SMB write starts with
 * a PDU's first byte: a pipe cannot be resynchronised from the middle of a
 * write without guessing, and the next call always starts a write.
 *
 * Integers in PDUs follow the header's data representation (NDR allows
 * big-endian senders, and an exploit may use it to slip past a parser that
 * assumes little-endian).
 */
#include "wormwatch/dcerpc.h"

#include <string.h>

#include "wormwatch/bytes.h"

#define PFC_FIRST_FRAG 0x01
#define PFC_LAST_FRAG 0x02
#define PFC_OBJECT_UUID 0x80
#define COMMON_HEADER 16
#define REQUEST_HEADER 24
#define AUTH_VERIFIER_HEADER 8

const uint8_t ww_srvsvc_uuid[16] = {0x4b, 0x32, 0x4f, 0xc8, 0x16, 0x70, 0x01, 0xd3,
                                    0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};

static bool get16(struct ww_cursor *c, bool le, uint16_t *out)
{
    return le ? ww_get_le16(c, out) : ww_get_be16(c, out);
}

static bool get32(struct ww_cursor *c, bool le, uint32_t *out)
{
    return le ? ww_get_le32(c, out) : ww_get_be32(c, out);
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* --- the fields of the header being read --------------------------------- */

struct header_fields {
    uint8_t version, minor, ptype, flags;
    bool le;
    uint16_t frag_len, auth_len;
    uint32_t call_id;
};

static bool read_common(const uint8_t *bytes, size_t len, struct header_fields *h)
{
    struct ww_cursor c = ww_cursor_make(bytes, len);
    const uint8_t *p = ww_take_bytes(&c, 8);
    if (!p)
        return false;
    h->version = p[0];
    h->minor = p[1];
    h->ptype = p[2];
    h->flags = p[3];
    h->le = (p[4] & 0xF0) == 0x10;
    return get16(&c, h->le, &h->frag_len) && get16(&c, h->le, &h->auth_len) &&
           get32(&c, h->le, &h->call_id);
}

/* Header bytes a PDU of this kind has, or 0 if the header lies. */
static size_t header_size(const struct header_fields *h)
{
    if (h->version != 5 || h->minor > 1 || h->frag_len < COMMON_HEADER)
        return 0;
    size_t need = COMMON_HEADER;
    if (h->ptype == WW_DCE_PTYPE_REQUEST)
        need = REQUEST_HEADER + ((h->flags & PFC_OBJECT_UUID) ? 16 : 0);
    size_t trailer = h->auth_len ? (size_t)h->auth_len + AUTH_VERIFIER_HEADER : 0;
    if (h->frag_len < need + trailer)
        return 0;
    return need;
}

/* --- calls ---------------------------------------------------------------- */

static void hand_back(struct ww_dce_pipe *p, struct ww_dce_stats *st, bool complete,
                      ww_dce_call_fn on_call, void *ctx)
{
    if (!p->call.active || p->call.judged)
        return;
    p->call.judged = true;
    st->requests++;
    if (!complete)
        st->judged_early++;
    struct ww_dce_call call = {
        .complete = complete,
        .bound = p->bound,
        .srvsvc = p->srvsvc_bound && p->srvsvc_context == p->call.context_id,
        .opnum = p->call.opnum,
        .context_id = p->call.context_id,
        .call_id = p->call.call_id,
        .alloc_hint = p->call.alloc_hint,
        .request_bytes = p->call.request_bytes,
        .stub_bytes = p->call.stub_bytes,
        .fragments = p->call.fragments,
        .bind_contexts = p->bind_contexts,
        .little_endian = p->call.little_endian,
        .stub = p->body,
        .stub_len = p->body_len,
    };
    on_call(ctx, p, &call);
}

/* Reads a UUID in its wire order (first three fields per the data representation). */
static bool get_uuid(struct ww_cursor *c, bool le, uint8_t out[16])
{
    uint32_t a;
    uint16_t b, d;
    if (!get32(c, le, &a) || !get16(c, le, &b) || !get16(c, le, &d))
        return false;
    const uint8_t *rest = ww_take_bytes(c, 8);
    if (!rest)
        return false;
    uint8_t canon[16] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a,
                         (uint8_t)(b >> 8),  (uint8_t)b,         (uint8_t)(d >> 8), (uint8_t)d};
    memcpy(canon + 8, rest, 8);
    memcpy(out, canon, 16);
    return true;
}

/* A bind or alter_context body: which context, if any, names SRVSVC. */
static void read_bind(struct ww_dce_pipe *p, bool le, bool is_bind)
{
    struct ww_cursor c = ww_cursor_make(p->body, p->body_len);
    uint8_t count;
    if (!ww_skip(&c, 8) || !ww_get_u8(&c, &count) || !ww_skip(&c, 3))
        return;
    if (is_bind) {
        p->srvsvc_bound = false;
        p->bind_contexts = count;
    }
    p->bound = true;
    for (unsigned i = 0; i < count; i++) {
        uint16_t id, major, minor;
        uint8_t transfers, uuid[16];
        if (!get16(&c, le, &id) || !ww_get_u8(&c, &transfers) || !ww_skip(&c, 1) ||
            !get_uuid(&c, le, uuid) || !get16(&c, le, &major) || !get16(&c, le, &minor))
            return; /* the rest lies past what was kept */
        if (memcmp(uuid, ww_srvsvc_uuid, 16) == 0) {
            p->srvsvc_bound = true;
            p->srvsvc_context = id;
        }
        if (!ww_skip(&c, (size_t)transfers * 20))
            return;
    }
}

/* A header was read whole: set up its body. False if the header lies. */
static bool begin_body(struct ww_dce_pipe *p, struct ww_dce_stats *st, ww_dce_call_fn on_call,
                       void *ctx)
{
    struct header_fields h;
    if (!read_common(p->header, p->header_len, &h))
        return false;
    p->body_left = (uint32_t)(h.frag_len - p->header_len);
    p->stub_left = 0;
    if (h.ptype == WW_DCE_PTYPE_REQUEST) {
        struct ww_cursor c = ww_cursor_make(p->header, p->header_len);
        uint32_t alloc_hint;
        uint16_t context_id, opnum;
        if (!ww_skip(&c, COMMON_HEADER) || !get32(&c, h.le, &alloc_hint) ||
            !get16(&c, h.le, &context_id) || !get16(&c, h.le, &opnum))
            return false;
        size_t trailer = h.auth_len ? (size_t)h.auth_len + AUTH_VERIFIER_HEADER : 0;
        if (h.flags & PFC_FIRST_FRAG) {
            hand_back(p, st, false, on_call, ctx); /* a call never ended */
            memset(&p->call, 0, sizeof p->call);
            p->call.active = true;
            p->call.little_endian = h.le;
            p->call.opnum = opnum;
            p->call.context_id = context_id;
            p->call.call_id = h.call_id;
            p->call.alloc_hint = alloc_hint;
            p->body_len = 0;
        } else if (!p->call.active || p->call.call_id != h.call_id) {
            st->orphan_fragments++;
            return true; /* its body is skipped */
        }
        if (p->call.fragments < UINT16_MAX)
            p->call.fragments++;
        p->call.request_bytes += h.frag_len;
        p->stub_left = p->body_left - (uint32_t)trailer;
    } else if (h.ptype == WW_DCE_PTYPE_BIND || h.ptype == WW_DCE_PTYPE_ALTER_CONTEXT) {
        hand_back(p, st, false, on_call, ctx); /* the body buffer is the bind's now */
        p->call.active = false;
        p->body_len = 0;
        p->stub_left = p->body_left;
        st->binds++;
    }
    return true;
}

static void end_pdu(struct ww_dce_pipe *p, struct ww_dce_stats *st, ww_dce_call_fn on_call,
                    void *ctx)
{
    struct header_fields h;
    st->pdus++;
    if (read_common(p->header, p->header_len, &h)) {
        if (h.ptype == WW_DCE_PTYPE_REQUEST && p->call.active && p->call.call_id == h.call_id &&
            (h.flags & PFC_LAST_FRAG)) {
            hand_back(p, st, true, on_call, ctx);
            p->call.active = false;
        } else if (h.ptype == WW_DCE_PTYPE_BIND || h.ptype == WW_DCE_PTYPE_ALTER_CONTEXT) {
            read_bind(p, h.le, h.ptype == WW_DCE_PTYPE_BIND);
        }
    }
    p->state = WW_DCE_HEADER;
    p->header_len = 0;
    p->header_need = COMMON_HEADER;
}

static void body_bytes(struct ww_dce_pipe *p, struct ww_dce_stats *st, const uint8_t *data,
                       size_t n, ww_dce_call_fn on_call, void *ctx)
{
    size_t stub = min_size(n, p->stub_left);
    if (stub > 0) {
        size_t keep = min_size(stub, sizeof p->body - p->body_len);
        memcpy(p->body + p->body_len, data, keep);
        p->body_len = (uint16_t)(p->body_len + keep);
        p->stub_left -= (uint32_t)stub;
        if (p->call.active) {
            p->call.stub_bytes += (uint32_t)stub;
            if (p->call.stub_bytes >= WW_DCE_DECIDE_STUB)
                hand_back(p, st, false, on_call, ctx);
        }
    }
    p->body_left -= (uint32_t)n;
}

static void lose_step(struct ww_dce_pipe *p, struct ww_dce_stats *st, size_t rest,
                      ww_dce_call_fn on_call, void *ctx)
{
    st->malformed++;
    st->lost_bytes += rest;
    ww_dce_lost(p, st, on_call, ctx);
}

void ww_dce_feed(struct ww_dce_pipe *p, struct ww_dce_stats *st, const uint8_t *data, size_t len,
                 bool write_start, ww_dce_call_fn on_call, void *ctx)
{
    struct ww_cursor c = ww_cursor_make(data, len);
    if (p->state == WW_DCE_LOST) {
        uint8_t version;
        if (!write_start || !ww_peek_u8(&c, 0, &version) || version != 5) {
            st->lost_bytes += len;
            return;
        }
        p->state = WW_DCE_HEADER;
        p->header_len = 0;
    }
    if (p->state == WW_DCE_HEADER && p->header_len == 0)
        p->header_need = COMMON_HEADER;
    while (ww_remaining(&c) > 0) {
        if (p->state == WW_DCE_BODY) {
            size_t n = min_size(ww_remaining(&c), p->body_left);
            body_bytes(p, st, ww_take_bytes(&c, n), n, on_call, ctx);
            if (p->body_left == 0)
                end_pdu(p, st, on_call, ctx);
            continue;
        }
        size_t n = min_size(ww_remaining(&c), (size_t)(p->header_need - p->header_len));
        memcpy(p->header + p->header_len, ww_take_bytes(&c, n), n);
        p->header_len = (uint8_t)(p->header_len + n);
        if (p->header_len < p->header_need)
            return;
        struct header_fields h;
        size_t need = read_common(p->header, p->header_len, &h) ? header_size(&h) : 0;
        if (need == 0) {
            lose_step(p, st, ww_remaining(&c), on_call, ctx);
            return;
        }
        if (p->header_len < need) {
            p->header_need = (uint8_t)need;
            continue;
        }
        if (!begin_body(p, st, on_call, ctx)) {
            lose_step(p, st, ww_remaining(&c), on_call, ctx);
            return;
        }
        p->state = WW_DCE_BODY;
        if (p->body_left == 0)
            end_pdu(p, st, on_call, ctx);
    }
}

void ww_dce_lost(struct ww_dce_pipe *p, struct ww_dce_stats *st, ww_dce_call_fn on_call, void *ctx)
{
    hand_back(p, st, false, on_call, ctx);
    p->call.active = false;
    p->state = WW_DCE_LOST;
    p->header_len = 0;
}

/* --- the server's answer --------------------------------------------------- */

bool ww_dce_answer(const uint8_t *pdu, size_t len, uint32_t *call_id, uint32_t *status,
                   bool *fault)
{
    struct header_fields h;
    if (!read_common(pdu, len, &h) || h.version != 5 || h.frag_len > len)
        return false;
    struct ww_cursor c = ww_cursor_make(pdu, h.frag_len);
    if (!ww_skip(&c, COMMON_HEADER + 8))
        return false;
    *call_id = h.call_id;
    if (h.ptype == WW_DCE_PTYPE_FAULT) {
        *fault = true;
        return get32(&c, h.le, status);
    }
    if (h.ptype != WW_DCE_PTYPE_RESPONSE ||
        (h.flags & (PFC_FIRST_FRAG | PFC_LAST_FRAG)) != (PFC_FIRST_FRAG | PFC_LAST_FRAG))
        return false;
    size_t trailer = h.auth_len ? (size_t)h.auth_len + AUTH_VERIFIER_HEADER : 0;
    size_t stub = ww_remaining(&c);
    if (stub < trailer + 4)
        return false;
    *fault = false;
    return ww_skip(&c, stub - trailer - 4) && get32(&c, h.le, status);
}

/* --- MS08-067 -------------------------------------------------------------- */

static bool is_separator(uint16_t unit)
{
    return unit == '\\' || unit == '/';
}

enum ww_ms08_verdict ww_ms08_judge(const struct ww_dce_call *call, struct ww_ms08_path *out)
{
    memset(out, 0, sizeof *out);
    bool le = call->little_endian;
    struct ww_cursor c = ww_cursor_make(call->stub, call->stub_len);
    uint32_t referent, max, offset, actual;
    if (!get32(&c, le, &referent))
        return WW_MS08_NONE;
    if (referent != 0) { /* [unique] server name, a conformant varying string */
        if (!get32(&c, le, &max) || !get32(&c, le, &offset) || !get32(&c, le, &actual) ||
            actual > WW_DCE_STUB_PREFIX || !ww_skip(&c, (size_t)actual * 2) ||
            !ww_skip(&c, (4 - c.pos % 4) % 4))
            return WW_MS08_NONE;
    }
    if (!get32(&c, le, &max) || !get32(&c, le, &offset) || !get32(&c, le, &actual))
        return WW_MS08_NONE;
    out->parsed = true;
    out->units = actual;
    uint16_t window[4] = {0, 0, 0, 0}; /* the last four units, newest last */
    uint16_t unit;
    while (out->examined < actual && out->examined < WW_MS08_EXAMINE && get16(&c, le, &unit)) {
        out->examined++;
        bool last = out->examined == actual;
        if ((unit < 0x20 || unit > 0x7E) && !(last && unit == 0))
            out->nonascii++;
        memmove(window, window + 1, sizeof window - sizeof window[0]);
        window[3] = unit;
        if (is_separator(window[0]) && window[1] == '.' && window[2] == '.' &&
            is_separator(window[3]))
            out->climbs = true;
    }
    if (actual > WW_MS08_LONG_PATH)
        return out->nonascii >= WW_MS08_CODE_UNITS || out->climbs ? WW_MS08_EXPLOIT
                                                                 : WW_MS08_NONE;
    return out->climbs ? WW_MS08_CHECK : WW_MS08_NONE;
}
