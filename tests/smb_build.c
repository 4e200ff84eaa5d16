/*
 * smb_build: see smb_build.h.
 */
#include "smb_build.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/decode.h"

/* --- byte builders ---------------------------------------------------------- */


void put(struct buf *o, const void *data, size_t len)
{
    if (len == 0)
        return;
    assert_true(o->n + len <= sizeof o->b);
    memcpy(o->b + o->n, data, len);
    o->n += len;
}

void u8(struct buf *o, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(o, &b, 1);
}

void le16(struct buf *o, unsigned v)
{
    u8(o, v & 0xFF);
    u8(o, (v >> 8) & 0xFF);
}

void le32(struct buf *o, uint32_t v)
{
    le16(o, v & 0xFFFF);
    le16(o, v >> 16);
}

void be16(struct buf *o, unsigned v)
{
    u8(o, (v >> 8) & 0xFF);
    u8(o, v & 0xFF);
}

void be32(struct buf *o, uint32_t v)
{
    be16(o, v >> 16);
    be16(o, v & 0xFFFF);
}

void zeros(struct buf *o, size_t n)
{
    while (n--)
        u8(o, 0);
}

void align(struct buf *o, size_t to)
{
    while (o->n % to)
        u8(o, 0);
}

void set_le16(struct buf *o, size_t at, unsigned v)
{
    o->b[at] = (uint8_t)(v & 0xFF);
    o->b[at + 1] = (uint8_t)(v >> 8);
}

/* --- DCE/RPC ------------------------------------------------------------------ */

static const uint8_t ndr_uuid[16] = {0x8a, 0x88, 0x5d, 0x04, 0x1c, 0xeb, 0x11, 0xc9,
                                     0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};
static const uint8_t other_uuid[16] = {0x12, 0x34, 0x57, 0x78, 0x12, 0x34, 0xab, 0xcd,
                                       0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab};

struct ndr {
    struct buf *o;
    bool le;
};

static void n16(struct ndr *w, unsigned v)
{
    w->le ? le16(w->o, v) : be16(w->o, v);
}

static void n32(struct ndr *w, uint32_t v)
{
    w->le ? le32(w->o, v) : be32(w->o, v);
}

static void uuid(struct ndr *w, const uint8_t u[16])
{
    n32(w, (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3]);
    n16(w, (unsigned)u[4] << 8 | u[5]);
    n16(w, (unsigned)u[6] << 8 | u[7]);
    put(w->o, u + 8, 8);
}

static size_t dce_header(struct ndr *w, unsigned ptype, unsigned flags, uint32_t call_id)
{
    size_t start = w->o->n;
    u8(w->o, 5);
    u8(w->o, 0);
    u8(w->o, ptype);
    u8(w->o, flags);
    u8(w->o, w->le ? 0x10 : 0x00);
    zeros(w->o, 3);
    n16(w, 0); /* frag_length, set at the end */
    n16(w, 0);
    n32(w, call_id);
    return start;
}

static void dce_finish(struct ndr *w, size_t start)
{
    size_t len = w->o->n - start;
    w->o->b[start + 8] = (uint8_t)(w->le ? len & 0xFF : len >> 8);
    w->o->b[start + 9] = (uint8_t)(w->le ? len >> 8 : len & 0xFF);
}

/* A bind offering `count` contexts: context i has id i, SRVSVC at `srvsvc_at` (-1: none). */
void dce_bind(struct buf *o, bool le, unsigned count, int srvsvc_at)
{
    struct ndr w = {o, le};
    size_t start = dce_header(&w, 11, 3, 1);
    n16(&w, 4280);
    n16(&w, 4280);
    n32(&w, 0);
    u8(o, count);
    zeros(o, 3);
    for (unsigned i = 0; i < count; i++) {
        n16(&w, i);
        u8(o, 1);
        u8(o, 0);
        uuid(&w, (int)i == srvsvc_at ? ww_srvsvc_uuid : other_uuid);
        n16(&w, 3);
        n16(&w, 0);
        uuid(&w, ndr_uuid);
        n32(&w, 2);
    }
    dce_finish(&w, start);
}

void dce_request(struct buf *o, bool le, unsigned flags, uint32_t call_id, unsigned ctx,
                        unsigned opnum, uint32_t alloc_hint, const uint8_t *stub, size_t len)
{
    struct ndr w = {o, le};
    size_t start = dce_header(&w, 0, flags, call_id);
    n32(&w, alloc_hint);
    n16(&w, ctx);
    n16(&w, opnum);
    put(o, stub, len);
    dce_finish(&w, start);
}

static void ndr_string(struct ndr *w, const uint16_t *units, size_t count)
{
    n32(w, (uint32_t)count);
    n32(w, 0);
    n32(w, (uint32_t)count);
    for (size_t i = 0; i < count; i++)
        n16(w, units[i]);
    align(w->o, 4);
}

static size_t ascii_units(const char *s, uint16_t *out)
{
    size_t n = 0;
    while (*s)
        out[n++] = (uint8_t)*s++;
    out[n++] = 0;
    return n;
}

/* NetprPathCanonicalize's (or NetprPathCompare's) stub, the path as UTF-16 units. */
static void path_stub(struct buf *o, bool le, unsigned opnum, const uint16_t *path, size_t units)
{
    struct ndr w = {o, le};
    uint16_t server[32], rest[8];
    size_t server_units = ascii_units("\\\\10.1.1.10", server);
    n32(&w, 0x00020000); /* referent of the [unique] server name */
    ndr_string(&w, server, server_units);
    ndr_string(&w, path, units);
    if (opnum == WW_SRVSVC_OPNUM_PATH_CANONICALIZE) {
        n32(&w, 2); /* maxbuf */
        ndr_string(&w, rest, ascii_units("\\", rest));
        n32(&w, 1);
        n32(&w, 1);
    } else {
        ndr_string(&w, rest, ascii_units("\\n", rest));
        n32(&w, 1);
        n32(&w, 0);
    }
}

void ascii_path_stub(struct buf *o, bool le, unsigned opnum, const char *path)
{
    uint16_t units[400];
    assert_true(strlen(path) < 399);
    path_stub(o, le, opnum, units, ascii_units(path, units));
}

/* An exploit's path: "\", code (units from pseudo-random bytes), "\..\..\", NUL. */
void exploit_path_stub(struct buf *o, size_t code_units)
{
    uint16_t units[600];
    size_t n = 0;
    uint32_t x = 12345;
    units[n++] = '\\';
    for (size_t i = 0; i < code_units; i++) {
        x = x * 1103515245u + 12345u;
        units[n++] = (uint16_t)(x >> 8) | 0x0100; /* never a NUL or ASCII */
    }
    const char *climb = "\\..\\..\\";
    while (*climb)
        units[n++] = (uint8_t)*climb++;
    units[n++] = 0;
    path_stub(o, true, WW_SRVSVC_OPNUM_PATH_CANONICALIZE, units, n);
}

/* --- SMB1 -------------------------------------------------------------------- */

#define FLAGS2_UNICODE 0xC807
#define TID 2048
#define PID 0xFEFF
#define UID 2049

void smb1_header(struct buf *o, unsigned command, unsigned flags, unsigned mid)
{
    put(o, "\xffSMB", 4);
    u8(o, command);
    le32(o, 0);
    u8(o, flags);
    le16(o, FLAGS2_UNICODE);
    zeros(o, 12);
    le16(o, TID);
    le16(o, PID);
    le16(o, UID);
    le16(o, mid);
}

void smb1_nt_create(struct buf *o, const char *name)
{
    smb1_header(o, 0xA2, 0x18, 10);
    u8(o, 24);
    u8(o, 0xFF);
    zeros(o, 3);
    u8(o, 0);
    size_t name_len_at = o->n;
    le16(o, 0);
    zeros(o, 48 - 7);
    size_t bcc_at = o->n;
    le16(o, 0);
    align(o, 2);
    size_t name_at = o->n;
    for (const char *p = name; *p; p++)
        le16(o, (uint8_t)*p);
    set_le16(o, name_len_at, (unsigned)(o->n - name_at));
    le16(o, 0);
    set_le16(o, bcc_at, (unsigned)(o->n - bcc_at - 2));
}

void smb1_write_andx(struct buf *o, unsigned fid, const uint8_t *data, size_t len)
{
    smb1_header(o, 0x2F, 0x18, 11);
    u8(o, 14);
    u8(o, 0xFF);
    u8(o, 0);
    le16(o, 0);
    le16(o, fid);
    le32(o, 0);
    le32(o, 0xFFFFFFFF);
    le16(o, 0x0008);
    le16(o, (unsigned)len);
    le16(o, 0);
    le16(o, (unsigned)len);
    le16(o, 63);
    le32(o, 0);
    le16(o, (unsigned)len);
    put(o, data, len);
}

/* TRANSACTION with two setup words (TransactNmPipe 0x26, PeekNamedPipe 0x23). */
void smb1_transaction(struct buf *o, unsigned op, unsigned fid, const uint8_t *data,
                             size_t len)
{
    smb1_header(o, 0x25, 0x18, 12);
    u8(o, 16);
    le16(o, 0);
    le16(o, (unsigned)len);
    le16(o, 0);
    le16(o, 1024);
    u8(o, 0);
    u8(o, 0);
    le16(o, 0);
    le32(o, 0);
    le16(o, 0);
    le16(o, 0);
    le16(o, 84);
    le16(o, (unsigned)len);
    le16(o, 84);
    u8(o, 2);
    u8(o, 0);
    le16(o, op);
    le16(o, fid);
    size_t bcc_at = o->n;
    le16(o, 0);
    align(o, 2);
    for (const char *p = "\\PIPE\\"; *p; p++)
        le16(o, (uint8_t)*p);
    le16(o, 0);
    align(o, 4);
    assert_int_equal(o->n, 84);
    put(o, data, len);
    set_le16(o, bcc_at, (unsigned)(o->n - bcc_at - 2));
}

void smb1_trans2(struct buf *o, unsigned mid, unsigned subcommand, uint32_t timeout)
{
    smb1_header(o, 0x32, 0x18, mid);
    u8(o, 15);
    le16(o, 12);
    le16(o, 0);
    le16(o, 1);
    le16(o, 0);
    u8(o, 0);
    u8(o, 0);
    le16(o, 0);
    le32(o, timeout);
    le16(o, 0);
    le16(o, 12);
    le16(o, 66);
    le16(o, 0);
    le16(o, 78);
    u8(o, 1);
    u8(o, 0);
    le16(o, subcommand);
    le16(o, 13);
    zeros(o, 13);
}

void smb1_nt_transact(struct buf *o, unsigned mid, uint32_t total_data, uint32_t data)
{
    smb1_header(o, 0xA0, 0x18, mid);
    u8(o, 20);
    u8(o, 1);
    le16(o, 0);
    le32(o, 30);
    le32(o, total_data);
    le32(o, 30);
    le32(o, 0);
    le32(o, 30);
    le32(o, 76);
    le32(o, data);
    le32(o, 108);
    u8(o, 1);
    le16(o, 0);
    le16(o, 0);
    le16(o, (unsigned)(data + 33));
    zeros(o, data + 33);
}

void smb1_trans2_secondary(struct buf *o, unsigned mid, unsigned displacement)
{
    smb1_header(o, 0x33, 0x18, mid);
    u8(o, 9);
    le16(o, 0);
    le16(o, 4096);
    le16(o, 0);
    le16(o, 0);
    le16(o, 0);
    le16(o, 256);
    le16(o, 53);
    le16(o, displacement);
    le16(o, 0);
    le16(o, 256);
    zeros(o, 256);
}

/* The server's READ_ANDX answer carrying one DCE/RPC PDU. */
void smb1_read_answer(struct buf *o, const uint8_t *data, size_t len)
{
    smb1_header(o, 0x2E, 0x98, 13);
    u8(o, 12);
    u8(o, 0xFF);
    zeros(o, 3);
    le16(o, 0xFFFF);
    le16(o, 0);
    le16(o, 0);
    le16(o, (unsigned)len);
    le16(o, 60);
    zeros(o, 10);
    le16(o, (unsigned)len + 1);
    u8(o, 0);
    put(o, data, len);
}

/* A DCE/RPC response whose stub ends with `werror` (a NetprPathCanonicalize answer). */
void dce_canonicalize_answer(struct buf *o, uint32_t call_id, uint32_t werror)
{
    struct ndr w = {o, true};
    size_t start = dce_header(&w, 2, 3, call_id);
    le32(o, 16);
    le16(o, 0);
    le16(o, 0);
    le32(o, 2);
    le16(o, 0x005c);
    le16(o, 0);
    le32(o, 1);
    le32(o, werror);
    dce_finish(&w, start);
}

/* --- SMB2 ---------------------------------------------------------------------- */

static const uint8_t file_id[16] = {1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0};

void smb2_header(struct buf *o, unsigned command, uint32_t flags, uint64_t message_id)
{
    put(o, "\xfeSMB", 4);
    le16(o, 64);
    le16(o, 1);
    le32(o, 0);
    le16(o, command);
    le16(o, 1);
    le32(o, flags);
    le32(o, 0);
    le32(o, (uint32_t)message_id);
    le32(o, 0);
    le32(o, 0xFEFF);
    le32(o, 1);
    le32(o, 0x1234);
    le32(o, 0);
    zeros(o, 16);
}

void smb2_create(struct buf *o, const char *name)
{
    smb2_header(o, 5, 0, 4);
    le16(o, 57);
    u8(o, 0);
    u8(o, 0);
    le32(o, 2);
    zeros(o, 16);
    le32(o, 0x0012019F);
    le32(o, 0);
    le32(o, 7);
    le32(o, 1);
    le32(o, 0);
    le16(o, 120);
    size_t len_at = o->n;
    le16(o, 0);
    le32(o, 0);
    le32(o, 0);
    size_t name_at = o->n;
    for (const char *p = name; *p; p++)
        le16(o, (uint8_t)*p);
    set_le16(o, len_at, (unsigned)(o->n - name_at));
}

void smb2_ioctl(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len)
{
    smb2_header(o, 0x0B, 0, message_id);
    le16(o, 57);
    le16(o, 0);
    le32(o, 0x0011C017);
    put(o, file_id, 16);
    le32(o, 120);
    le32(o, (uint32_t)len);
    le32(o, 0);
    le32(o, 120);
    le32(o, 0);
    le32(o, 1024);
    le32(o, 1);
    le32(o, 0);
    put(o, data, len);
}

void smb2_write(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len)
{
    smb2_header(o, 0x09, 0, message_id);
    le16(o, 49);
    le16(o, 112);
    le32(o, (uint32_t)len);
    zeros(o, 8);
    put(o, file_id, 16);
    zeros(o, 16);
    put(o, data, len);
}

void smb2_ioctl_answer(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len)
{
    smb2_header(o, 0x0B, 1, message_id);
    le16(o, 49);
    le16(o, 0);
    le32(o, 0x0011C017);
    put(o, file_id, 16);
    le32(o, 112);
    le32(o, 0);
    le32(o, 112);
    le32(o, (uint32_t)len);
    le32(o, 0);
    le32(o, 0);
    put(o, data, len);
}

/* --- the flow ---------------------------------------------------------------------- */


struct smb_fixture fx;

void record(void *ctx, const struct ww_smb_event *ev)
{
    struct smb_fixture *f = ctx;
    assert_true(f->events < MAX_EVENTS);
    f->event[f->events++] = *ev;
}

int smb_setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    struct ww_smb_config cfg = {.memory_bytes = 16 * ww_smb_bytes_per_flow(),
                                .idle_timeout_ns = 60 * NS_PER_SEC,
                                .answers = true};
    fx.smb = ww_smb_new(&cfg, record, &fx);
    assert_non_null(fx.smb);
    fx.client_seq = 1000;
    fx.server_seq = 50000;
    fx.port = 445;
    fx.segment = 1460;
    fx.now = T0;
    return 0;
}

int smb_teardown(void **state)
{
    (void)state;
    ww_smb_free(fx.smb);
    return 0;
}

void segment(bool to_server, uint32_t seq, const uint8_t *data, size_t len, uint8_t flags)
{
    struct ww_stream_key key;
    bool dir;
    uint32_t src = to_server ? CLIENT : SERVER, dst = to_server ? SERVER : CLIENT;
    uint16_t sport = to_server ? 1038 : fx.port, dport = to_server ? fx.port : 1038;
    assert_true(ww_smb_flow_key(src, dst, sport, dport, &key, &dir));
    assert_int_equal(dir, to_server);
    fx.now += 1000000;
    struct ww_segment seg = {fx.now, seq, flags, data, len, len};
    ww_smb_segment(fx.smb, key.client_port * 31u, &key, to_server, &seg);
}

/* Bytes from the client, cut into fx.segment-byte segments. */
void client_bytes(const uint8_t *data, size_t len)
{
    for (size_t at = 0; at < len; at += fx.segment) {
        size_t n = len - at < fx.segment ? len - at : fx.segment;
        segment(true, fx.client_seq, data + at, n, WW_TCP_ACK | WW_TCP_PSH);
        fx.client_seq += (uint32_t)n;
    }
}

/* One NetBIOS session message (type 0) around `body`. */
void client_message(const struct buf *body)
{
    static struct buf m;
    m.n = 0;
    u8(&m, 0);
    u8(&m, (body->n >> 16) & 0xFF);
    be16(&m, body->n & 0xFFFF);
    put(&m, body->b, body->n);
    client_bytes(m.b, m.n);
}

void server_message(const struct buf *body)
{
    static struct buf m;
    m.n = 0;
    u8(&m, 0);
    u8(&m, 0);
    be16(&m, (unsigned)body->n);
    put(&m, body->b, body->n);
    segment(false, fx.server_seq, m.b, m.n, WW_TCP_ACK | WW_TCP_PSH);
    fx.server_seq += (uint32_t)m.n;
}

/* NT_CREATE_ANDX of a pipe, then a WRITE_ANDX of `dce` into FID 0x4000. */
void smb1_pipe_write(const char *pipe, const struct buf *dce)
{
    static struct buf m;
    if (pipe) {
        m.n = 0;
        smb1_nt_create(&m, pipe);
        client_message(&m);
    }
    m.n = 0;
    smb1_write_andx(&m, 0x4000, dce->b, dce->n);
    client_message(&m);
}

void bind_srvsvc(const char *pipe, unsigned contexts, int srvsvc_at)
{
    static struct buf dce;
    dce.n = 0;
    dce_bind(&dce, true, contexts, srvsvc_at);
    smb1_pipe_write(pipe, &dce);
}

void request(unsigned ctx, unsigned opnum, const struct buf *stub)
{
    static struct buf dce;
    dce.n = 0;
    dce_request(&dce, true, 3, 7, ctx, opnum, (uint32_t)stub->n, stub->b, stub->n);
    smb1_pipe_write(NULL, &dce);
}

void assert_one(enum ww_smb_kind kind)
{
    if (fx.events != 1 || fx.event[0].kind != kind)
        fail_msg("want one %s, have %zu findings, the first %s", ww_smb_kind_name(kind),
                 fx.events, fx.events ? ww_smb_kind_name(fx.event[0].kind) : "-");
    assert_int_equal(fx.event[0].flow.client, CLIENT);
    assert_int_equal(fx.event[0].flow.server, SERVER);
    assert_int_equal(fx.event[0].flow.client_port, 1038);
    assert_int_equal(fx.event[0].flow.server_port, fx.port);
}

struct buf conficker_stub(void)
{
    struct buf stub = {.n = 0};
    ascii_path_stub(&stub, true, WW_SRVSVC_OPNUM_PATH_CANONICALIZE, "\\..\\");
    return stub;
}

/* smb-vuln-conficker's check, and the answer of a host Conficker patched in memory. */