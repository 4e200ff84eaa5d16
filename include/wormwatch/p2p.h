/*
 * Conficker.C's peer-to-peer service: its ports and its messages.
 *
 * Conficker.C (Microsoft's Conficker.D) finds peers by scanning: for each
 * address it tries, it sends UDP datagrams and opens TCP connections to
 * ports it computes from that address alone, and a peer listens on the ports
 * computed from its own address. Four ports an address: a TCP/UDP pair fixed
 * for the address, and a pair that also depends on the week. A sensor can
 * compute the same four ports for any destination, so a packet to one of
 * them is a (weak) sign of a peer looking for peers, and a payload that
 * decrypts to a message whose checksum matches is a strong one.
 *
 * Both halves were worked out from nmap's p2p-conficker script (by Ron
 * Bowes, from Symantec's research) and are checked against it: the ports
 * against nmap's own generator, the messages against what nmap sends and
 * accepts (tests/test_p2p_nmap.sh).
 *
 * The week: weeks start on Monday 00:00:00 UTC and are numbered from the
 * first Monday of the Unix epoch, 1970-01-05, as week 0: nmap computes
 * floor((unix_seconds - 345600) / 604800), 345600 s being the four days from
 * Thursday 1970-01-01 to that Monday. So 2009-03-30 (a Monday) starts week
 * 2047 and the second before it is still week 2046.
 *
 * The message: an 8-byte key in clear, then everything else XORed with a
 * keystream drawn from that key (so a sniffer can decrypt it: obfuscation,
 * not secrecy). The plaintext is 16-bit flags, optional fields the flags
 * announce, a 32-bit checksum of the key and fields, then any number of
 * noise bytes. Over TCP the message is preceded by its 16-bit length. All
 * integers are little-endian.
 */
#ifndef WW_P2P_H
#define WW_P2P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WW_P2P_WEEK_ORIGIN_S 345600ULL /* 1970-01-05 00:00:00 UTC, a Monday */
#define WW_P2P_WEEK_S 604800ULL

/* The four ports of an address. Index 0 is fixed for the address, 1 changes weekly. */
struct ww_p2p_ports {
    uint16_t tcp[2];
    uint16_t udp[2];
};

/*
 * The week number nmap (and the worm) would use at a packet time, in ns since
 * the Unix epoch. Times before 1970-01-05 give -1, as nmap's floor does.
 */
int64_t ww_p2p_week(uint64_t ts_ns);
/* Packet time of the first instant of `week` (its Monday 00:00:00 UTC), in ns. */
uint64_t ww_p2p_week_start_ns(int64_t week);

/* Whether the worm never picks `port` (its built-in exclusion list: below 2048, well-known services). */
bool ww_p2p_port_excluded(uint16_t port);

/* The ports of `ip` (host byte order) in `week` (as ww_p2p_week() gives it). */
void ww_p2p_ports(uint32_t ip, int64_t week, struct ww_p2p_ports *out);
/* The same at a packet time. */
void ww_p2p_ports_at(uint32_t ip, uint64_t ts_ns, struct ww_p2p_ports *out);

/* How a port relates to an address's ports at a time. */
enum ww_p2p_match {
    WW_P2P_NO_MATCH,
    WW_P2P_MATCH_FIXED,    /* the address's week-independent port */
    WW_P2P_MATCH_WEEK,     /* the weekly port of the packet's week */
    WW_P2P_MATCH_ADJACENT  /* the weekly port of the week before or after, near the boundary */
};

/*
 * Whether `port` (TCP if `tcp`, else UDP) is one of `ip`'s ports at ts_ns.
 * Within `slack_ns` of a week boundary the neighbouring week's port counts
 * too (WW_P2P_MATCH_ADJACENT): the worm's clock need not agree with ours to
 * the second. An excluded port is answered without computing anything.
 * `week` (may be NULL) gets the week whose port matched (the packet's week
 * when nothing matched).
 */
enum ww_p2p_match ww_p2p_match_port(uint32_t ip, uint16_t port, bool tcp, uint64_t ts_ns,
                                    uint64_t slack_ns, int64_t *week);

/* Flag bits of a message (names after nmap's script). */
#define WW_P2P_FLAG_MODE 0x0001
#define WW_P2P_FLAG_LOCAL_ACK 0x0002
#define WW_P2P_FLAG_IS_TCP 0x0004
#define WW_P2P_FLAG_PEER 0x0008     /* an IPv4 address and port follow */
#define WW_P2P_FLAG_UNKNOWN0 0x0010 /* a 32-bit value follows */
#define WW_P2P_FLAG_UNKNOWN1 0x0020 /* another 32-bit value follows */
#define WW_P2P_FLAG_DATA 0x0040     /* a data block (1-byte type, 16-bit length, bytes) */
#define WW_P2P_FLAG_SYSINFO 0x0080  /* 26 bytes describing the sender's system */
#define WW_P2P_FLAG_ENCODED 0x8000

#define WW_P2P_KEY_BYTES 8
#define WW_P2P_SYSINFO_BYTES 26
#define WW_P2P_MIN_MESSAGE 14 /* key, flags, checksum */

/* What a message says, and where its parts were. */
struct ww_p2p_message {
    uint32_t key_lo, key_hi;  /* the 64-bit key, as sent (little-endian halves) */
    uint16_t flags;           /* WW_P2P_FLAG_* */
    bool tcp;                 /* read with TCP framing */
    uint16_t frame_len;       /* TCP: the length prefix (bytes after it); UDP: 0 */
    uint32_t peer_ip;         /* FLAG_PEER: address, host byte order */
    uint16_t peer_port;       /* FLAG_PEER: port */
    uint32_t unknown0, unknown1;
    uint8_t data_type;        /* FLAG_DATA: its first byte */
    uint16_t data_len;        /* FLAG_DATA: bytes of data */
    uint8_t sysinfo[WW_P2P_SYSINFO_BYTES]; /* FLAG_SYSINFO: decrypted, as sent */
    size_t checked_len;       /* bytes the checksum covers (key + flags + fields) */
    uint32_t checksum;        /* as sent */
    uint32_t computed;        /* over the decrypted bytes */
    size_t noise_len;         /* captured bytes after the checksum, within the message */
};

enum ww_p2p_verdict {
    WW_P2P_VALID,        /* checksum matches: a Conficker.C P2P message */
    WW_P2P_TRUNCATED,    /* consistent as far as captured, but the checksum was not captured */
    WW_P2P_BAD_CHECKSUM, /* well framed, checksum wrong */
    WW_P2P_MALFORMED     /* too short for its own fields or its TCP length, or a frame below 14 */
};

const char *ww_p2p_verdict_name(enum ww_p2p_verdict verdict);

/*
 * Reads one message from the start of a UDP payload or of a TCP segment's
 * data (`tcp`: the 16-bit length comes first). `cap_len` bytes were
 * captured of `wire_len` (the payload's length on the wire; pass cap_len if
 * unknown): a message cut by the snap length is TRUNCATED, one that needs
 * more bytes than the wire (or its TCP length) had is MALFORMED. For TCP,
 * a message may continue in later segments (wire_len < frame): it is still
 * VALID if the checksum was captured. `msg` (may be NULL) gets the fields
 * read so far. Never reads outside payload[0, cap_len).
 */
enum ww_p2p_verdict ww_p2p_verify(const uint8_t *payload, size_t cap_len, size_t wire_len, bool tcp,
                                  struct ww_p2p_message *msg);

/*
 * Whether a VALID message has the shape of nmap's p2p-conficker probe: no
 * optional fields, no noise, flags MODE | ENCODED (| IS_TCP over TCP), both
 * key halves in 1..2^31-1. An auditor's scan, not necessarily a worm.
 */
bool ww_p2p_nmap_shaped(const struct ww_p2p_message *msg);

/*
 * Writes a message (for tests, generators and fuzz seeds): the fields of
 * `msg` that its flags announce (key, flags, peer, unknowns, data_type,
 * sysinfo; data_len bytes from `data`), the checksum, then `noise_len` bytes
 * from `noise`, encrypted with the key; with a TCP length first if
 * msg->tcp. Returns the bytes written, 0 if `cap` is too small or the
 * message would not fit a TCP length.
 */
size_t ww_p2p_encode(const struct ww_p2p_message *msg, const uint8_t *data, const uint8_t *noise,
                     size_t noise_len, uint8_t *out, size_t cap);

#endif
