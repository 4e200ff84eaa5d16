/*
 * Fuzz target: triage against the decoder, on the frames of fuzz_decode.c
 * (the same input format, frame_input.h, and seeds). Triage may send anything to the
 * decoder, but what it drops the decoder must accept, with the very same
 * counters; and a frame it does not drop it must not have counted. Either
 * failure aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame_input.h"
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
    struct fuzz_frame f;
    if (!fuzz_frame_from(data, size, &f))
        return 0;
    struct ww_decode_stats by_triage = {0}, by_decode = {0};
    static const struct ww_decode_stats zero;
    struct ww_packet pkt;
    enum ww_triage_result r =
        ww_triage(&by_triage, interest(), f.link, f.bytes, f.cap_len, f.wire_len);
    enum ww_decode_result d =
        ww_decode(&by_decode, f.link, 0, f.bytes, f.cap_len, f.wire_len, &pkt);
    ww_decode_stats_fold(&by_triage);
    if (r == WW_TRIAGE_DROP &&
        (d == WW_DECODED_INVALID || memcmp(&by_triage, &by_decode, sizeof by_decode) != 0))
        abort();
    if (r == WW_TRIAGE_DECODE && memcmp(&by_triage, &zero, sizeof zero) != 0)
        abort();
    free(f.bytes);
    return 0;
}
