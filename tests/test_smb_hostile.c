/*
 * Unit tests for the SMB stage (smb.h, nbss.h, dcerpc.h) on hostile and lossy
 * flows, built with smb_build.h: flows joined mid-message, segments lost
 * inside a body or through a pipe write, NetBIOS lengths past the data, cut
 * headers, DCE/RPC fragments shorter than their header, 4 GiB alloc hints,
 * fragments that never end, sequence numbers that wrap, endless garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smb_build.h"
#include "wormwatch/decode.h"
#include "wormwatch/smb.h"

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
 * A lost segment inside a body being skipped costs nothing: once the head is
 * read the rest of the body is skipped at the consumer's word, so the
 * segment after the hole is old news and the hole never opens.
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
    assert_one(WW_SMB_MS17_010_EXPLOIT); /* at once: nothing waits behind the hole */
    assert_int_equal(fx.event[0].smb.mid, 70);
    assert_int_equal(ww_smb_stats(fx.smb)->framing.resyncs, 0);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->gaps, 0);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->skipped_bytes, framed.n - 1000);
    assert_int_equal(ww_smb_stream_stats(fx.smb)->retransmitted, 1);
    ww_smb_flush(fx.smb);
    assert_int_equal(fx.events, 1);
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

#define T(name) cmocka_unit_test_setup_teardown(name, smb_setup, smb_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
