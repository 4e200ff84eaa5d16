/*
 * wwbare: the physical limit of reading a capture through libpcap.
 *
 *   wwbare CAPTURE
 *
 * Opens CAPTURE as wormwatch does (pcap_open_offline_with_tstamp_precision,
 * nanosecond precision) and reads every packet with pcap_next_ex, touching
 * nothing but a packet count and a byte count (the captured lengths, summed
 * so that the compiler cannot drop the loop). Prints one line:
 *
 *   packets N bytes B seconds S
 *
 * S is the wall time from opening the file to the last packet (CLOCK_MONOTONIC).
 * bench/throughput.sh compares wormwatch with it (docs/benchmark.md).
 * Exit code 0; 1 if the capture cannot be opened or read; 2 on a usage error.
 */
/* libpcap's headers use the BSD types (u_int, u_char): not POSIX. */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CAPTURE\n", argv[0]);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE] = "";
    double start = now_seconds();
    pcap_t *pcap = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pcap) {
        fprintf(stderr, "wwbare: %s\n", err);
        return 1;
    }
    uint64_t packets = 0, bytes = 0;
    struct pcap_pkthdr *header;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(pcap, &header, &data)) == 1) {
        packets++;
        bytes += header->caplen;
    }
    double seconds = now_seconds() - start;
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, "wwbare: %s: %s\n", argv[1], pcap_geterr(pcap));
        pcap_close(pcap);
        return 1;
    }
    pcap_close(pcap);
    printf("packets %llu bytes %llu seconds %.6f\n", (unsigned long long)packets,
           (unsigned long long)bytes, seconds);
    return 0;
}
