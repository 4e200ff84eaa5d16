/*
 * The SMB stage's events and its named pipes (smb_flow.h): which FID is
 * which pipe, the byte range of a client message that is DCE/RPC (the
 * route) fed to that pipe's parser (dcerpc.c), and the calls it reports.
 * smb.c reads the SMB messages; this file is what they lead to.
 */
#include <stdlib.h>
#include <string.h>

#include "smb_flow.h"

/* --- events --------------------------------------------------------------- */

static void event_init(struct site *s, enum ww_smb_kind kind, uint8_t dialect,
                       uint16_t command, struct ww_smb_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->ts_ns = s->ts_ns;
    ev->flow = *s->key;
    ev->smb.dialect = dialect;
    ev->smb.command = command;
}

void smb_emit(struct site *s, const struct ww_smb_event *ev)
{
    s->t->stats.shapes[ev->kind]++;
    uint16_t bit = (uint16_t)(1u << ev->kind);
    if (s->f->reported & bit)
        return;
    s->f->reported |= bit;
    s->t->stats.events[ev->kind]++;
    s->t->sink(s->t->sink_ctx, ev);
}

void smb_ms17_event(struct site *s, uint8_t command, const struct ww_ms17_finding *found)
{
    static const enum ww_smb_kind kind[] = {
        [WW_MS17_EXPLOIT] = WW_SMB_MS17_010_EXPLOIT,
        [WW_MS17_CHECK] = WW_SMB_MS17_010_CHECK,
        [WW_MS17_PING] = WW_SMB_MS17_010_DOUBLEPULSAR_PING,
        [WW_MS17_COMMAND] = WW_SMB_MS17_010_DOUBLEPULSAR_EXEC,
        [WW_MS17_IMPLANT] = WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT,
    };
    struct ww_smb_event ev;
    event_init(s, kind[found->shape], 1, command, &ev);
    ev.smb.mid = found->mid;
    ev.ms17.nt_total_data = found->nt_total_data;
    ev.ms17.nt_function = found->nt_function;
    ev.ms17.fid = found->fid;
    ev.ms17.timeout = found->timeout;
    ev.ms17.opcode = found->opcode;
    smb_emit(s, &ev);
}

/* --- DCE/RPC calls -------------------------------------------------------- */

void smb_on_call(void *ctx, struct ww_dce_pipe *pipe, const struct ww_dce_call *call)
{
    struct site *s = ctx;
    if (call->opnum != WW_SRVSVC_OPNUM_PATH_CANONICALIZE &&
        call->opnum != WW_SRVSVC_OPNUM_PATH_COMPARE)
        return;
    if (call->bound && !call->srvsvc) /* the same opnum of another interface */
        return;
    struct ww_ms08_path path;
    enum ww_ms08_verdict verdict = ww_ms08_judge(call, &path);
    if (verdict == WW_MS08_NONE)
        return;
    struct ww_smb_event ev;
    event_init(s, verdict == WW_MS08_EXPLOIT ? WW_SMB_MS08_067_EXPLOIT : WW_SMB_MS08_067_CHECK,
               pipe->carrier_dialect, pipe->carrier_command, &ev);
    memcpy(ev.smb.named_pipe, pipe->name, sizeof ev.smb.named_pipe);
    ev.has_dcerpc = true;
    ev.dcerpc.interface_known = call->srvsvc;
    if (call->srvsvc)
        memcpy(ev.dcerpc.interface_uuid, ww_srvsvc_uuid, 16);
    ev.dcerpc.opnum = call->opnum;
    ev.dcerpc.context_id = call->context_id;
    ev.dcerpc.call_id = call->call_id;
    ev.dcerpc.bind_contexts = call->bind_contexts;
    ev.dcerpc.fragments = call->fragments;
    ev.dcerpc.request_bytes = call->request_bytes;
    ev.dcerpc.stub_bytes = call->stub_bytes;
    ev.dcerpc.alloc_hint = call->alloc_hint;
    ev.dcerpc.path_units = path.units;
    ev.dcerpc.path_examined = path.examined;
    ev.dcerpc.path_nonascii = path.nonascii;
    ev.dcerpc.path_climbs = path.climbs;
    smb_emit(s, &ev);
    if (verdict == WW_MS08_CHECK && s->t->cfg.answers) {
        s->f->ms08_answer.due = true;
        s->f->ms08_answer.call_id = call->call_id;
        s->f->ms08_answer.check = ev;
    }
}

/* --- named pipes ---------------------------------------------------------- */

static int find_pipe(const struct smb_flow *f, uint64_t fid)
{
    for (int i = 0; i < WW_SMB_PIPES; i++)
        if (f->pipe[i].used && f->pipe[i].fid == fid)
            return i;
    return -1;
}

static int new_pipe(struct site *s, uint64_t fid)
{
    struct smb_flow *f = s->f;
    int pick = 0;
    for (int i = 0; i < WW_SMB_PIPES; i++) {
        if (!f->pipe[i].used) {
            pick = i;
            break;
        }
        if (f->pipe_touched[i] < f->pipe_touched[pick])
            pick = i;
    }
    struct ww_dce_pipe *p = &f->pipe[pick];
    if (p->used) {
        s->t->stats.pipes_replaced++;
        ww_dce_lost(p, &s->t->stats.dce, smb_on_call, s);
    }
    memset(p, 0, sizeof *p);
    p->used = true;
    p->fid = fid;
    memcpy(p->name, f->pending_name, sizeof p->name);
    f->pending_name[0] = '\0';
    s->t->stats.pipes++;
    return pick;
}

/*
 * A write of `len` bytes at message offset `start` into `fid`: the route of
 * this message, if the FID is a pipe followed or the data starts a PDU.
 */
void smb_open_route(struct site *s, uint8_t dialect, uint16_t command, uint64_t fid,
                    uint64_t start, uint64_t len)
{
    struct smb_flow *f = s->f;
    if (f->route.pipe || start >= s->msg_len || len == 0)
        return;
    uint64_t end = start + len < s->msg_len ? start + len : s->msg_len;
    int i = find_pipe(f, fid);
    if (i < 0) {
        struct ww_cursor c = ww_cursor_make(s->head, s->head_len);
        uint8_t version, minor;
        if (!ww_skip(&c, (size_t)start) || !ww_get_u8(&c, &version) || !ww_get_u8(&c, &minor) ||
            version != 5 || minor > 1)
            return;
        i = new_pipe(s, fid);
    }
    struct ww_dce_pipe *p = &f->pipe[i];
    p->carrier_dialect = dialect;
    p->carrier_command = command;
    f->pipe_touched[i] = ++f->pipe_clock;
    f->route.pipe = (uint8_t)(i + 1);
    f->route.start = (uint32_t)start;
    f->route.end = (uint32_t)end;
}

/* The part of the route inside message bytes [at, at + n). */
void smb_route_bytes(struct site *s, const uint8_t *data, uint32_t at, size_t n)
{
    struct smb_flow *f = s->f;
    if (!f->route.pipe)
        return;
    uint64_t lo = at > f->route.start ? at : f->route.start;
    uint64_t hi = (uint64_t)at + n < f->route.end ? (uint64_t)at + n : f->route.end;
    if (lo >= hi)
        return;
    struct ww_cursor c = ww_cursor_make(data, n);
    ww_skip(&c, (size_t)(lo - at));
    const uint8_t *p = ww_take_bytes(&c, (size_t)(hi - lo));
    ww_dce_feed(&f->pipe[f->route.pipe - 1], &s->t->stats.dce, p, (size_t)(hi - lo),
                lo == f->route.start, smb_on_call, s);
}

/* Bytes the route needed were lost: its pipe is out of step. */
void smb_route_lost(struct site *s)
{
    struct smb_flow *f = s->f;
    if (f->route.pipe)
        ww_dce_lost(&f->pipe[f->route.pipe - 1], &s->t->stats.dce, smb_on_call, s);
    f->route.pipe = 0;
}

/* A pipe's name as the client opened it: lower case, without "\" or "\pipe\". */
void smb_remember_pipe_name(struct smb_flow *f, struct ww_cursor name, bool unicode)
{
    char out[WW_DCE_PIPE_NAME + 8];
    size_t n = 0;
    uint16_t unit = 0;
    uint8_t byte = 0;
    while (n < sizeof out - 1 && (unicode ? ww_get_le16(&name, &unit) : ww_get_u8(&name, &byte))) {
        unsigned ch = unicode ? unit : byte;
        if (ch == 0)
            break;
        if (ch >= 'A' && ch <= 'Z')
            ch += 'a' - 'A';
        out[n++] = ch >= 0x20 && ch < 0x7F ? (char)ch : '?';
    }
    out[n] = '\0';
    const char *name_start = out;
    while (*name_start == '\\')
        name_start++;
    if (strncmp(name_start, "pipe\\", 5) == 0)
        name_start += 5;
    size_t len = strlen(name_start);
    if (len >= WW_DCE_PIPE_NAME)
        len = WW_DCE_PIPE_NAME - 1;
    memcpy(f->pending_name, name_start, len);
    f->pending_name[len] = '\0';
}
