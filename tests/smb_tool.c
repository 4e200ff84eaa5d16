/*
 * smb_tool: the SMB stage (smb.h) over a capture file, one line per finding
 * and a line of counters, for looking at a capture by hand and for the
 * tests' expectations.
 *
 * Usage: smb_tool [-s BYTES] FILE...   (several files are one stream, as in
 *        wormwatch; -s keeps only the first BYTES of each TCP payload, as a
 *        snap length would)
 * Out:   KIND CLIENT:PORT -> SERVER:PORT smb=DIALECT/COMMAND pipe=NAME ...
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_tcp.h"
#include "test_key.h"
#include "wormwatch/index.h"
#include "wormwatch/smb.h"

static const char *ip(uint32_t addr, char *buf)
{
    struct in_addr a = {htonl(addr)};
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void print_event(void *ctx, const struct ww_smb_event *ev)
{
    (void)ctx;
    char c[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
    printf("%s %s:%u -> %s:%u smb=%u/%s pipe=%s", ww_smb_kind_name(ev->kind),
           ip(ev->flow.client, c), ev->flow.client_port, ip(ev->flow.server, s),
           ev->flow.server_port, ev->smb.dialect,
           ww_smb_command_name(ev->smb.dialect, ev->smb.command),
           ev->smb.named_pipe[0] ? ev->smb.named_pipe : "-");
    if (ev->has_dcerpc)
        printf(" srvsvc=%d opnum=%u ctx=%u bind_contexts=%u frags=%u request=%" PRIu32
               " stub=%" PRIu32 " path=%" PRIu32 " nonascii=%" PRIu32
               " climbs=%d status=0x%" PRIx32,
               ev->dcerpc.interface_known, ev->dcerpc.opnum, ev->dcerpc.context_id,
               ev->dcerpc.bind_contexts, ev->dcerpc.fragments, ev->dcerpc.request_bytes,
               ev->dcerpc.stub_bytes, ev->dcerpc.path_units, ev->dcerpc.path_nonascii,
               ev->dcerpc.path_climbs, ev->dcerpc.answer_status);
    else
        printf(" mid=%u nt_total_data=%" PRIu32 " timeout=0x%" PRIx32 " opcode=0x%02x",
               ev->smb.mid, ev->ms17.nt_total_data, ev->ms17.timeout, ev->ms17.opcode);
    printf("\n");
}

static size_t snap = SIZE_MAX; /* payload bytes kept per segment */

static void feed(void *ctx, const struct pcap_tcp_segment *seg)
{
    struct ww_stream_key key;
    bool to_server;
    if (!ww_smb_flow_key(seg->src, seg->dst, seg->sport, seg->dport, &key, &to_server))
        return;
    uint32_t hash = (uint32_t)ww_hash_u32x4(&ww_test_key, key.client, key.server,
                                  (uint32_t)key.client_port << 16 | key.server_port, 6);
    struct ww_segment s = {seg->ts_ns, seg->seq, seg->flags, seg->payload,
                           seg->len < snap ? seg->len : snap, seg->wire_len};
    ww_smb_segment(ctx, hash, &key, to_server, &s);
}

int main(int argc, char **argv)
{
    struct ww_smb_config cfg = {.memory_bytes = 8u << 20,
                                .idle_timeout_ns = 600ull * 1000000000u,
                                .answers = true};
    struct ww_smb *smb = ww_smb_new(&cfg, print_event, NULL);
    if (!smb || argc < 2) {
        fprintf(stderr, "usage: smb_tool FILE...\n");
        return 2;
    }
    int status = 0, first = 1;
    if (argc > 3 && strcmp(argv[1], "-s") == 0) {
        snap = strtoul(argv[2], NULL, 10);
        first = 3;
    }
    for (int i = first; i < argc; i++)
        if (!pcap_tcp_read(argv[i], feed, smb))
            status = 1;
    ww_smb_flush(smb);
    const struct ww_smb_stats *st = ww_smb_stats(smb);
    const struct ww_stream_stats *ss = ww_smb_stream_stats(smb);
    printf("stats flows=%" PRIu64 " bytes=%" PRIu64 " gaps=%" PRIu64 " messages=%" PRIu64
           " smb1=%" PRIu64 " smb2=%" PRIu64 " not_smb=%" PRIu64 " resyncs=%" PRIu64
           " resynced=%" PRIu64 " given_up=%" PRIu64 " truncated=%" PRIu64 " pipes=%" PRIu64
           " pdus=%" PRIu64 " binds=%" PRIu64 " requests=%" PRIu64 " dce_malformed=%" PRIu64
           " answers=%" PRIu64 " retransmitted=%" PRIu64 " held=%" PRIu64 "\n",
           ss->flows, ss->bytes, ss->gaps, st->framing.messages, st->smb1, st->smb2,
           st->framing.not_smb, st->framing.resyncs, st->framing.resynced, st->framing.given_up,
           st->truncated, st->pipes, st->dce.pdus, st->dce.binds, st->dce.requests,
           st->dce.malformed, st->answers, ss->retransmitted, ss->held);
    ww_smb_free(smb);
    return status;
}
