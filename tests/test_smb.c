/*
 * Unit tests for the SMB stage (smb.h, dcerpc.h, ms17.h) on messages built
 * byte by byte (smb_build.h): what the tools and worms send and how servers
 * answer, each fed as a TCP flow through ww_smb_segment() and checked for its
 * exact findings and counters. The lies and losses are in test_smb_hostile.c.
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

#define T(name) cmocka_unit_test_setup_teardown(name, smb_setup, smb_teardown)

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
        T(test_flow_key_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
