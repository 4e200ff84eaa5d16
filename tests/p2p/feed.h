/*
 * Test helper: reads a capture with libpcap and hands every IPv4 UDP
 * datagram and TCP segment to a callback as the P2P detector takes it
 * (ww_p2p_packet). Ethernet (with VLAN tags), Linux SLL and raw IPv4 only:
 * what the P2P tests capture. Every frame byte is read through bytes.h.
 */
#ifndef WW_TESTS_P2P_FEED_H
#define WW_TESTS_P2P_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/p2p_detect.h"

typedef void (*p2p_feed_fn)(void *ctx, const struct ww_p2p_packet *pkt);

/* Splits one frame of link type `dlt`; false if it is not IPv4 TCP/UDP with its header whole. */
bool p2p_parse_frame(int dlt, uint64_t ts_ns, const uint8_t *frame, size_t cap_len,
                     struct ww_p2p_packet *out);

/* Feeds every TCP/UDP packet of `path`; returns how many, or -1 with a message in err. */
long p2p_feed_pcap(const char *path, p2p_feed_fn fn, void *ctx, char *err, size_t err_len);

#endif
