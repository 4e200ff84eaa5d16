/*
 * Fuzz target: the Conficker.C P2P message reader (p2p.h) and the detector
 * behind it (p2p_detect.h).
 *
 * Input: one byte of options, then the payload. Bit 0 of the options: TCP
 * framing; bit 1: the payload had 64 more bytes on the wire than were
 * captured. The payload is copied into a buffer of exactly its size, so any
 * read past it is caught. Beyond not crashing, the reader must keep its
 * word: what it calls VALID stays VALID with only the checked bytes and
 * becomes TRUNCATED with one fewer, and a message without a data block
 * re-encodes from its fields to the very bytes it was read from (noise
 * aside). Then the payload goes to a detector that lives across inputs, at
 * the computed port of a destination and back from it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/p2p.h"
#include "wormwatch/p2p_detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ww_p2p_detector *detector(void)
{
    static struct ww_p2p_detector *det;
    if (!det) {
        struct ww_p2p_detect_config cfg;
        ww_p2p_detect_config_default(&cfg);
        cfg.capacity = 64;
        det = ww_p2p_detector_new(&cfg, NULL, NULL);
        if (!det)
            abort();
    }
    return det;
}

static void check_reader(const uint8_t *payload, size_t len, size_t wire, bool tcp)
{
    struct ww_p2p_message m;
    enum ww_p2p_verdict v = ww_p2p_verify(payload, len, wire, tcp, &m);
    if (v != WW_P2P_VALID && v != WW_P2P_BAD_CHECKSUM)
        return;
    size_t frame = tcp ? 2 : 0;
    size_t end = frame + m.checked_len + 4; /* through the checksum */
    if (m.checked_len < WW_P2P_KEY_BYTES + 2 || end + m.noise_len > len)
        abort();
    if (ww_p2p_verify(payload, end, wire, tcp, NULL) != v)
        abort();
    if (ww_p2p_verify(payload, end - 1, wire > len ? wire : len, tcp, NULL) != WW_P2P_TRUNCATED)
        abort();
    if (v != WW_P2P_VALID || (m.flags & WW_P2P_FLAG_DATA))
        return;
    uint8_t again[2 + 64];
    struct ww_p2p_message copy = m;
    size_t n = ww_p2p_encode(&copy, NULL, NULL, 0, again, sizeof again);
    /* The length prefix is the frame's own (noise may follow); the rest must be the same bytes. */
    if (n != end || memcmp(again + frame, payload + frame, end - frame) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool tcp = data[0] & 1;
    size_t len = size - 1;
    size_t wire = len + ((data[0] & 2) ? 64 : 0);
    uint8_t *payload = malloc(len ? len : 1);
    if (!payload)
        return 0;
    memcpy(payload, data + 1, len);
    check_reader(payload, len, wire, tcp);

    static uint64_t clock_ns = 1238371200ULL * 1000000000ULL - 60ULL * 1000000000ULL;
    clock_ns += 7 * 1000000000ULL; /* crosses a week boundary early on */
    uint32_t src = 0x0a000000u | (uint32_t)(size % 8);
    uint32_t dst = 0xc0000200u | (uint32_t)(len ? payload[0] % 16 : 0);
    struct ww_p2p_ports ports;
    ww_p2p_ports_at(dst, clock_ns, &ports);
    uint16_t port = tcp ? ports.tcp[size % 2] : ports.udp[size % 2];
    struct ww_p2p_packet out = {.ts_ns = clock_ns, .src = src, .dst = dst, .sport = 40000,
                                .dport = port, .tcp = tcp, .syn = tcp && (data[0] & 4),
                                .payload = payload, .payload_len = len, .payload_wire_len = wire};
    ww_p2p_detect_packet(detector(), &out);
    struct ww_p2p_packet back = {.ts_ns = clock_ns, .src = dst, .dst = src, .sport = port,
                                 .dport = 40000, .tcp = tcp, .payload = payload,
                                 .payload_len = len, .payload_wire_len = wire};
    ww_p2p_detect_packet(detector(), &back);
    free(payload);
    return 0;
}
