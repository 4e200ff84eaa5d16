/*
 * wwbare: the physical limit of reading a capture through libpcap.
 *
 *   wwbare CAPTURE
 *
 *   wwbare --count-only CAPTURE
 *
 *   wwbare --stdio-default CAPTURE
 *
 * Opens CAPTURE as wormwatch does (fopen, a WW_CAPTURE_READ_BUFFER stdio
 * buffer, pcap_fopen_offline_with_tstamp_precision with nanosecond
 * precision) and reads every packet with pcap_next_ex. --stdio-default
 * leaves stdio's own 4 KiB buffer, as a plain pcap_open_offline() would:
 * what the buffer alone is worth. Any program
 * that looks at packets must at least bring them to the CPU: one byte of
 * every 64-byte cache line of each packet is added to a checksum the
 * compiler cannot drop, so all of its memory is touched at the least cost in
 * instructions (folding every byte would cost ~280 more a packet, more than
 * wormwatch's whole analysis: a floor must not be padded). With --count-only
 * it touches nothing but the record headers (a packet count and the
 * captured lengths), the floor of libpcap alone.
 * Prints one line:
 *
 *   packets N bytes B seconds S checksum C
 *
 * S is the wall time from opening the file to the last packet (CLOCK_MONOTONIC).
 * bench/throughput.sh compares wormwatch with it (docs/benchmark.md).
 * Exit code 0; 1 if the capture cannot be opened or read; 2 on a usage error.
 */
/* libpcap's headers use the BSD types (u_int, u_char): not POSIX. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wormwatch/capture.h" /* WW_CAPTURE_READ_BUFFER, nothing else */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A byte of every cache line the packet spans, and its last byte. */
static uint64_t touch(const u_char *data, uint32_t len)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < len; i += 64)
        sum += data[i];
    return len ? sum + data[len - 1] : sum;
}

int main(int argc, char **argv)
{
    bool count_only = argc == 3 && !strcmp(argv[1], "--count-only");
    bool stdio_default = argc == 3 && !strcmp(argv[1], "--stdio-default");
    if (argc != 2 && !count_only && !stdio_default) {
        fprintf(stderr, "usage: %s [--count-only | --stdio-default] CAPTURE\n", argv[0]);
        return 2;
    }
    const char *path = argv[argc - 1];
    char err[PCAP_ERRBUF_SIZE] = "";
    double start = now_seconds();
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "wwbare: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *buffer = stdio_default ? NULL : malloc(WW_CAPTURE_READ_BUFFER);
    if (buffer)
        setvbuf(file, buffer, _IOFBF, WW_CAPTURE_READ_BUFFER);
    pcap_t *pcap = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!pcap) {
        fprintf(stderr, "wwbare: %s\n", err);
        fclose(file);
        free(buffer);
        return 1;
    }
    uint64_t packets = 0, bytes = 0, checksum = 0;
    struct pcap_pkthdr *header;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(pcap, &header, &data)) == 1) {
        packets++;
        bytes += header->caplen;
        if (!count_only)
            checksum += touch(data, header->caplen);
    }
    double seconds = now_seconds() - start;
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, "wwbare: %s: %s\n", path, pcap_geterr(pcap));
        pcap_close(pcap);
        free(buffer);
        return 1;
    }
    pcap_close(pcap);
    free(buffer);
    printf("packets %llu bytes %llu seconds %.6f checksum %llu\n", (unsigned long long)packets,
           (unsigned long long)bytes, seconds, (unsigned long long)checksum);
    return 0;
}
