/*
 * SMB requests and answers over the stream store: SMB1 and SMB2 commands,
 * named-pipe routing to DCE/RPC (smb_pipes.c follows the pipes, dcerpc.c
 * judges the calls; smb_flow.h is what they share), the MS17-010
 * shapes (ms17.c judges them), and the few server answers that say a host is
 * infected. See smb.h for what and why.
 *
 * Framing is nbss.c's: each message's head (its first WW_SMB_HEAD bytes) is
 * judged here in one call, and of its body only the one byte range a write
 * into a pipe says is DCE/RPC (the route) is looked at, on its way to the
 * pipe's parser. The server's side reads a head only while an answer is due;
 * else its framer checks each message's first 4 bytes and skips the rest.
 *
 * Which FID is which pipe: the client's side never sees the FID a create was
 * given (that is in the server's answer), so a pipe is followed from the
 * first write whose data starts like a DCE/RPC PDU, and takes the name of the
 * last pipe the client opened that no write has claimed yet. Clients open a
 * pipe and bind on it at once, so the name is right in practice; it is only
 * evidence, never part of a decision.
 */
#include "wormwatch/smb.h"

#include <stdlib.h>
#include <string.h>

#include "smb_flow.h"

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* --- SMB1 requests -------------------------------------------------------- */

/* A request's MS17-010 shape, if it has one, becomes a finding. */
static void ms17_request(struct site *s, uint8_t command, const struct ww_smb1_ids *ids,
                         struct ww_cursor params)
{
    struct ww_ms17_finding found;
    bool truncated;
    const uint8_t *words = ww_take_bytes(&params, ww_remaining(&params));
    enum ww_ms17_shape shape =
        ww_ms17_request(&s->f->ms17, command, ids, words, params.len, &truncated, &found);
    s->t->stats.truncated += truncated;
    if (shape != WW_MS17_NONE)
        smb_ms17_event(s, command, &found);
}

/* TRANSACTION: TransactNmPipe carries DCE/RPC into the pipe of its FID. */
static void smb1_transact_nmpipe(struct site *s, struct ww_cursor params)
{
    const uint8_t *p = ww_take_bytes(&params, 28), *setup;
    if (!p || p[26] < 2 || !(setup = ww_take_bytes(&params, 4)))
        return; /* ms17_request counts it if truncated */
    if (ww_load_le16(setup) == TRANS_TRANSACT_NMPIPE)
        smb_open_route(s, 1, SMB1_TRANSACTION, ww_load_le16(setup + 2), ww_load_le16(p + 24),
                   ww_load_le16(p + 22));
}

static void smb1_write_andx(struct site *s, struct ww_cursor *params)
{
    const uint8_t *p = ww_take_bytes(params, 24);
    if (!p) {
        s->t->stats.truncated++;
        return;
    }
    uint16_t fid = ww_load_le16(p + 4), mode = ww_load_le16(p + 14);
    uint64_t len = ww_load_le16(p + 20) | (uint64_t)ww_load_le16(p + 18) << 16;
    uint64_t start = ww_load_le16(p + 22);
    uint16_t raw_start = WRITE_MODE_RAW | WRITE_MODE_MSG_START;
    if ((mode & raw_start) == raw_start && len >= 2) { /* a raw pipe write starts with the message's length */
        start += 2;
        len -= 2;
    }
    smb_open_route(s, 1, SMB1_WRITE_ANDX, fid, start, len);
}

static void smb1_nt_create(struct site *s, uint16_t flags2, struct ww_cursor *params,
                           struct ww_cursor msg, size_t bytes_at)
{
    const uint8_t *p = ww_take_bytes(params, 48);
    if (!p) {
        s->t->stats.truncated++;
        return;
    }
    bool unicode = flags2 & SMB1_FLAGS2_UNICODE;
    size_t at = bytes_at + (unicode && (bytes_at & 1)); /* unicode names are 2-aligned */
    struct ww_cursor name;
    if (!ww_skip(&msg, at) ||
        !ww_take(&msg, min_size(ww_load_le16(p + 5), ww_remaining(&msg)), &name))
        return;
    smb_remember_pipe_name(s->f, name, unicode);
}

static bool is_andx(uint8_t command)
{
    switch (command) {
    case 0x24: case 0x2D: case 0x2E: case 0x2F: case 0x73: case 0x74: case 0x75: case 0xA2:
        return true;
    default:
        return false;
    }
}

static void smb1_request(struct site *s, const uint8_t *msg, size_t len)
{
    struct ww_cursor c = ww_cursor_make(msg, len);
    const uint8_t *hdr = ww_take_bytes(&c, SMB1_HEADER);
    if (!hdr) {
        s->t->stats.truncated++;
        return;
    }
    if (hdr[9] & SMB1_FLAGS_REPLY)
        return;
    struct ww_smb1_ids ids = {ww_load_le16(hdr + 24), ww_load_le16(hdr + 26),
                              ww_load_le16(hdr + 28), ww_load_le16(hdr + 30)};
    uint16_t flags2 = ww_load_le16(hdr + 10);
    uint8_t command = hdr[4];
    size_t at = SMB1_HEADER;
    for (int link = 0; link < SMB1_MAX_CHAIN; link++) {
        struct ww_cursor m = ww_cursor_make(msg, len), params;
        uint8_t words;
        uint16_t byte_count;
        if (!ww_skip(&m, at) || !ww_get_u8(&m, &words) ||
            !ww_take(&m, (size_t)words * 2, &params)) {
            s->t->stats.truncated++;
            return;
        }
        size_t bytes_at = m.pos;
        if (!ww_get_le16(&m, &byte_count))
            bytes_at = len;
        else
            bytes_at += 2;
        struct ww_cursor andx = params;
        ms17_request(s, command, &ids, params);
        switch (command) {
        case SMB1_TRANSACTION: smb1_transact_nmpipe(s, params); break;
        case SMB1_WRITE_ANDX: smb1_write_andx(s, &params); break;
        case SMB1_NT_CREATE_ANDX:
            smb1_nt_create(s, flags2, &params, ww_cursor_make(msg, len), bytes_at);
            break;
        default: break;
        }
        uint8_t next;
        uint16_t next_at;
        if (!is_andx(command) || !ww_get_u8(&andx, &next) || !ww_skip(&andx, 1) ||
            !ww_get_le16(&andx, &next_at) || next == SMB1_ANDX_NONE || next_at <= at ||
            next_at >= len)
            return;
        command = next;
        at = next_at;
    }
}

/* --- SMB2 requests -------------------------------------------------------- */

static uint64_t fold_file_id(const uint8_t *id)
{
    uint64_t persistent = ww_load_le64(id), volatile_part = ww_load_le64(id + 8);
    return persistent ^ (volatile_part << 32 | volatile_part >> 32);
}

static void smb2_request(struct site *s, const uint8_t *msg, size_t len)
{
    size_t at = 0;
    for (int link = 0; link < SMB2_MAX_CHAIN; link++) {
        struct ww_cursor c = ww_cursor_make(msg, len);
        const uint8_t *hdr, *b;
        if (!ww_skip(&c, at) || !(hdr = ww_take_bytes(&c, SMB2_HEADER))) {
            s->t->stats.truncated++;
            return;
        }
        if (memcmp(hdr, "\xfeSMB", 4) != 0 || (ww_load_le32(hdr + 16) & SMB2_FLAGS_RESPONSE))
            return;
        uint16_t command = ww_load_le16(hdr + 12);
        switch (command) {
        case SMB2_CREATE:
            if ((b = ww_take_bytes(&c, 56)) != NULL) {
                struct ww_cursor m = ww_cursor_make(msg, len), name;
                if (ww_skip(&m, at + ww_load_le16(b + 44)) &&
                    ww_take(&m, min_size(ww_load_le16(b + 46), ww_remaining(&m)), &name))
                    smb_remember_pipe_name(s->f, name, true);
            }
            break;
        case SMB2_WRITE:
            if ((b = ww_take_bytes(&c, 48)) != NULL)
                smb_open_route(s, 2, command, fold_file_id(b + 16), at + ww_load_le16(b + 2),
                           ww_load_le32(b + 4));
            break;
        case SMB2_IOCTL:
            if ((b = ww_take_bytes(&c, 56)) != NULL && ww_load_le32(b + 4) == FSCTL_PIPE_TRANSCEIVE)
                smb_open_route(s, 2, command, fold_file_id(b + 8), at + ww_load_le32(b + 24),
                           ww_load_le32(b + 28));
            break;
        default: b = hdr; break;
        }
        if (!b)
            s->t->stats.truncated++;
        uint32_t next = ww_load_le32(hdr + 20);
        if (next < SMB2_HEADER || next > len - at)
            return;
        at += next;
    }
}

/* --- server answers ------------------------------------------------------- */

static bool answer_due(const struct smb_flow *f)
{
    return f->ms08_answer.due || f->ms17.ping_due;
}

/* DCE/RPC bytes of a server message at [start, start + len): the check's answer? */
static void ms08_answer(struct site *s, const uint8_t *msg, size_t msg_len, uint64_t start,
                        uint64_t len)
{
    struct smb_flow *f = s->f;
    struct ww_cursor c = ww_cursor_make(msg, msg_len);
    if (!f->ms08_answer.due || !ww_skip(&c, (size_t)min_size(start, msg_len)))
        return;
    size_t n = (size_t)min_size(len, ww_remaining(&c));
    const uint8_t *pdu = ww_take_bytes(&c, n);
    uint32_t call_id, status;
    bool fault;
    if (!pdu || !ww_dce_answer(pdu, n, &call_id, &status, &fault) ||
        call_id != f->ms08_answer.call_id)
        return;
    s->t->stats.answers++;
    f->ms08_answer.due = false;
    if (fault || status != WERR_INVALID_PARAMETER)
        return;
    struct ww_smb_event ev = f->ms08_answer.check;
    ev.kind = WW_SMB_MS08_067_INFECTED;
    ev.ts_ns = s->ts_ns;
    ev.dcerpc.answer_status = status;
    smb_emit(s, &ev);
}

static void smb1_answer(struct site *s, const uint8_t *msg, size_t len)
{
    struct smb_flow *f = s->f;
    struct ww_cursor c = ww_cursor_make(msg, len);
    const uint8_t *hdr = ww_take_bytes(&c, SMB1_HEADER);
    uint8_t words;
    if (!hdr || !(hdr[9] & SMB1_FLAGS_REPLY) || !ww_get_u8(&c, &words))
        return;
    uint8_t command = hdr[4];
    struct ww_ms17_finding found;
    if (ww_ms17_answer(&f->ms17, command, ww_load_le16(hdr + 30), &found) != WW_MS17_NONE)
        smb_ms17_event(s, command, &found);
    const uint8_t *p = ww_take_bytes(&c, (size_t)words * 2);
    if (!p)
        return;
    if (command == SMB1_READ_ANDX && words >= 12)
        ms08_answer(s, msg, len, ww_load_le16(p + 12), ww_load_le16(p + 10));
    else if (command == SMB1_TRANSACTION && words >= 10)
        ms08_answer(s, msg, len, ww_load_le16(p + 14), ww_load_le16(p + 12));
}

static void smb2_answer(struct site *s, const uint8_t *msg, size_t len)
{
    size_t at = 0;
    for (int link = 0; link < SMB2_MAX_CHAIN; link++) {
        struct ww_cursor c = ww_cursor_make(msg, len);
        const uint8_t *hdr, *b;
        if (!ww_skip(&c, at) || !(hdr = ww_take_bytes(&c, SMB2_HEADER)) ||
            memcmp(hdr, "\xfeSMB", 4) != 0 || !(ww_load_le32(hdr + 16) & SMB2_FLAGS_RESPONSE))
            return;
        uint16_t command = ww_load_le16(hdr + 12);
        if (command == SMB2_READ && (b = ww_take_bytes(&c, 16)) != NULL)
            ms08_answer(s, msg, len, at + b[2], ww_load_le32(b + 4));
        else if (command == SMB2_IOCTL && (b = ww_take_bytes(&c, 48)) != NULL)
            ms08_answer(s, msg, len, at + ww_load_le32(b + 32), ww_load_le32(b + 36));
        uint32_t next = ww_load_le32(hdr + 20);
        if (next < SMB2_HEADER || next > len - at)
            return;
        at += next;
    }
}

/* --- framing callbacks ---------------------------------------------------- */

static void client_head(void *ctx, const uint8_t *head, size_t len, uint32_t msg_len)
{
    struct site *s = ctx;
    s->head = head;
    s->head_len = len;
    s->msg_len = msg_len;
    s->f->route.pipe = 0;
    uint8_t id = 0;
    ww_peek_u8(&(struct ww_cursor){head, len, 0}, 0, &id); /* the framer checked 4 bytes */
    if (id == 0xFF) {
        s->t->stats.smb1++;
        smb1_request(s, head, len);
    } else if (id == 0xFE) {
        s->t->stats.smb2++;
        smb2_request(s, head, len);
    } else {
        s->t->stats.smb2_sealed++;
    }
    smb_route_bytes(s, head, 0, len);
}

static void client_body(void *ctx, const uint8_t *data, uint32_t at, size_t n)
{
    smb_route_bytes(ctx, data, at, n);
}

static void client_lost(void *ctx, uint32_t at, size_t n)
{
    struct site *s = ctx;
    if (s->f->route.pipe && at < s->f->route.end && (uint64_t)at + n > s->f->route.start)
        smb_route_lost(s);
}

static void client_desync(void *ctx)
{
    smb_route_lost(ctx);
}

static void server_head(void *ctx, const uint8_t *head, size_t len, uint32_t msg_len)
{
    struct site *s = ctx;
    s->msg_len = msg_len;
    uint8_t id = 0;
    if (len <= 4) /* only read to stay in step */
        return;
    ww_peek_u8(&(struct ww_cursor){head, len, 0}, 0, &id);
    if (id == 0xFF)
        smb1_answer(s, head, len);
    else if (id == 0xFE)
        smb2_answer(s, head, len);
}

static void ignore_body(void *ctx, const uint8_t *data, uint32_t at, size_t n)
{
    (void)ctx;
    (void)data;
    (void)at;
    (void)n;
}

static void ignore_lost(void *ctx, uint32_t at, size_t n)
{
    (void)ctx;
    (void)at;
    (void)n;
}

static void ignore_desync(void *ctx)
{
    (void)ctx;
}

static bool consume_chunk(struct ww_smb *t, const struct ww_stream_key *key, struct smb_flow *f,
                          const struct ww_stream_chunk *chunk)
{
    struct site s = {t, f, key, chunk->ts_ns, NULL, 0, 0};
    if (chunk->kind == WW_STREAM_END) { /* calls cut short are judged on what was seen */
        for (int i = 0; i < WW_SMB_PIPES; i++)
            if (f->pipe[i].used)
                ww_dce_lost(&f->pipe[i], &t->stats.dce, smb_on_call, &s);
        return true;
    }
    struct ww_nbss *n = &f->up;
    struct ww_nbss_stats *st = &t->stats.framing;
    struct ww_nbss_handler h = {f->up_head, sizeof f->up_head, true, client_head,
                                client_body, client_lost, client_desync, &s};
    if (chunk->dir == WW_STREAM_TO_CLIENT) {
        if (!t->cfg.answers)
            return false;
        n = &f->down;
        st = &t->stats.answer_framing;
        h = (struct ww_nbss_handler){f->down_head, answer_due(f) ? sizeof f->down_head : 4, false,
                                     server_head, ignore_body, ignore_lost, ignore_desync, &s};
    }
    if (chunk->kind == WW_STREAM_GAP) {
        ww_nbss_gap(n, st, &h, chunk->len);
        return true;
    }
    if (!ww_nbss_data(n, st, &h, chunk->data, chunk->len))
        return false;
    /* The rest of a body no pipe reads (a file's data) need not come at all. */
    size_t left = chunk->skip ? ww_nbss_body_left(n) : 0;
    if (left > 0 && !(f->route.pipe && f->route.end > n->msg_pos)) {
        ww_nbss_gap(n, st, &h, left);
        *chunk->skip = left;
    }
    return true;
}

/* Keeps the count of flows owed an answer, which decides whether servers' data is read. */
static bool consume(void *ctx, const struct ww_stream_key *key, void *state,
                    const struct ww_stream_chunk *chunk)
{
    struct ww_smb *t = ctx;
    struct smb_flow *f = state;
    bool was_due = answer_due(f);
    bool more = consume_chunk(t, key, f, chunk);
    bool due = chunk->kind != WW_STREAM_END && answer_due(f);
    if (due && !was_due)
        t->answers_due++;
    else if (was_due && !due)
        t->answers_due--;
    return more;
}

/* --- the interface -------------------------------------------------------- */

bool ww_smb_flow_key(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                     struct ww_stream_key *key, bool *to_server)
{
    if (dport == WW_SMB_PORT || dport == WW_NETBIOS_SESSION_PORT) {
        *key = (struct ww_stream_key){src, dst, sport, dport};
        *to_server = true;
        return true;
    }
    if (sport == WW_SMB_PORT || sport == WW_NETBIOS_SESSION_PORT) {
        *key = (struct ww_stream_key){dst, src, dport, sport};
        *to_server = false;
        return true;
    }
    return false;
}

size_t ww_smb_bytes_per_flow(void)
{
    return ww_stream_bytes_per_flow(sizeof(struct smb_flow), WW_SMB_HOLD);
}

struct ww_smb *ww_smb_new(const struct ww_smb_config *cfg, ww_smb_sink sink, void *sink_ctx)
{
    if (!sink)
        return NULL;
    struct ww_smb *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *cfg;
    t->sink = sink;
    t->sink_ctx = sink_ctx;
    struct ww_stream_config sc = {.memory_bytes = cfg->memory_bytes,
                                  .state_size = sizeof(struct smb_flow),
                                  .hold_bytes = WW_SMB_HOLD,
                                  .idle_timeout_ns = cfg->idle_timeout_ns,
                                  .consumer = consume,
                                  .consumer_ctx = t};
    t->store = ww_stream_new(&sc);
    if (!t->store) {
        free(t);
        return NULL;
    }
    return t;
}

void ww_smb_free(struct ww_smb *t)
{
    if (!t)
        return;
    ww_stream_free(t->store);
    free(t);
}

void ww_smb_segment(struct ww_smb *t, uint32_t hash, const struct ww_stream_key *key,
                    bool to_server, const struct ww_segment *seg)
{
    ww_stream_segment(t->store, hash, key, to_server ? WW_STREAM_TO_SERVER : WW_STREAM_TO_CLIENT,
                      seg);
}

void ww_smb_advance(struct ww_smb *t, uint64_t now_ns)
{
    ww_stream_advance(t->store, now_ns);
}

void ww_smb_flush(struct ww_smb *t)
{
    ww_stream_flush(t->store);
}

const struct ww_smb_stats *ww_smb_stats(const struct ww_smb *t)
{
    return &t->stats;
}

const struct ww_stream_stats *ww_smb_stream_stats(const struct ww_smb *t)
{
    return ww_stream_stats(t->store);
}

const struct ww_flow_skips *ww_smb_skips(const struct ww_smb *t)
{
    return ww_stream_skips(t->store);
}

const uint32_t *ww_smb_answers_due(const struct ww_smb *t)
{
    return &t->answers_due;
}

uint32_t ww_smb_capacity(const struct ww_smb *t)
{
    return ww_stream_capacity(t->store);
}

const char *ww_smb_kind_name(enum ww_smb_kind kind)
{
    switch (kind) {
    case WW_SMB_MS08_067_EXPLOIT: return "ms08_067_exploit";
    case WW_SMB_MS08_067_CHECK: return "ms08_067_check";
    case WW_SMB_MS08_067_INFECTED: return "ms08_067_infected";
    case WW_SMB_MS17_010_EXPLOIT: return "ms17_010_exploit";
    case WW_SMB_MS17_010_CHECK: return "ms17_010_check";
    case WW_SMB_MS17_010_DOUBLEPULSAR_PING: return "ms17_010_doublepulsar_ping";
    case WW_SMB_MS17_010_DOUBLEPULSAR_EXEC: return "ms17_010_doublepulsar_exec";
    case WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT: return "ms17_010_doublepulsar_implant";
    case WW_SMB_KIND__COUNT: break;
    }
    return "unknown";
}

const char *ww_smb_command_name(uint8_t dialect, uint16_t command)
{
    if (dialect == 2) {
        switch (command) {
        case SMB2_CREATE: return "SMB2_COMMAND_CREATE";
        case SMB2_READ: return "SMB2_COMMAND_READ";
        case SMB2_WRITE: return "SMB2_COMMAND_WRITE";
        case SMB2_IOCTL: return "SMB2_COMMAND_IOCTL";
        default: return "SMB2_COMMAND_UNKNOWN";
        }
    }
    switch (command) {
    case SMB1_TRANSACTION: return "SMB1_COMMAND_TRANS";
    case SMB1_READ_ANDX: return "SMB1_COMMAND_READ_ANDX";
    case SMB1_WRITE_ANDX: return "SMB1_COMMAND_WRITE_ANDX";
    case WW_SMB1_TRANSACTION2: return "SMB1_COMMAND_TRANS2";
    case WW_SMB1_TRANSACTION2_SECONDARY: return "SMB1_COMMAND_TRANS2_SECONDARY";
    case WW_SMB1_NT_TRANSACT: return "SMB1_COMMAND_NT_TRANS";
    case SMB1_NT_CREATE_ANDX: return "SMB1_COMMAND_NT_CREATE_ANDX";
    default: return "SMB1_COMMAND_UNKNOWN";
    }
}
