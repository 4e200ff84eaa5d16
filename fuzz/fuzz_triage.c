/*
 * Fuzz target: triage against the decoder, on the frames of fuzz_decode.c
 * (the same input format and seeds: the first byte picks the link type and
 * whether the snap length cut the frame). Triage may send anything to the
 * decoder, but what it drops the decoder must accept, with the very same
 * counters; and a frame it does not drop it must not have counted. Either
 * failure aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/decode.h"
#include "wormwatch/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The default rules' interest; the dynamic parts take turns being set. */
static struct ww_interest *interest(void)
{
    static struct ww_interest *w;
    if (!w) {
        static uint32_t answers_due;
        static struct ww_addr_filter talkers;
        if (!(w = calloc(1, sizeof *w)))
            abort();
        ww_port_bit_set(w->probe_ports, 445);
        ww_port_bit_set(w->probe_ports, 139);
        ww_port_bit_set(w->udp_ports, 53);
        ww_port_bit_set(w->udp_ports, 67);
        ww_port_bit_set(w->udp_ports, 68);
        w->smb = w->p2p = true;
        ww_addr_filter_add(&talkers, 0x0A000001u);
        w->smb_answers_due = &answers_due;
        w->p2p_talkers = &talkers;
    }
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum ww_link link = (enum ww_link)((data[0] & 0x7f) % WW_LINK__COUNT);
    bool cut = data[0] & 0x80;
    size_t len = size - 1;
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 1, len);
    uint32_t wire_len = (uint32_t)len + (cut ? 1500 : 0);
    struct ww_decode_stats by_triage = {0}, by_decode = {0};
    static const struct ww_decode_stats zero;
    struct ww_packet pkt;
    enum ww_triage_result r =
        ww_triage(&by_triage, interest(), link, frame, (uint32_t)len, wire_len);
    enum ww_decode_result d = ww_decode(&by_decode, link, 0, frame, (uint32_t)len, wire_len, &pkt);
    ww_decode_stats_fold(&by_triage);
    if (r == WW_TRIAGE_DROP &&
        (d == WW_DECODED_INVALID || memcmp(&by_triage, &by_decode, sizeof by_decode) != 0))
        abort();
    if (r == WW_TRIAGE_DECODE && memcmp(&by_triage, &zero, sizeof zero) != 0)
        abort();
    free(frame);
    return 0;
}
