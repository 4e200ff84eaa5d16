/*
 * community_id_tool: wormwatch's Community ID (v1, seed 0) of each flow on
 * stdin, for community-id-vs-tshark.sh to compare with Wireshark's.
 *
 * In:  one "SRC DST PROTO SPORT DPORT" per line (dotted-quad addresses,
 *      decimal numbers), e.g. "10.1.1.103 10.1.1.10 6 1033 445".
 * Out: one line per line in: the ID, or "-" for a protocol that has none.
 * Exit 0, or 1 at the first malformed line (named on stderr).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wormwatch/community_id.h"

struct flow {
    uint32_t src, dst; /* host byte order */
    uint8_t proto;
    uint16_t sport, dport;
};

static bool parse_ipv4(const char *text, uint32_t *addr)
{
    struct in_addr a;
    if (inet_pton(AF_INET, text, &a) != 1)
        return false;
    *addr = ntohl(a.s_addr);
    return true;
}

static bool parse_flow(const char *line, struct flow *f)
{
    char src[16], dst[16], extra;
    unsigned long proto, sport, dport;
    if (sscanf(line, "%15s %15s %lu %lu %lu %c", src, dst, &proto, &sport, &dport, &extra) != 5)
        return false;
    if (proto > UINT8_MAX || sport > UINT16_MAX || dport > UINT16_MAX)
        return false;
    f->proto = (uint8_t)proto;
    f->sport = (uint16_t)sport;
    f->dport = (uint16_t)dport;
    return parse_ipv4(src, &f->src) && parse_ipv4(dst, &f->dst);
}

int main(void)
{
    char line[256];
    unsigned long line_no = 0;
    while (fgets(line, sizeof line, stdin)) {
        line_no++;
        struct flow f;
        if (!parse_flow(line, &f)) {
            fprintf(stderr, "community_id_tool: line %lu: expected \"SRC DST PROTO SPORT DPORT\"\n",
                    line_no);
            return 1;
        }
        char id[WW_COMMUNITY_ID_LEN];
        bool has_id = ww_community_id_v1(0, f.src, f.dst, f.proto, f.sport, f.dport, id);
        printf("%s\n", has_id ? id : "-");
    }
    return ferror(stdin) || fflush(stdout) != 0 ? 1 : 0;
}
