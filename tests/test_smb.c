/*
 * Unit tests for the SMB stage (smb.h, nbss.h, dcerpc.h) on messages built
 * here byte by byte.
 *
 * The builders follow the wire layouts of MS-CIFS, MS-SMB2 and DCE/RPC 1.1
 * and the shapes of the tools: nmap's smb-vuln-ms08-067 (NetprPathCompare of
 * "\AAAA...\..\n") and smb-vuln-conficker (NetprPathCanonicalize of "\..\",
 * answered WERR_INVALID_PARAMETER by Conficker's patch), a long path of
 * machine code for the exploit, the MS17-010 shapes. Each test feeds a TCP
 * flow through ww_smb_segment() and checks the exact findings and counters;
 * the hostile ones lie about lengths, cut headers, never end their fragments
 * or wrap their sequence numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wormwatch/decode.h"
#include "wormwatch/smb.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define NS_PER_SEC 1000000000ULL
#define T0 (1238414400ULL * NS_PER_SEC)
#define MAX_EVENTS 16
#define CLIENT IP4(10, 1, 1, 66)
#define SERVER IP4(10, 1, 1, 10)

/* --- byte builders ---------------------------------------------------------- */

struct buf {
    uint8_t b[40000];
    size_t n;
};

static void put(struct buf *o, const void *data, size_t len)
{
    if (len == 0)
        return;
    assert_true(o->n + len <= sizeof o->b);
    memcpy(o->b + o->n, data, len);
    o->n += len;
}

static void u8(struct buf *o, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(o, &b, 1);
}

static void le16(struct buf *o, unsigned v)
{
    u8(o, v & 0xFF);
    u8(o, (v >> 8) & 0xFF);
}

static void le32(struct buf *o, uint32_t v)
{
    le16(o, v & 0xFFFF);
    le16(o, v >> 16);
}

static void be16(struct buf *o, unsigned v)
{
    u8(o, (v >> 8) & 0xFF);
    u8(o, v & 0xFF);
}

static void be32(struct buf *o, uint32_t v)
{
    be16(o, v >> 16);
    be16(o, v & 0xFFFF);
}

static void zeros(struct buf *o, size_t n)
{
    while (n--)
        u8(o, 0);
}

static void align(struct buf *o, size_t to)
{
    while (o->n % to)
        u8(o, 0);
}

static void set_le16(struct buf *o, size_t at, unsigned v)
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
static void dce_bind(struct buf *o, bool le, unsigned count, int srvsvc_at)
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

static void dce_request(struct buf *o, bool le, unsigned flags, uint32_t call_id, unsigned ctx,
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

static void ascii_path_stub(struct buf *o, bool le, unsigned opnum, const char *path)
{
    uint16_t units[400];
    assert_true(strlen(path) < 399);
    path_stub(o, le, opnum, units, ascii_units(path, units));
}

/* An exploit's path: "\", code (units from pseudo-random bytes), "\..\..\", NUL. */
static void exploit_path_stub(struct buf *o, size_t code_units)
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

static void smb1_header(struct buf *o, unsigned command, unsigned flags, unsigned mid)
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

static void smb1_nt_create(struct buf *o, const char *name)
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

static void smb1_write_andx(struct buf *o, unsigned fid, const uint8_t *data, size_t len)
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
static void smb1_transaction(struct buf *o, unsigned op, unsigned fid, const uint8_t *data,
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

static void smb1_trans2(struct buf *o, unsigned mid, unsigned subcommand, uint32_t timeout)
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

static void smb1_nt_transact(struct buf *o, unsigned mid, uint32_t total_data, uint32_t data)
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

static void smb1_trans2_secondary(struct buf *o, unsigned mid, unsigned displacement)
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
static void smb1_read_answer(struct buf *o, const uint8_t *data, size_t len)
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
static void dce_canonicalize_answer(struct buf *o, uint32_t call_id, uint32_t werror)
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

static void smb2_header(struct buf *o, unsigned command, uint32_t flags, uint64_t message_id)
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

static void smb2_create(struct buf *o, const char *name)
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

static void smb2_ioctl(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len)
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

static void smb2_write(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len)
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

static void smb2_ioctl_answer(struct buf *o, uint64_t message_id, const uint8_t *data, size_t len)
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

struct fixture {
    struct ww_smb *smb;
    struct ww_smb_event event[MAX_EVENTS];
    size_t events;
    uint32_t client_seq, server_seq;
    uint16_t port;      /* server port */
    size_t segment;     /* client bytes per segment */
    uint64_t now;
};

static struct fixture fx;

static void record(void *ctx, const struct ww_smb_event *ev)
{
    struct fixture *f = ctx;
    assert_true(f->events < MAX_EVENTS);
    f->event[f->events++] = *ev;
}

static int setup(void **state)
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

static int teardown(void **state)
{
    (void)state;
    ww_smb_free(fx.smb);
    return 0;
}

static void segment(bool to_server, uint32_t seq, const uint8_t *data, size_t len, uint8_t flags)
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
static void client_bytes(const uint8_t *data, size_t len)
{
    for (size_t at = 0; at < len; at += fx.segment) {
        size_t n = len - at < fx.segment ? len - at : fx.segment;
        segment(true, fx.client_seq, data + at, n, WW_TCP_ACK | WW_TCP_PSH);
        fx.client_seq += (uint32_t)n;
    }
}

/* One NetBIOS session message (type 0) around `body`. */
static void client_message(const struct buf *body)
{
    static struct buf m;
    m.n = 0;
    u8(&m, 0);
    u8(&m, (body->n >> 16) & 0xFF);
    be16(&m, body->n & 0xFFFF);
    put(&m, body->b, body->n);
    client_bytes(m.b, m.n);
}

static void server_message(const struct buf *body)
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
static void smb1_pipe_write(const char *pipe, const struct buf *dce)
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

static void bind_srvsvc(const char *pipe, unsigned contexts, int srvsvc_at)
{
    static struct buf dce;
    dce.n = 0;
    dce_bind(&dce, true, contexts, srvsvc_at);
    smb1_pipe_write(pipe, &dce);
}

static void request(unsigned ctx, unsigned opnum, const struct buf *stub)
{
    static struct buf dce;
    dce.n = 0;
    dce_request(&dce, true, 3, 7, ctx, opnum, (uint32_t)stub->n, stub->b, stub->n);
    smb1_pipe_write(NULL, &dce);
}

static void assert_one(enum ww_smb_kind kind)
{
    if (fx.events != 1 || fx.event[0].kind != kind)
        fail_msg("want one %s, have %zu findings, the first %s", ww_smb_kind_name(kind),
                 fx.events, fx.events ? ww_smb_kind_name(fx.event[0].kind) : "-");
    assert_int_equal(fx.event[0].flow.client, CLIENT);
    assert_int_equal(fx.event[0].flow.server, SERVER);
    assert_int_equal(fx.event[0].flow.client_port, 1038);
    assert_int_equal(fx.event[0].flow.server_port, fx.port);
}

/* --- MS08-067 -------------------------------------------------------------------- */

static void test_nmap_ms08_067_check(void **state)
{
    (void)state;
    static struct buf stub;
    ascii_path_stub(&stub, true, WW_SRVSVC_OPNUM_PATH_COMPARE,
                    "\\AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\..\\n");
    bind_srvsvc("\\BROWSER", 1, 0);
    request(0, WW_SRVSVC_OPNUM_PATH_COMPARE, &stub);
    assert_one(WW_SMB_MS08_067_CHECK);
    const struct ww_smb_event *ev = &fx.event[0];
    assert_string_equal(ev->smb.named_pipe, "browser");
    assert_int_equal(ev->smb.dialect, 1);
    assert_true(ev->dcerpc.interface_known);
    assert_int_equal(ev->dcerpc.opnum, 0x20);
    assert_int_equal(ev->dcerpc.path_units, 46); /* 45 characters and the NUL */
    assert_int_equal(ev->dcerpc.path_nonascii, 0);
    assert_true(ev->dcerpc.path_climbs);
    assert_int_equal(ev->dcerpc.stub_bytes, stub.n);
}

static struct buf conficker_stub(void)
{
    struct buf stub = {.n = 0};
    ascii_path_stub(&stub, true, WW_SRVSVC_OPNUM_PATH_CANONICALIZE, "\\..\\");
    return stub;
}

/* smb-vuln-conficker's check, and the answer of a host Conficker patched in memory. */
static void test_conficker_check_answered_by_an_infected_host(void **state)
{
    (void)state;
    static struct buf stub, answer, msg;
    stub = conficker_stub();
    bind_srvsvc("\\BROWSER", 1, 0);
    request(0, WW_SRVSVC_OPNUM_PATH_CANONICALIZE, &stub);
    assert_one(WW_SMB_MS08_067_CHECK);
    dce_canonicalize_answer(&answer, 99, 0x57); /* not our call: ignored */
    smb1_read_answer(&msg, answer.b, answer.n);
    server_message(&msg);
    assert_int_equal(fx.events, 1);
    answer.n = msg.n = 0;
    dce_canonicalize_answer(&answer, 7, 0x57); /* WERR_INVALID_PARAMETER */
    smb1_read_answer(&msg, answer.b, answer.n);
    server_message(&msg);
    assert_int_equal(fx.events, 2);
    assert_int_equal(fx.event[1].kind, WW_SMB_MS08_067_INFECTED);
    assert_int_equal(fx.event[1].dcerpc.answer_status, 0x57);
    assert_int_equal(fx.event[1].dcerpc.opnum, 31);
    assert_int_equal(ww_smb_stats(fx.smb)->answers, 1);
}

static void test_conficker_check_answered_by_a_patched_host(void **state)
{
    (void)state;
    static struct buf stub, answer, msg;
    stub = conficker_stub();
    bind_srvsvc("\\BROWSER", 1, 0);
    request(0, WW_SRVSVC_OPNUM_PATH_CANONICALIZE, &stub);
    dce_canonicalize_answer(&answer, 7, 0x7B); /* WERR_INVALID_NAME */
    smb1_read_answer(&msg, answer.b, answer.n);
    server_message(&msg);
    assert_one(WW_SMB_MS08_067_CHECK);
    assert_int_equal(ww_smb_stats(fx.smb)->answers, 1);
}

/* The exploit's path in three DCE/RPC fragments, over TCP segments of 7 bytes. */
static void test_exploit_in_fragments_and_small_segments(void **state)
{
    (void)state;
    static struct buf stub, dce;
    exploit_path_stub(&stub, 300);
    fx.segment = 7;
    bind_srvsvc("\\SRVSVC", 3, 2);
    size_t third = stub.n / 3;
    dce_request(&dce, true, 1, 7, 2, 31, (uint32_t)stub.n, stub.b, third);
    dce_request(&dce, true, 0, 7, 2, 31, (uint32_t)stub.n, stub.b + third, third);
    dce_request(&dce, true, 2, 7, 2, 31, (uint32_t)stub.n, stub.b + 2 * third, stub.n - 2 * third);
    /* the three fragments cut into two writes at a point inside the second */
    static struct buf half;
    half.n = 0;
    put(&half, dce.b, dce.n / 2);
    smb1_pipe_write(NULL, &half);
    half.n = 0;
    put(&half, dce.b + dce.n / 2, dce.n - dce.n / 2);
    smb1_pipe_write(NULL, &half);
    assert_one(WW_SMB_MS08_067_EXPLOIT);
    const struct ww_smb_event *ev = &fx.event[0];
    assert_string_equal(ev->smb.named_pipe, "srvsvc");
    assert_int_equal(ev->dcerpc.fragments, 3);
    assert_int_equal(ev->dcerpc.context_id, 2);
    assert_int_equal(ev->dcerpc.bind_contexts, 3);
    assert_int_equal(ev->dcerpc.stub_bytes, stub.n);
    assert_int_equal(ev->dcerpc.request_bytes, dce.n);
    assert_int_equal(ev->dcerpc.path_units, 309);
    assert_int_equal(ev->dcerpc.path_examined, WW_MS08_EXAMINE < 309 ? WW_MS08_EXAMINE : 309);
    assert_int_equal(ev->dcerpc.path_nonascii, 300);
    assert_true(ev->dcerpc.path_climbs);
}

/* TransactNmPipe on port 139, after a NetBIOS session request. */
static void test_check_over_transaction_on_139(void **state)
{
    (void)state;
    static struct buf stub, dce, msg;
    fx.port = 139;
    static const uint8_t session_request[72] = {0x81, 0, 0, 68};
    client_bytes(session_request, sizeof session_request);
    dce_bind(&dce, true, 1, 0);
    smb1_transaction(&msg, 0x26, 0x4001, dce.b, dce.n);
    client_message(&msg);
    stub = conficker_stub();
    dce.n = msg.n = 0;
    dce_request(&dce, true, 3, 7, 0, 31, (uint32_t)stub.n, stub.b, stub.n);
    smb1_transaction(&msg, 0x26, 0x4001, dce.b, dce.n);
    client_message(&msg);
    assert_one(WW_SMB_MS08_067_CHECK);
    assert_string_equal(ww_smb_command_name(1, fx.event[0].smb.command), "SMB1_COMMAND_TRANS");
    assert_int_equal(ww_smb_stats(fx.smb)->framing.control, 1);
}

static void test_check_over_smb2_ioctl_and_write(void **state)
{
    (void)state;
    static struct buf dce, msg, stub, answer;
    smb2_create(&msg, "srvsvc");
    client_message(&msg);
    dce_bind(&dce, true, 1, 0);
    msg.n = 0;
    smb2_write(&msg, 5, dce.b, dce.n);
    client_message(&msg);
    stub = conficker_stub();
    dce.n = msg.n = 0;
    dce_request(&dce, true, 3, 7, 0, 31, (uint32_t)stub.n, stub.b, stub.n);
    smb2_ioctl(&msg, 6, dce.b, dce.n);
    client_message(&msg);
    assert_one(WW_SMB_MS08_067_CHECK);
    const struct ww_smb_event *ev = &fx.event[0];
    assert_int_equal(ev->smb.dialect, 2);
    assert_string_equal(ww_smb_command_name(2, ev->smb.command), "SMB2_COMMAND_IOCTL");
    assert_string_equal(ev->smb.named_pipe, "srvsvc");
    dce_canonicalize_answer(&answer, 7, 0x57);
    msg.n = 0;
    smb2_ioctl_answer(&msg, 6, answer.b, answer.n);
    server_message(&msg);
    assert_int_equal(fx.events, 2);
    assert_int_equal(fx.event[1].kind, WW_SMB_MS08_067_INFECTED);
}

static void test_big_endian_stub_is_read_as_such(void **state)
{
    (void)state;
    static struct buf stub, dce;
    dce_bind(&dce, false, 1, 0);
    smb1_pipe_write("\\srvsvc", &dce);
    ascii_path_stub(&stub, false, 31, "\\..\\");
    dce.n = 0;
    dce_request(&dce, false, 3, 7, 0, 31, (uint32_t)stub.n, stub.b, stub.n);
    smb1_pipe_write(NULL, &dce);
    assert_one(WW_SMB_MS08_067_CHECK);
    assert_int_equal(fx.event[0].dcerpc.path_units, 5);
}

/* Paths that do not climb, the same opnum of another interface: nothing. */
static void test_harmless_calls_stay_silent(void **state)
{
    (void)state;
    static struct buf stub;
    bind_srvsvc("\\srvsvc", 2, 1);
    ascii_path_stub(&stub, true, 31, "\\\\fileserver\\share\\reports\\2009\\march.doc");
    request(1, 31, &stub);
    stub.n = 0;
    ascii_path_stub(&stub, true, 31,
                    "\\share\\a-very-long-but-honest-folder-name\\another-long-folder-name\\"
                    "yet-another-folder-name-that-goes-on\\and-on-and-on-until-it-is-long\\"
                    "past-the-limit-of-a-check.txt");
    request(1, 31, &stub);
    stub.n = 0;
    ascii_path_stub(&stub, true, 31, "\\..\\"); /* context 0 is not SRVSVC */
    request(0, 31, &stub);
    stub.n = 0;
    ascii_path_stub(&stub, true, 21, "\\..\\"); /* another method */
    request(1, 21, &stub);
    assert_int_equal(fx.events, 0);
    assert_int_equal(ww_smb_stats(fx.smb)->dce.requests, 4);
}

/* A flow joined after its bind: the interface is unknown, the call still judged. */
static void test_call_without_a_bind_in_sight(void **state)
{
    (void)state;
    static struct buf stub;
    exploit_path_stub(&stub, 200);
    request(0, 31, &stub);
    assert_one(WW_SMB_MS08_067_EXPLOIT);
    assert_false(fx.event[0].dcerpc.interface_known);
    assert_string_equal(fx.event[0].smb.named_pipe, "");
}

/* Two exploits in one flow: one finding, two shapes. */
static void test_one_finding_per_flow_and_kind(void **state)
{
    (void)state;
    static struct buf stub;
    exploit_path_stub(&stub, 200);
    bind_srvsvc("\\srvsvc", 1, 0);
    request(0, 31, &stub);
    request(0, 31, &stub);
    assert_one(WW_SMB_MS08_067_EXPLOIT);
    assert_int_equal(ww_smb_stats(fx.smb)->shapes[WW_SMB_MS08_067_EXPLOIT], 2);
    assert_int_equal(ww_smb_stats(fx.smb)->events[WW_SMB_MS08_067_EXPLOIT], 1);
}

/* --- MS17-010 ------------------------------------------------------------------------ */

static void test_eternalblue_transaction_confusion(void **state)
{
    (void)state;
    static struct buf m;
    smb1_nt_transact(&m, 64, 66512, 976);
    client_message(&m);
    m.n = 0;
    smb1_trans2_secondary(&m, 65, 976); /* another transaction: nothing */
    client_message(&m);
    assert_int_equal(fx.events, 0);
    m.n = 0;
    smb1_trans2_secondary(&m, 64, 976);
    client_message(&m);
    assert_one(WW_SMB_MS17_010_EXPLOIT);
    assert_int_equal(fx.event[0].ms17.nt_total_data, 66512);
    assert_int_equal(fx.event[0].smb.mid, 64);
}

static void test_complete_nt_transact_is_not_continued(void **state)
{
    (void)state;
    static struct buf m;
    smb1_nt_transact(&m, 64, 100, 100);
    client_message(&m);
    m.n = 0;
    smb1_trans2_secondary(&m, 64, 0);
    client_message(&m);
    assert_int_equal(fx.events, 0);
}

static void test_peek_named_pipe_on_fid_0_is_the_check(void **state)
{
    (void)state;
    static struct buf m;
    smb1_transaction(&m, 0x23, 0x4000, NULL, 0); /* a real pipe: nothing */
    client_message(&m);
    assert_int_equal(fx.events, 0);
    m.n = 0;
    smb1_transaction(&m, 0x23, 0, NULL, 0);
    client_message(&m);
    assert_one(WW_SMB_MS17_010_CHECK);
}

static void test_doublepulsar_commands_and_the_implant(void **state)
{
    (void)state;
    static struct buf m;
    smb1_trans2(&m, 65, 0x0001, 0x00EE3401); /* FIND_FIRST2: not DoublePulsar */
    client_message(&m);
    assert_int_equal(fx.events, 0);
    m.n = 0;
    smb1_trans2(&m, 65, 0x000E, 0x00EE3401); /* byte sum 0x23: ping */
    client_message(&m);
    assert_one(WW_SMB_MS17_010_DOUBLEPULSAR_PING);
    assert_int_equal(fx.event[0].ms17.opcode, 0x23);
    m.n = 0;
    smb1_header(&m, 0x32, 0x98, 65 + 16); /* the implant's answer */
    u8(&m, 0);
    le16(&m, 0);
    server_message(&m);
    assert_int_equal(fx.events, 2);
    assert_int_equal(fx.event[1].kind, WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT);
    assert_int_equal(fx.event[1].smb.mid, 81);
    m.n = 0;
    smb1_trans2(&m, 66, 0x000E, 0x001A8925); /* byte sum 0xC8: exec */
    client_message(&m);
    assert_int_equal(fx.events, 3);
    assert_int_equal(fx.event[2].kind, WW_SMB_MS17_010_DOUBLEPULSAR_EXEC);
    assert_int_equal(fx.event[2].ms17.opcode, 0xC8);
    assert_int_equal(fx.event[2].ms17.timeout, 0x001A8925);
}

static void test_clean_answer_to_a_ping(void **state)
{
    (void)state;
    static struct buf m;
    smb1_trans2(&m, 65, 0x000E, 0x00EE3401);
    client_message(&m);
    m.n = 0;
    smb1_header(&m, 0x32, 0x98, 65); /* STATUS_NOT_IMPLEMENTED, same MID */
    u8(&m, 0);
    le16(&m, 0);
    server_message(&m);
    m.n = 0;
    smb1_header(&m, 0x32, 0x98, 81); /* too late: the answer was had */
    u8(&m, 0);
    le16(&m, 0);
    server_message(&m);
    assert_one(WW_SMB_MS17_010_DOUBLEPULSAR_PING);
}

/* --- mid-flow, gaps, hostile input -------------------------------------------------- */

/* Joined in the middle of a message: the framer finds the next one. */
static void test_joined_mid_message(void **state)
{
    (void)state;
    static struct buf m, stream;
    smb1_trans2(&m, 65, 0x000E, 0x00EE3401);
    static const uint8_t tail_of_something[] = {0x00, 0x00, 0x10, 0x00, 0xAA, 0xFF, 0x53, 0x4D,
                                                0x00, 0x12, 0x34, 0x00, 0xFF, 0xFE, 0x53, 0x4D};
    put(&stream, tail_of_something, sizeof tail_of_something);
    u8(&stream, 0);
    u8(&stream, 0);
    be16(&stream, (unsigned)m.n);
    put(&stream, m.b, m.n);
    fx.segment = 5;
    client_bytes(stream.b, stream.n);
    assert_one(WW_SMB_MS17_010_DOUBLEPULSAR_PING);
    const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
    assert_int_equal(st->framing.resynced, 1);
    assert_int_equal(st->framing.given_up, 0);
}

/*
 * A lost segment inside a body being skipped costs nothing. (The segment
 * after the hole is small enough to be held, so the hole is given up only
 * when the flow ends: a capture that lost a segment never fills it.)
 */
static void test_gap_inside_a_skipped_body(void **state)
{
    (void)state;
    static struct buf m, framed;
    smb1_nt_transact(&m, 70, 66512, 3000);
    u8(&framed, 0);
    u8(&framed, 0);
    be16(&framed, (unsigned)m.n);
    put(&framed, m.b, m.n);
    segment(true, fx.client_seq, framed.b, 1000, WW_TCP_ACK); /* the head, and some body */
    segment(true, fx.client_seq + 2000, framed.b + 2000, framed.n - 2000, WW_TCP_ACK);
    fx.client_seq += (uint32_t)framed.n;
    m.n = 0;
    smb1_trans2_secondary(&m, 70, 976);
    client_message(&m);
    assert_int_equal(fx.events, 0); /* still held behind the hole */
    ww_smb_flush(fx.smb);
    assert_one(WW_SMB_MS17_010_EXPLOIT);
    assert_int_equal(fx.event[0].smb.mid, 70);
    assert_int_equal(ww_smb_stats(fx.smb)->framing.resyncs, 0);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->gaps, 1);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->gap_bytes, 1000);
}

/*
 * A gap through a pipe write's DCE/RPC bytes: the call is judged on what was
 * seen, and the pipe waits for the next write to start a PDU.
 */
static void test_gap_through_a_pipe_write(void **state)
{
    (void)state;
    static struct buf stub, dce, m, framed;
    bind_srvsvc("\\srvsvc", 1, 0);
    exploit_path_stub(&stub, 300);
    dce_request(&dce, true, 3, 7, 0, 31, (uint32_t)stub.n, stub.b, stub.n);
    smb1_write_andx(&m, 0x4000, dce.b, dce.n);
    u8(&framed, 0);
    u8(&framed, 0);
    be16(&framed, (unsigned)m.n);
    put(&framed, m.b, m.n);
    segment(true, fx.client_seq, framed.b, 600, WW_TCP_ACK); /* the head, the path's start */
    segment(true, fx.client_seq + 700, framed.b + 700, framed.n - 700, WW_TCP_ACK);
    fx.client_seq += (uint32_t)framed.n;
    request(0, 31, &stub); /* the next write, read whole */
    ww_smb_flush(fx.smb);  /* gives the hole up */
    assert_one(WW_SMB_MS08_067_EXPLOIT);
    const struct ww_smb_event *ev = &fx.event[0];
    assert_false(ev->dcerpc.path_examined == ev->dcerpc.path_units); /* judged on a part */
    assert_true(ev->dcerpc.path_nonascii >= WW_MS08_CODE_UNITS);
    assert_string_equal(ev->smb.named_pipe, "srvsvc");
    const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
    assert_int_equal(st->dce.requests, 2);
    assert_int_equal(st->dce.judged_early, 1);
    assert_int_equal(st->shapes[WW_SMB_MS08_067_EXPLOIT], 2);
    assert_int_equal(st->framing.resyncs, 0);
}

/* A NetBIOS length past the data, then the flow ends: nothing, nothing read out of bounds. */
static void test_netbios_length_past_the_data(void **state)
{
    (void)state;
    static struct buf m;
    smb1_trans2(&m, 65, 0x000E, 0x00EE3401);
    static struct buf framed;
    u8(&framed, 0);
    u8(&framed, 0x01);
    be16(&framed, 0x0000); /* claims 65536 bytes */
    put(&framed, m.b, m.n);
    client_bytes(framed.b, framed.n);
    segment(true, fx.client_seq, NULL, 0, WW_TCP_ACK | WW_TCP_FIN);
    assert_int_equal(fx.events, 0);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->closed, 1);
}

/* Headers cut short and commands whose words lie past the message. */
static void test_truncated_headers(void **state)
{
    (void)state;
    static struct buf m;
    put(&m, "\xffSMB\x32\0\0\0\0\x18", 10); /* an SMB1 header cut at 10 bytes */
    client_message(&m);
    m.n = 0;
    smb1_header(&m, 0x32, 0x18, 65);
    u8(&m, 15); /* 15 words promised, 4 bytes given */
    le32(&m, 0);
    client_message(&m);
    m.n = 0;
    put(&m, "\xfeSMB\x40\0", 6); /* an SMB2 header cut short */
    client_message(&m);
    m.n = 0;
    smb1_header(&m, 0xA0, 0x18, 65);
    u8(&m, 0); /* NT_TRANSACT with no words */
    le16(&m, 0);
    client_message(&m);
    assert_int_equal(fx.events, 0);
    const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
    assert_int_equal(st->truncated, 4);
    assert_int_equal(st->framing.messages, 4);
    assert_int_equal(st->framing.resyncs, 0);
}

/* DCE/RPC lies: a fragment shorter than its header, an alloc hint of 4 GiB. */
static void test_dce_lying_lengths(void **state)
{
    (void)state;
    static struct buf dce, stub;
    bind_srvsvc("\\srvsvc", 1, 0);
    static const uint8_t short_frag[16] = {5, 0, 0, 3, 0x10, 0, 0, 0, 10, 0, 0, 0, 7, 0, 0, 0};
    put(&dce, short_frag, sizeof short_frag);
    put(&dce, "garbage that follows the bad header", 35);
    smb1_pipe_write(NULL, &dce);
    assert_int_equal(ww_smb_stats(fx.smb)->dce.malformed, 1);
    stub = conficker_stub();
    dce.n = 0;
    dce_request(&dce, true, 3, 7, 0, 31, 0xFFFFFFFFu, stub.b, stub.n);
    smb1_pipe_write(NULL, &dce); /* the next write starts a PDU: back in step */
    assert_one(WW_SMB_MS08_067_CHECK);
    assert_int_equal(fx.event[0].dcerpc.alloc_hint, 0xFFFFFFFFu);
    assert_int_equal(fx.event[0].dcerpc.stub_bytes, stub.n);
}

/* Fragments that never end: judged once, when the stub passes the limit. */
static void test_endless_fragments(void **state)
{
    (void)state;
    static struct buf stub, dce;
    bind_srvsvc("\\srvsvc", 1, 0);
    exploit_path_stub(&stub, 300);
    dce_request(&dce, true, 1, 7, 0, 31, 0, stub.b, stub.n); /* first fragment: the path */
    smb1_pipe_write(NULL, &dce);
    static uint8_t filler[1000];
    for (int i = 0; i < 40; i++) { /* 40 KB of middle fragments, never a last one */
        dce.n = 0;
        dce_request(&dce, true, 0, 7, 0, 31, 0, filler, sizeof filler);
        smb1_pipe_write(NULL, &dce);
    }
    assert_one(WW_SMB_MS08_067_EXPLOIT);
    assert_false(fx.event[0].dcerpc.fragments < 2);
    assert_true(fx.event[0].dcerpc.stub_bytes >= WW_DCE_DECIDE_STUB);
    assert_true(fx.event[0].dcerpc.stub_bytes < WW_DCE_DECIDE_STUB + sizeof filler);
    const struct ww_dce_stats *dst = &ww_smb_stats(fx.smb)->dce;
    assert_int_equal(dst->requests, 1);
    assert_int_equal(dst->judged_early, 1);
    assert_int_equal(ww_smb_stats(fx.smb)->shapes[WW_SMB_MS08_067_EXPLOIT], 1);
}

/* A call cut short by the end of the flow is judged on what was seen. */
static void test_call_cut_by_the_end_of_the_flow(void **state)
{
    (void)state;
    static struct buf stub, dce;
    bind_srvsvc("\\srvsvc", 1, 0);
    exploit_path_stub(&stub, 300);
    dce_request(&dce, true, 1, 7, 0, 31, 0, stub.b, stub.n);
    smb1_pipe_write(NULL, &dce);
    assert_int_equal(fx.events, 0);
    segment(true, fx.client_seq, NULL, 0, WW_TCP_ACK | WW_TCP_RST);
    assert_one(WW_SMB_MS08_067_EXPLOIT);
}

static void test_zero_length_segments_and_wraparound(void **state)
{
    (void)state;
    static struct buf stub;
    fx.client_seq = 0xFFFFFF00u; /* the request crosses sequence number 0 */
    fx.segment = 100;
    segment(true, fx.client_seq, NULL, 0, WW_TCP_ACK);
    bind_srvsvc("\\srvsvc", 1, 0);
    segment(true, fx.client_seq, NULL, 0, WW_TCP_ACK);
    stub = conficker_stub();
    request(0, 31, &stub);
    assert_true(fx.client_seq < 0x1000);
    assert_one(WW_SMB_MS08_067_CHECK);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->gaps, 0);
}

/* Not SMB at all on 445 (an X-Scan probe), then SMB: the flow finds its feet. */
static void test_not_smb_then_smb(void **state)
{
    (void)state;
    static const char probe[] = "GET / HTTP/1.0\r\n\r\n";
    client_bytes((const uint8_t *)probe, sizeof probe - 1);
    static struct buf m;
    smb1_transaction(&m, 0x23, 0, NULL, 0);
    client_message(&m);
    assert_one(WW_SMB_MS17_010_CHECK);
    assert_int_equal(ww_smb_stats(fx.smb)->framing.resyncs, 1);
}

static void test_endless_garbage_is_given_up(void **state)
{
    (void)state;
    static uint8_t junk[65536];
    memset(junk, 0x41, sizeof junk);
    fx.segment = sizeof junk;
    for (int i = 0; i < 18; i++) /* just over WW_NBSS_HUNT_LIMIT, and one more */
        client_bytes(junk, sizeof junk);
    const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
    assert_int_equal(st->framing.given_up, 1);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->abandoned, 1);
    assert_true(ww_smb_stream_stats(fx.smb)->ignored_bytes > 0);
}

static void test_flow_key_and_names(void **state)
{
    (void)state;
    struct ww_stream_key key;
    bool to_server;
    assert_true(ww_smb_flow_key(CLIENT, SERVER, 1038, 139, &key, &to_server));
    assert_true(to_server);
    assert_true(ww_smb_flow_key(SERVER, CLIENT, 445, 1038, &key, &to_server));
    assert_false(to_server);
    assert_int_equal(key.client, CLIENT);
    assert_int_equal(key.server_port, 445);
    assert_false(ww_smb_flow_key(CLIENT, SERVER, 1038, 80, &key, &to_server));
    assert_string_equal(ww_smb_kind_name(WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT),
                        "ms17_010_doublepulsar_implant");
    assert_string_equal(ww_smb_kind_name(WW_SMB_KIND__COUNT), "unknown");
    assert_string_equal(ww_smb_command_name(2, 0x0009), "SMB2_COMMAND_WRITE");
    assert_string_equal(ww_smb_command_name(1, 0x72), "SMB1_COMMAND_UNKNOWN");
    struct ww_smb_config cfg = {.memory_bytes = ww_smb_bytes_per_flow() - 1};
    assert_null(ww_smb_new(&cfg, record, &fx));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_nmap_ms08_067_check),
        T(test_conficker_check_answered_by_an_infected_host),
        T(test_conficker_check_answered_by_a_patched_host),
        T(test_exploit_in_fragments_and_small_segments),
        T(test_check_over_transaction_on_139),
        T(test_check_over_smb2_ioctl_and_write),
        T(test_big_endian_stub_is_read_as_such),
        T(test_harmless_calls_stay_silent),
        T(test_call_without_a_bind_in_sight),
        T(test_one_finding_per_flow_and_kind),
        T(test_eternalblue_transaction_confusion),
        T(test_complete_nt_transact_is_not_continued),
        T(test_peek_named_pipe_on_fid_0_is_the_check),
        T(test_doublepulsar_commands_and_the_implant),
        T(test_clean_answer_to_a_ping),
        T(test_joined_mid_message),
        T(test_gap_inside_a_skipped_body),
        T(test_gap_through_a_pipe_write),
        T(test_netbios_length_past_the_data),
        T(test_truncated_headers),
        T(test_dce_lying_lengths),
        T(test_endless_fragments),
        T(test_call_cut_by_the_end_of_the_flow),
        T(test_zero_length_segments_and_wraparound),
        T(test_not_smb_then_smb),
        T(test_endless_garbage_is_given_up),
        T(test_flow_key_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
