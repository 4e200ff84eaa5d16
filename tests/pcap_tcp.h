/*
 * pcap_tcp: the TCP segments of a capture file, for tests that feed real
 * traffic to a stage that takes payloads (the SMB parser).
 *
 * The project's decoder (decode.h) does not hand out payload offsets, so
 * this reads frames with libpcap and decodes just enough of Ethernet (with
 * VLAN tags), Linux SLL and raw IPv4 to find a TCP payload. It is test code:
 * anything it does not know is skipped, never guessed at.
 */
#ifndef WW_TEST_PCAP_TCP_H
#define WW_TEST_PCAP_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pcap_tcp_segment {
    uint64_t ts_ns;
    uint32_t src, dst;  /* host order */
    uint16_t sport, dport;
    uint32_t seq;
    uint8_t flags;
    const uint8_t *payload; /* valid during the callback only */
    size_t len;             /* bytes captured */
    size_t wire_len;        /* the payload's length by the IP header */
};

typedef void (*pcap_tcp_fn)(void *ctx, const struct pcap_tcp_segment *seg);

/* Calls fn for every IPv4 TCP segment; false (with a message on stderr) if the file fails. */
bool pcap_tcp_read(const char *path, pcap_tcp_fn fn, void *ctx);

#endif
