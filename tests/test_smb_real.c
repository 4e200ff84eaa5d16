/*
 * The SMB stage (smb.h) on real captures (pcaps/real/, sources in SOURCES.md).
 *
 * Each capture's TCP segments are read with pcap_tcp.c and fed to the stage
 * as the pipeline will feed them; the findings are checked exactly, and were
 * checked against tshark's dissection of the same frames (the counts of
 * PeekNamedPipe, TRANSACTION2 SESSION_SETUP, NT_TRANSACT followed by
 * TRANSACTION2_SECONDARY, and the servers' replies raised by 16). The benign
 * captures must stay silent while their DCE/RPC calls are parsed, so that
 * silence means "judged harmless", not "never looked at". The MS08-067 run is
 * also replayed cut into 1-byte segments, with neighbours swapped and with
 * every segment sent twice: the stream store must give the same finding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pcap_tcp.h"
#include "test_key.h"
#include "wormwatch/index.h"
#include "wormwatch/smb.h"

#define IP4(a, b, c, d) \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define REAL(name) WW_PCAPS "/real/" name
#define MAX_EVENTS 128
#define NS_PER_SEC 1000000000ULL

/* --- fixture: a capture's segments in memory, and what the stage found ----- */

struct segment {
    uint64_t ts_ns;
    uint32_t src, dst, seq;
    uint16_t sport, dport;
    uint8_t flags;
    uint8_t *payload;
    size_t len;
};

struct fixture {
    struct segment *seg;
    size_t count, cap;
    struct ww_smb *smb;
    struct ww_smb_event event[MAX_EVENTS];
    size_t events;
};

static struct fixture fx;

static void keep_segment(void *ctx, const struct pcap_tcp_segment *s)
{
    struct fixture *f = ctx;
    if (f->count == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 1024;
        f->seg = realloc(f->seg, f->cap * sizeof *f->seg);
        assert_non_null(f->seg);
    }
    struct segment *d = &f->seg[f->count++];
    *d = (struct segment){s->ts_ns, s->src, s->dst, s->seq, s->sport, s->dport, s->flags, NULL,
                          s->len};
    d->payload = malloc(s->len ? s->len : 1);
    assert_non_null(d->payload);
    if (s->len)
        memcpy(d->payload, s->payload, s->len);
}

static void load(const char *path)
{
    assert_true(pcap_tcp_read(path, keep_segment, &fx));
    assert_true(fx.count > 0);
}

static void record(void *ctx, const struct ww_smb_event *ev)
{
    struct fixture *f = ctx;
    assert_true(f->events < MAX_EVENTS);
    f->event[f->events++] = *ev;
}

static void start(bool answers, size_t memory)
{
    struct ww_smb_config cfg = {.memory_bytes = memory,
                                .idle_timeout_ns = 600 * NS_PER_SEC,
                                .answers = answers};
    fx.smb = ww_smb_new(&cfg, record, &fx);
    assert_non_null(fx.smb);
}

/* The caller's hash: the pipeline keys it; any function of the key will do here. */
static void feed_cut(const struct segment *s, uint32_t seq, const uint8_t *data, size_t captured,
                     size_t len, uint8_t flags)
{
    struct ww_stream_key key;
    bool to_server;
    if (!ww_smb_flow_key(s->src, s->dst, s->sport, s->dport, &key, &to_server))
        return;
    uint32_t hash = (uint32_t)ww_hash_u32x4(&ww_test_key, key.client, key.server,
                                  (uint32_t)key.client_port << 16 | key.server_port, 6);
    struct ww_segment seg = {s->ts_ns, seq, flags, data, captured, len};
    ww_smb_segment(fx.smb, hash, &key, to_server, &seg);
}

static void feed_part(const struct segment *s, uint32_t seq, const uint8_t *data, size_t len,
                      uint8_t flags)
{
    feed_cut(s, seq, data, len, len, flags);
}

static void feed(const struct segment *s)
{
    feed_part(s, s->seq, s->payload, s->len, s->flags);
}

static void run(const char *path, bool answers)
{
    load(path);
    start(answers, 16u << 20);
    for (size_t i = 0; i < fx.count; i++)
        feed(&fx.seg[i]);
    ww_smb_flush(fx.smb);
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < fx.count; i++)
        free(fx.seg[i].payload);
    free(fx.seg);
    ww_smb_free(fx.smb);
    memset(&fx, 0, sizeof fx);
    return 0;
}

static size_t count_kind(enum ww_smb_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < fx.events; i++)
        n += fx.event[i].kind == kind;
    return n;
}

static size_t count_pair(uint32_t client, uint32_t server, enum ww_smb_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < fx.events; i++)
        n += fx.event[i].kind == kind && fx.event[i].flow.client == client &&
             fx.event[i].flow.server == server;
    return n;
}

static void assert_event(size_t i, enum ww_smb_kind kind, uint32_t client, uint16_t client_port,
                         uint32_t server)
{
    assert_true(i < fx.events);
    const struct ww_smb_event *ev = &fx.event[i];
    assert_string_equal(ww_smb_kind_name(ev->kind), ww_smb_kind_name(kind));
    assert_int_equal(ev->flow.client, client);
    assert_int_equal(ev->flow.client_port, client_port);
    assert_int_equal(ev->flow.server, server);
    assert_int_equal(ev->flow.server_port, 445);
}

/* --- MS08-067 --------------------------------------------------------------- */

#define MSF_CLIENT IP4(192, 168, 3, 205)
#define MSF_SERVER IP4(192, 168, 3, 207)

static void assert_msf_ms08_067_exploit(void)
{
    assert_int_equal(fx.events, 1);
    assert_event(0, WW_SMB_MS08_067_EXPLOIT, MSF_CLIENT, 55845, MSF_SERVER);
    const struct ww_smb_event *ev = &fx.event[0];
    assert_int_equal(ev->smb.dialect, 1);
    assert_string_equal(ww_smb_command_name(1, ev->smb.command), "SMB1_COMMAND_WRITE_ANDX");
    assert_string_equal(ev->smb.named_pipe, "browser");
    assert_true(ev->has_dcerpc);
    assert_true(ev->dcerpc.interface_known);
    assert_memory_equal(ev->dcerpc.interface_uuid, ww_srvsvc_uuid, 16);
    assert_int_equal(ev->dcerpc.opnum, 31);
    assert_int_equal(ev->dcerpc.context_id, 10); /* SRVSVC was the 11th context bound */
    assert_int_equal(ev->dcerpc.bind_contexts, 11);
    assert_int_equal(ev->dcerpc.fragments, 1);
    assert_int_equal(ev->dcerpc.request_bytes, 704);
    assert_int_equal(ev->dcerpc.stub_bytes, 680);
    assert_int_equal(ev->dcerpc.alloc_hint, 680);
    assert_int_equal(ev->dcerpc.path_units, 305);
    assert_int_equal(ev->dcerpc.path_examined, 305);
    assert_int_equal(ev->dcerpc.path_nonascii, 289);
    assert_true(ev->dcerpc.path_climbs);
}

static void test_ms08_067_metasploit_exploit(void **state)
{
    (void)state;
    run(REAL("ms08_067_msf_netapi_tcp445.pcap"), true);
    assert_msf_ms08_067_exploit();
    const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
    assert_int_equal(st->framing.resyncs, 0);
    assert_int_equal(st->dce.binds, 5);    /* five pipes, a multi-context bind on each */
    assert_int_equal(st->dce.requests, 5); /* 34, 28, EnumPrinters x2, 31 */
    assert_int_equal(st->dce.malformed, 0);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->gaps, 0);
}

/* The same bytes one per segment: reassembly, not segment boundaries, decides. */
static void test_ms08_067_one_byte_segments(void **state)
{
    (void)state;
    load(REAL("ms08_067_msf_netapi_tcp445.pcap"));
    start(true, 16u << 20);
    for (size_t i = 0; i < fx.count; i++) {
        const struct segment *s = &fx.seg[i];
        if (s->len == 0) {
            feed(s);
            continue;
        }
        for (size_t b = 0; b < s->len; b++)
            feed_part(s, s->seq + (uint32_t)b, s->payload + b, 1,
                      b + 1 == s->len ? s->flags : (uint8_t)(s->flags & ~0x05)); /* FIN/RST last */
    }
    ww_smb_flush(fx.smb);
    assert_msf_ms08_067_exploit();
    assert_int_equal(ww_smb_stream_stats(fx.smb)->gaps, 0);
}

/*
 * The client's data segments swapped in pairs (each second one sent first,
 * in the first one's place), and every data segment sent twice.
 */
static void test_ms08_067_retransmitted_and_reordered(void **state)
{
    (void)state;
    load(REAL("ms08_067_msf_netapi_tcp445.pcap"));
    start(true, 16u << 20);
    size_t *order = malloc(fx.count * sizeof *order);
    assert_non_null(order);
    size_t pending = SIZE_MAX; /* a client data segment waiting for its pair */
    bool first = true;         /* the flow starts at its first data seen: that one stays */
    for (size_t i = 0; i < fx.count; i++) {
        order[i] = i;
        const struct segment *s = &fx.seg[i];
        if (s->dport != 445 || s->len == 0 || (s->flags & 0x05))
            continue;
        if (first) {
            first = false;
        } else if (pending == SIZE_MAX) {
            pending = i;
        } else {
            order[pending] = i;
            order[i] = pending;
            pending = SIZE_MAX;
        }
    }
    uint64_t copies = 0;
    for (size_t i = 0; i < fx.count; i++) {
        const struct segment *s = &fx.seg[order[i]];
        feed(s);
        if (s->len > 0) {
            feed(s);
            copies++;
        }
    }
    free(order);
    ww_smb_flush(fx.smb);
    assert_msf_ms08_067_exploit();
    const struct ww_stream_stats *ss = ww_smb_stream_stats(fx.smb);
    assert_int_equal(ss->gaps, 0);
    assert_true(ss->held >= 20);
    assert_int_equal(ss->filled, ss->held); /* the copy of a held segment is a retransmission */
    assert_int_equal(ss->retransmitted, copies); /* every copy, and nothing else */
}

/*
 * A capture with a snap length of 300 bytes (246 of payload): the bind is cut,
 * so SRVSVC's context is not known, and the request is judged on the start of
 * its path, which is enough.
 */
static void test_ms08_067_snap_length_300(void **state)
{
    (void)state;
    load(REAL("ms08_067_msf_netapi_tcp445.pcap"));
    start(true, 16u << 20);
    for (size_t i = 0; i < fx.count; i++) {
        const struct segment *s = &fx.seg[i];
        feed_cut(s, s->seq, s->payload, s->len < 246 ? s->len : 246, s->len, s->flags);
    }
    ww_smb_flush(fx.smb);
    assert_int_equal(fx.events, 1);
    assert_event(0, WW_SMB_MS08_067_EXPLOIT, MSF_CLIENT, 55845, MSF_SERVER);
    const struct ww_smb_event *ev = &fx.event[0];
    assert_false(ev->dcerpc.interface_known);
    assert_int_equal(ev->dcerpc.opnum, 31);
    assert_int_equal(ev->dcerpc.path_units, 305);
    assert_true(ev->dcerpc.path_examined < 305);
    assert_true(ev->dcerpc.path_nonascii >= WW_MS08_CODE_UNITS);
    assert_true(ww_smb_stream_stats(fx.smb)->cut_bytes > 0);
}

/* --- MS17-010 ---------------------------------------------------------------- */

static void test_eternalblue_with_doublepulsar(void **state)
{
    (void)state;
    run(REAL("malcolm_eternalblue-success-unpatched-win7.pcap"), true);
    uint32_t c = IP4(192, 168, 198, 204), s = IP4(192, 168, 198, 203);
    assert_int_equal(fx.events, 5);
    assert_event(0, WW_SMB_MS17_010_DOUBLEPULSAR_PING, c, 51112, s);
    assert_int_equal(fx.event[0].ms17.opcode, 0x23);
    assert_int_equal(fx.event[0].smb.mid, 65);
    assert_string_equal(ww_smb_command_name(1, fx.event[0].smb.command), "SMB1_COMMAND_TRANS2");
    assert_event(1, WW_SMB_MS17_010_EXPLOIT, c, 51112, s);
    assert_int_equal(fx.event[1].ms17.nt_total_data, 66512);
    assert_int_equal(fx.event[1].ms17.nt_function, 0);
    assert_string_equal(ww_smb_command_name(1, fx.event[1].smb.command),
                        "SMB1_COMMAND_TRANS2_SECONDARY");
    assert_event(2, WW_SMB_MS17_010_DOUBLEPULSAR_PING, c, 51133, s);
    assert_event(3, WW_SMB_MS17_010_EXPLOIT, c, 51133, s);
    /* the second ping (MID 66) after the exploit was answered with MID 82: the implant */
    assert_event(4, WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT, c, 51133, s);
    assert_int_equal(fx.event[4].smb.mid, 82);
    const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
    assert_int_equal(st->shapes[WW_SMB_MS17_010_DOUBLEPULSAR_PING], 4);
    /* every TRANSACTION2_SECONDARY (15 and one after the echo, per flow), reported once a flow */
    assert_int_equal(st->shapes[WW_SMB_MS17_010_EXPLOIT], 32);
}

static void test_eternalblue_answers_not_read(void **state)
{
    (void)state;
    run(REAL("malcolm_eternalblue-success-unpatched-win7.pcap"), false);
    assert_int_equal(fx.events, 4);
    assert_int_equal(count_kind(WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT), 0);
    assert_true(ww_smb_stream_stats(fx.smb)->abandoned > 0);
}

static void test_metasploit_eternalblue(void **state)
{
    (void)state;
    run(REAL("malcolm_metasploit-ms017-010-win7x64_tcp445.pcap"), true);
    assert_int_equal(fx.events, 1);
    assert_event(0, WW_SMB_MS17_010_EXPLOIT, IP4(192, 168, 198, 224), 37063,
                 IP4(192, 168, 198, 225));
    assert_int_equal(fx.event[0].ms17.nt_total_data, 66512);
}

/*
 * WannaCry: no SYN in the file and segments missing, so every flow starts
 * mid-stream and some bodies have holes. Each infected host reaches 4 peers;
 * .150 refuses their anonymous session, so it never gets an MS17-010 request.
 */
static void test_wannacry_mid_flow(void **state)
{
    (void)state;
    run(REAL("malcolm_wannacry.pcap"), true);
    uint32_t h138 = IP4(192, 168, 116, 138), h143 = IP4(192, 168, 116, 143),
             h149 = IP4(192, 168, 116, 149), h150 = IP4(192, 168, 116, 150),
             h172 = IP4(192, 168, 116, 172);
    assert_int_equal(fx.events, 56);
    assert_int_equal(count_kind(WW_SMB_MS17_010_CHECK), 6);
    assert_int_equal(count_kind(WW_SMB_MS17_010_EXPLOIT), 13);
    assert_int_equal(count_kind(WW_SMB_MS17_010_DOUBLEPULSAR_PING), 26);
    assert_int_equal(count_kind(WW_SMB_MS17_010_DOUBLEPULSAR_EXEC), 2);
    assert_int_equal(count_kind(WW_SMB_MS17_010_DOUBLEPULSAR_IMPLANT), 9);
    for (size_t i = 0; i < fx.events; i++) {
        const struct ww_smb_event *ev = &fx.event[i];
        assert_true(ev->flow.client == h149 || ev->flow.client == h138);
        assert_true(ev->flow.server != h150 && ev->flow.server != ev->flow.client);
    }
    /* checked, then exploited: the PeekNamedPipe check once per peer */
    uint32_t peers149[] = {h138, h143, h172}, peers138[] = {h143, h149, h172};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(count_pair(h149, peers149[i], WW_SMB_MS17_010_CHECK), 1);
        assert_int_equal(count_pair(h138, peers138[i], WW_SMB_MS17_010_CHECK), 1);
    }
    assert_int_equal(count_pair(h149, h138, WW_SMB_MS17_010_EXPLOIT), 2);
    assert_int_equal(count_pair(h149, h143, WW_SMB_MS17_010_EXPLOIT), 5);
    assert_int_equal(count_pair(h149, h172, WW_SMB_MS17_010_EXPLOIT), 3);
    assert_int_equal(count_pair(h138, h149, WW_SMB_MS17_010_EXPLOIT), 2);
    assert_int_equal(count_pair(h138, h172, WW_SMB_MS17_010_EXPLOIT), 1);
    assert_int_equal(count_pair(h138, h143, WW_SMB_MS17_010_EXPLOIT), 0);
    assert_int_equal(count_pair(h149, h172, WW_SMB_MS17_010_DOUBLEPULSAR_EXEC), 1);
    assert_int_equal(count_pair(h138, h172, WW_SMB_MS17_010_DOUBLEPULSAR_EXEC), 1);
    for (size_t i = 0; i < fx.events; i++)
        if (fx.event[i].kind == WW_SMB_MS17_010_DOUBLEPULSAR_EXEC)
            assert_int_equal(fx.event[i].ms17.opcode, 0xC8);
    const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
    const struct ww_stream_stats *ss = ww_smb_stream_stats(fx.smb);
    assert_int_equal(ss->flows, 75);
    assert_int_equal(ss->gaps, 64);             /* the frames the capture lost ... */
    assert_int_equal(st->framing.resyncs, 64);  /* ... each cost the framing its step ... */
    assert_int_equal(st->framing.resynced, 64); /* ... and each time it found it again */
    assert_int_equal(st->framing.given_up, 0);
}

/* Fewer slots than flows: the store evicts and counts, and stays within them. */
static void test_wannacry_in_a_small_store(void **state)
{
    (void)state;
    load(REAL("malcolm_wannacry.pcap"));
    start(true, 4 * ww_smb_bytes_per_flow());
    assert_int_equal(ww_smb_capacity(fx.smb), 4);
    for (size_t i = 0; i < fx.count; i++)
        feed(&fx.seg[i]);
    ww_smb_flush(fx.smb);
    const struct ww_stream_stats *ss = ww_smb_stream_stats(fx.smb);
    assert_true(ss->flows > 75); /* evicted flows come back, joined mid-stream */
    assert_true(ss->evicted > 0);
    assert_true(ss->evicted + ss->expired + ss->closed + ss->restarted <= ss->flows);
    assert_true(fx.events > 0 && fx.events <= 56);
}

static void test_nmap_ms17_010_check(void **state)
{
    (void)state;
    run(REAL("securitynik_nmap_script_smb_ms17-010.pcap"), true);
    uint32_t nmap = IP4(10, 0, 0, 102);
    assert_int_equal(fx.events, 2);
    assert_event(0, WW_SMB_MS17_010_CHECK, nmap, 55614, IP4(10, 0, 0, 106));
    assert_event(1, WW_SMB_MS17_010_CHECK, nmap, 47118, IP4(10, 0, 0, 104));
    assert_int_equal(fx.event[0].ms17.fid, 0);
    assert_string_equal(ww_smb_command_name(1, fx.event[0].smb.command), "SMB1_COMMAND_TRANS");
}

/* A suricata-verify SMB2 trace that also holds one EternalBlue attempt (see SOURCES.md). */
static void test_eternalblue_inside_smb2_trace(void **state)
{
    (void)state;
    run(REAL("sv_smb2-09-trunc-file-logging.pcap"), true);
    uint32_t c = IP4(10, 7, 9, 103), s = IP4(10, 7, 9, 6);
    assert_int_equal(fx.events, 2);
    assert_event(0, WW_SMB_MS17_010_CHECK, c, 49223, s);
    assert_event(1, WW_SMB_MS17_010_EXPLOIT, c, 49223, s);
    assert_int_equal(fx.event[1].ms17.nt_total_data, 65558);
    assert_true(ww_smb_stats(fx.smb)->smb2 > 100);
}

/* --- benign SMB: parsed, and silent ------------------------------------------ */

struct benign {
    const char *file;
    uint64_t min_requests; /* DCE/RPC calls the stage must have read */
};

static void test_benign_captures_silent(void **state)
{
    (void)state;
    static const struct benign cases[] = {
        {REAL("securitynik_WinXP-445_msf_psexec.pcapng"), 14}, /* NetprNameCanonicalize, svcctl */
        {REAL("elc_netshareenum.pcap"), 10},                   /* SMB2 srvsvc */
        {REAL("sv_smb2-ntlmssp-negotiateflags_tcp445_139.pcap"), 1},
        {REAL("sv_filecontainer-smb_frames3000-4100.pcap"), 200}, /* NetServerGetInfo and more */
        {REAL("evilfingers_xscan_capture_frames1-2000.pcap"), 150},
        {REAL("malcolm_bro-simple-scan_445_scan.pcap"), 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        teardown(NULL);
        run(cases[i].file, true);
        const struct ww_smb_stats *st = ww_smb_stats(fx.smb);
        if (fx.events != 0 || st->dce.requests < cases[i].min_requests)
            fail_msg("%s: %zu findings, %llu DCE/RPC requests", cases[i].file, fx.events,
                     (unsigned long long)st->dce.requests);
        assert_int_equal(st->dce.malformed, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ms08_067_metasploit_exploit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ms08_067_one_byte_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ms08_067_retransmitted_and_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ms08_067_snap_length_300, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eternalblue_with_doublepulsar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eternalblue_answers_not_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metasploit_eternalblue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wannacry_mid_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wannacry_in_a_small_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nmap_ms17_010_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eternalblue_inside_smb2_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_benign_captures_silent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
