/*
 * Fuzz target: the stream store and the SMB stage (stream.h, smb.h) on
 * arbitrary TCP segments.
 *
 * The input is a list of segments, each "CTL LEN_HI LEN_LO PAYLOAD[LEN]":
 * CTL bit 0 sends it server -> client, bits 1-2 pick one of four flows,
 * bit 3 leaves a 64-byte hole before it, bit 4 sends it 32 bytes early (an
 * overlap), both say its last 64 bytes on the wire were not captured (the
 * snap length), bits 5-7 add FIN, RST, SYN. CTL 0xFF moves packet time on by two
 * hours instead (flows expire). The store holds only three flows, so
 * eviction runs too. Each payload is copied into a buffer of exactly its
 * size, so a read past it is caught. The seeds in fuzz/corpus/smb/ are
 * the client and server payloads of the real captures in pcaps/real/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/decode.h"
#include "wormwatch/smb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLOWS 4
#define NS_PER_MS 1000000ULL

static void check_event(void *ctx, const struct ww_smb_event *ev)
{
    (void)ctx;
    if ((unsigned)ev->kind >= WW_SMB_KIND__COUNT || ev->smb.named_pipe[WW_DCE_PIPE_NAME - 1])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ww_smb_config cfg = {.memory_bytes = 3 * ww_smb_bytes_per_flow(),
                                .idle_timeout_ns = 3600 * 1000 * NS_PER_MS,
                                .answers = true};
    struct ww_smb *smb = ww_smb_new(&cfg, check_event, NULL);
    if (!smb)
        abort();
    uint32_t seq[FLOWS][2] = {{1000, 90000}, {0xFFFFFF00u, 5}, {7, 0x7FFFFFF0u}, {1, 1}};
    uint64_t now = 1238414400ULL * 1000 * NS_PER_MS;
    size_t at = 0;
    while (size - at >= 3) {
        uint8_t ctl = data[at];
        size_t len = (size_t)data[at + 1] << 8 | data[at + 2];
        at += 3;
        if (len > size - at)
            len = size - at;
        now += NS_PER_MS;
        if (ctl == 0xFF) {
            now += 7200 * 1000 * NS_PER_MS;
            ww_smb_advance(smb, now);
            at += len;
            continue;
        }
        bool to_server = !(ctl & 0x01);
        unsigned flow = (ctl >> 1) & 3;
        struct ww_stream_key key = {0x0A000001u + flow, 0x0A0000FEu, (uint16_t)(1024 + flow),
                                    flow == 3 ? 139 : 445};
        uint32_t *s = &seq[flow][to_server ? 0 : 1];
        bool cut = (ctl & 0x18) == 0x18;
        if ((ctl & 0x08) && !cut)
            *s += 64;
        uint32_t send_seq = (ctl & 0x10) && !cut ? *s - 32 : *s;
        uint8_t flags = (ctl & 0x80) ? WW_TCP_SYN : WW_TCP_ACK;
        flags |= (uint8_t)(((ctl & 0x20) ? WW_TCP_FIN : 0) | ((ctl & 0x40) ? WW_TCP_RST : 0));
        uint8_t *payload = malloc(len ? len : 1);
        if (!payload)
            abort();
        memcpy(payload, data + at, len);
        size_t wire = cut ? len + 64 : len;
        struct ww_segment seg = {now, send_seq, flags, len ? payload : NULL, len, wire};
        ww_smb_segment(smb, key.client_port * 2654435761u, &key, to_server, &seg);
        free(payload);
        *s = send_seq + (uint32_t)wire;
        at += len;
    }
    ww_smb_flush(smb);
    ww_smb_free(smb);
    return 0;
}
