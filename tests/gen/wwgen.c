/*
 * wwgen - deterministic capture generator for wormwatch's tests.
 *
 * Writes the synthetic captures kept in pcaps/ (classic pcap with micro- or
 * nanosecond timestamps and pcapng; Ethernet, Linux SLL/SLL2, raw IPv4 and
 * BSD loopback link types) and, next to each, NAME.truth.json: the sources
 * wormwatch must flag, the notable hosts it must not flag, and every
 * connection attempt or NBNS query on the watched ports with its outcome.
 *
 * Every capture is a short story (a Conficker-like worm, a vulnerability
 * scanner, an NBSTAT sweep, ...) told with one shared set of builders:
 *
 *   story      -> conversations (run_tcp_attempt, run_nbns_query, ...)
 *              -> emit_* : one packet description per frame, in any order
 *   finalize   -> sort by time, make timestamps strictly increasing,
 *                 give each sender its own incrementing IPv4 ID
 *   render     -> IP + transport bytes (checksums), deliberate damage,
 *                 the file's link-layer header, pcap/pcapng records
 *
 * Same binary and arguments give byte-identical files: all randomness comes
 * from a splitmix64-seeded xorshift64* generator with a fixed seed per file,
 * and all times are offsets from 2009-03-30 00:00:00 UTC.
 *
 * With --bench it writes instead one large capture for bench/throughput.sh
 * (not in pcaps/, no ground truth): an office /16 with web, DNS, SMB, NBNS
 * and ARP traffic and scanners spread through it, exactly PACKETS frames,
 * told in one-second slices so that memory stays bounded (see "The
 * benchmark capture" near the end).
 *
 * Usage: wwgen OUTDIR [NAME]      (OUTDIR must exist)
 *        wwgen --bench OUTFILE PACKETS
 *        wwgen --spoof-flood OUTFILE [SECONDS [RATE [ANSWERED [HOSTS]]]]  ("The spoofed flood")
 * Build: cc -std=c11 -Wall -Wextra -Werror -O2 -o wwgen tests/gen/wwgen.c
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== */
/* Constants                                                           */
/* ================================================================== */

#define CAPTURE_EPOCH_SECONDS 1238371200ULL /* 2009-03-30 00:00:00 UTC */

typedef uint64_t nstime; /* nanoseconds since CAPTURE_EPOCH_SECONDS */
#define USEC(n) ((nstime)(n) * 1000ULL)
#define MSEC(n) ((nstime)(n) * 1000000ULL)
#define SEC(n) ((nstime)(n) * 1000000000ULL)

#define IPV4(a, b, c, d)                                                       \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) |   \
     (uint32_t)(d))
#define LIMITED_BROADCAST 0xffffffffu
#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

enum { PORT_SSH = 22, PORT_DNS = 53, PORT_HTTP = 80, PORT_RPC = 135,
       PORT_NBNS = 137, PORT_NBSS = 139, PORT_SMB = 445, PORT_RDP = 3389 };
enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
       TCP_ACK = 0x10 };
enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17 };
enum { ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_ARP = 0x0806, ETHERTYPE_IPV6 = 0x86dd,
       TPID_8021Q = 0x8100, TPID_8021AD = 0x88a8, TPID_LEGACY_QINQ = 0x9100 };
enum { ARP_REQUEST = 1, ARP_REPLY = 2 };
enum { ICMP_TYPE_UNREACHABLE = 3 };
enum { ICMP_CODE_HOST_UNREACHABLE = 1, ICMP_CODE_PORT_UNREACHABLE = 3,
       ICMP_CODE_ADMIN_PROHIBITED = 13 };

/* Detector defaults the stories are designed around (see the README). */
#define TCP_RULE_WINDOW SEC(300)
#define TCP_RULE_MIN_FAILED 10
#define NETBIOS_RULE_WINDOW SEC(60)
#define NETBIOS_RULE_MIN_TARGETS 5 /* distinct home targets: the rule counts no others */
#define UNANSWERED_AFTER SEC(5) /* silence after the last SYN that means "unanswered" */
/* Stories written for the next detector, a sequential test on first contacts. */
#define SEQUENTIAL_MIN_FAILED 4        /* failed 445 targets of every expected source */
#define SEQUENTIAL_BENIGN_MAX_FAILED 1 /* ... and at most this many of a benign one */

/* ================================================================== */
/* Errors, growable arrays and byte buffers                            */
/* ================================================================== */

static _Noreturn void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("wwgen: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(EXIT_FAILURE);
}

static void *grow_array(void *array, size_t *capacity, size_t element_size)
{
    size_t wanted = *capacity ? *capacity * 2 : 32;
    void *grown = realloc(array, wanted * element_size);
    if (!grown)
        die("out of memory");
    *capacity = wanted;
    return grown;
}

/* Appends one element to a (pointer, count, capacity) array, returning it. */
#define PUSH(array, count, capacity)                                           \
    (((count) == (capacity)                                                    \
          ? (void)((array) = grow_array((array), &(capacity), sizeof *(array))) \
          : (void)0),                                                          \
     &(array)[(count)++])

struct bytes {
    uint8_t *data;
    size_t len, cap;
};

/* Appends n zeroed bytes and returns them (valid until the next append). */
static uint8_t *bytes_extend(struct bytes *b, size_t n)
{
    if (!b->data || b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown)
            die("out of memory");
        b->data = grown;
        b->cap = cap;
    }
    uint8_t *tail = b->data + b->len;
    memset(tail, 0, n);
    b->len += n;
    return tail;
}

static void bytes_free(struct bytes *b)
{
    free(b->data);
    *b = (struct bytes){0};
}

static void store_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void store_be32(uint8_t *p, uint32_t v)
{
    store_be16(p, (uint16_t)(v >> 16));
    store_be16(p + 2, (uint16_t)v);
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
           p[0];
}

static void put_u8(struct bytes *b, uint8_t v) { *bytes_extend(b, 1) = v; }
static void put_be16(struct bytes *b, uint16_t v) { store_be16(bytes_extend(b, 2), v); }
static void put_be32(struct bytes *b, uint32_t v) { store_be32(bytes_extend(b, 4), v); }

static void put_le16(struct bytes *b, uint16_t v)
{
    uint8_t *p = bytes_extend(b, 2);
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(struct bytes *b, uint32_t v)
{
    put_le16(b, (uint16_t)v);
    put_le16(b, (uint16_t)(v >> 16));
}

static void put_le64(struct bytes *b, uint64_t v)
{
    put_le32(b, (uint32_t)v);
    put_le32(b, (uint32_t)(v >> 32));
}

static void put_data(struct bytes *b, const void *data, size_t n)
{
    if (n)
        memcpy(bytes_extend(b, n), data, n);
}

static void put_text(struct bytes *b, const char *text) { put_data(b, text, strlen(text)); }

/* n bytes of text repeating pattern from its start (file contents, page bodies). */
static void put_pattern(struct bytes *b, const char *pattern, size_t n)
{
    size_t period = strlen(pattern);
    uint8_t *out = bytes_extend(b, n);
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done < period ? n - done : period;
        memcpy(out + done, pattern, chunk);
        done += chunk;
    }
}

static void put_format(struct bytes *b, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int needed = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (needed < 0)
        die("bad format \"%s\"", format);
    char *tail = (char *)bytes_extend(b, (size_t)needed + 1);
    va_start(args, format);
    vsnprintf(tail, (size_t)needed + 1, format, args);
    va_end(args);
    b->len -= 1; /* drop the terminating NUL */
}

/* ================================================================== */
/* Deterministic randomness: splitmix64 seeding, xorshift64* stream     */
/* ================================================================== */

/* Draw at most once per expression: C leaves the evaluation order of
 * function arguments and initializer lists unspecified, and the files must
 * not depend on the compiler. */
struct rng {
    uint64_t state;
};

static uint64_t splitmix64(uint64_t *counter)
{
    uint64_t z = (*counter += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Stateless hash, for properties tied to an address (path length, ...). */
static uint64_t mix64(uint64_t value) { return splitmix64(&value); }

static struct rng rng_from_seed(uint64_t seed)
{
    return (struct rng){splitmix64(&seed) | 1}; /* xorshift needs non-zero */
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t x = r->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, bound); the modulo bias (< 2^-40 here) is irrelevant. */
static uint64_t rng_below(struct rng *r, uint64_t bound) { return rng_next(r) % bound; }
static uint32_t rng_bits(struct rng *r, unsigned bits) { return (uint32_t)(rng_next(r) >> (64 - bits)); }
static bool rng_percent(struct rng *r, unsigned percent) { return rng_below(r, 100) < percent; }

static void shuffle(struct rng *r, uint32_t *items, size_t count)
{
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        uint32_t swap = items[i - 1];
        items[i - 1] = items[j];
        items[j] = swap;
    }
}

/* ================================================================== */
/* Internet checksums                                                  */
/* ================================================================== */

static uint32_t checksum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    for (; len > 1; data += 2, len -= 2)
        sum += (uint32_t)data[0] << 8 | data[1];
    if (len)
        sum += (uint32_t)data[0] << 8;
    return sum;
}

static uint16_t checksum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint16_t inet_checksum(const uint8_t *data, size_t len)
{
    return checksum_finish(checksum_add(0, data, len));
}

static uint32_t pseudo_header_v4(uint32_t src, uint32_t dst, uint8_t protocol, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
           protocol + (uint32_t)len;
}

static uint32_t pseudo_header_v6(const uint8_t src[16], const uint8_t dst[16],
                                 uint8_t next_header, size_t len)
{
    uint32_t sum = checksum_add(checksum_add(0, src, 16), dst, 16);
    return sum + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + next_header;
}

/* Fills the checksum field of a TCP or UDP segment given its pseudo-header sum. */
static void seal_transport(uint8_t *segment, size_t len, uint8_t protocol, uint32_t pseudo)
{
    size_t field = protocol == PROTO_TCP ? 16 : 6;
    if (len < field + 2)
        return; /* a deliberately cut segment has no checksum field */
    store_be16(segment + field, 0);
    uint16_t sum = checksum_finish(checksum_add(pseudo, segment, len));
    if (protocol == PROTO_UDP && sum == 0)
        sum = 0xffff;
    store_be16(segment + field, sum);
}

/* ================================================================== */
/* Addresses                                                           */
/* ================================================================== */

struct ipv4_text {
    char s[16];
};

static struct ipv4_text ipv4_text(uint32_t ip)
{
    struct ipv4_text text;
    snprintf(text.s, sizeof text.s, "%u.%u.%u.%u", (unsigned)(ip >> 24),
             (unsigned)((ip >> 16) & 0xffu), (unsigned)((ip >> 8) & 0xffu),
             (unsigned)(ip & 0xffu));
    return text;
}

/* Stations get a Dell-style MAC whose low three bytes are their address's. */
static void station_mac(uint32_t ip, uint8_t mac[6])
{
    const uint8_t station[6] = {0x00, 0x14, 0x22, (uint8_t)(ip >> 16),
                                (uint8_t)(ip >> 8), (uint8_t)ip};
    memcpy(mac, station, 6);
}

/* Each IPv4 host's IPv6 twin: fd00::/96 followed by its IPv4 address. */
static void ipv6_twin(uint32_t ip, uint8_t address[16])
{
    memset(address, 0, 16);
    address[0] = 0xfd;
    store_be32(address + 12, ip);
}

struct prefix {
    uint32_t network;
    unsigned length;
};

/* Private, reserved, documentation, multicast and future-use ranges. */
static const struct prefix NOT_PUBLIC[] = {
    {IPV4(0, 0, 0, 0), 8},       {IPV4(10, 0, 0, 0), 8},
    {IPV4(100, 64, 0, 0), 10},   {IPV4(127, 0, 0, 0), 8},
    {IPV4(169, 254, 0, 0), 16},  {IPV4(172, 16, 0, 0), 12},
    {IPV4(192, 0, 0, 0), 24},    {IPV4(192, 0, 2, 0), 24},
    {IPV4(192, 88, 99, 0), 24},  {IPV4(192, 168, 0, 0), 16},
    {IPV4(198, 18, 0, 0), 15},   {IPV4(198, 51, 100, 0), 24},
    {IPV4(203, 0, 113, 0), 24},  {IPV4(224, 0, 0, 0), 3},
};

static bool is_public_unicast(uint32_t ip)
{
    if ((ip & 0xff) == 0)
        return false;
    for (size_t i = 0; i < COUNT_OF(NOT_PUBLIC); i++) {
        uint32_t mask = ~0u << (32 - NOT_PUBLIC[i].length);
        if ((ip & mask) == NOT_PUBLIC[i].network)
            return false;
    }
    return true;
}

struct address_set {
    uint32_t *items;
    size_t count, cap;
};

static bool set_contains(const struct address_set *set, uint32_t ip)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items[i] == ip)
            return true;
    return false;
}

static void set_add(struct address_set *set, uint32_t ip)
{
    if (!set_contains(set, ip))
        *PUSH(set->items, set->count, set->cap) = ip;
}

static void set_free(struct address_set *set)
{
    free(set->items);
    *set = (struct address_set){0};
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* ================================================================== */
/* Host behaviour: TCP/IP stack profiles                               */
/* ================================================================== */

enum syn_option_style { SYN_OPTIONS_NONE, SYN_OPTIONS_WINDOWS, SYN_OPTIONS_WINDOWS_7,
                        SYN_OPTIONS_LINUX };
enum port_choice { PORTS_SEQUENTIAL, PORTS_DYNAMIC, PORTS_RANDOM, PORTS_FIXED };

struct tcp_stack {
    uint8_t ttl;
    bool dont_fragment;
    uint16_t window;
    enum syn_option_style syn_options;
    enum port_choice client_ports;
    size_t syn_retries;
    nstime retry_gaps[2]; /* wait before each SYN retransmission */
};

/* Windows XP / 2003: MSS,NOP,NOP,SACK-permitted; SYN again after 3 s and 6 s. */
static const struct tcp_stack WINDOWS_XP = {
    .ttl = 128, .dont_fragment = true, .window = 65535,
    .syn_options = SYN_OPTIONS_WINDOWS, .client_ports = PORTS_SEQUENTIAL,
    .syn_retries = 2, .retry_gaps = {SEC(3), SEC(6)}};

/* Windows 7 / 2008 R2: MSS,NOP,WS 8,NOP,NOP,SACK-permitted; same retries as XP. */
static const struct tcp_stack WINDOWS_7 = {
    .ttl = 128, .dont_fragment = true, .window = 8192,
    .syn_options = SYN_OPTIONS_WINDOWS_7, .client_ports = PORTS_DYNAMIC,
    .syn_retries = 2, .retry_gaps = {SEC(3), SEC(6)}};

/* Linux (nmap, vulnerability scanners, servers): MSS,SACK,TS,NOP,WS 7. */
static const struct tcp_stack LINUX = {
    .ttl = 64, .dont_fragment = true, .window = 29200,
    .syn_options = SYN_OPTIONS_LINUX, .client_ports = PORTS_RANDOM,
    .syn_retries = 2, .retry_gaps = {SEC(1), SEC(2)}};

/* masscan: hand-made SYNs, no options, one source port, never retried. */
static const struct tcp_stack MASSCAN = {
    .ttl = 255, .dont_fragment = false, .window = 1024,
    .syn_options = SYN_OPTIONS_NONE, .client_ports = PORTS_FIXED,
    .syn_retries = 0, .retry_gaps = {0, 0}};

struct host {
    uint32_t address;
    const struct tcp_stack *stack;
    uint16_t next_ip_id;
    uint16_t next_port; /* 0 until the host first opens a connection */
};

/* ================================================================== */
/* Packet descriptions and the trace that collects them                */
/* ================================================================== */

enum network_layer { NET_IPV4, NET_IPV6, NET_ARP };

struct ipv4_info {
    uint32_t src, dst;
    uint8_t protocol, ttl;
    bool dont_fragment, more_fragments;
    uint16_t fragment_offset; /* in 8-byte units */
    uint16_t id;              /* given in time order by finalize_trace() */
};

struct ipv6_info {
    uint8_t src[16], dst[16];
    uint8_t next_header, hop_limit;
};

/* Deliberate defects, only used by malformed.pcap. */
enum damage_kind {
    DAMAGE_NONE,
    DAMAGE_CUT_FRAME,          /* frame ends after value bytes (caplen = len) */
    DAMAGE_SNAPLEN,            /* only value bytes captured (caplen < len) */
    DAMAGE_EMPTY_RECORD,       /* caplen = len = 0 */
    DAMAGE_IP_VERSION,         /* version nibble := value */
    DAMAGE_IP_HEADER_LENGTH,   /* IHL := value */
    DAMAGE_IP_TOTAL_LENGTH,    /* total length := value */
    DAMAGE_CUT_TRANSPORT,      /* transport header ends after value bytes */
    DAMAGE_TCP_DATA_OFFSET,    /* TCP data offset := value */
    DAMAGE_VLAN_STACK,         /* value stacked 802.1Q tags */
};

struct damage {
    enum damage_kind kind;
    uint32_t value;
};

struct packet {
    nstime ts;
    uint32_t serial; /* creation order: tie-breaker and stable handle */
    enum network_layer net;
    uint8_t eth_src[6], eth_dst[6];
    union {
        struct ipv4_info v4;
        struct ipv6_info v6;
    } ip;
    size_t body_offset, body_length; /* transport segment or ARP body, in arena */
    bool quotes_offender;            /* ICMP error: append the offending header */
    uint32_t offender_serial;
    struct damage damage;
    bool written; /* --bench: already in the file, kept for an ICMP error quoting it */
};

enum service { SERVICE_ABSENT, SERVICE_OPEN, SERVICE_CLOSED, SERVICE_FILTERED };
typedef enum service (*service_map)(uint32_t address, uint16_t port);

enum outcome { OUTCOME_ACCEPTED, OUTCOME_REJECTED, OUTCOME_UNANSWERED, OUTCOME_ANSWERED };
static const char *const OUTCOME_NAMES[] = {"accepted", "rejected", "unanswered", "answered"};

/* A new TCP connection attempt on 445/139 or a unicast NBNS query. */
struct probe {
    uint32_t src, dst;
    uint16_t port;
    enum outcome outcome;
    uint32_t first_serial; /* its first SYN or the query */
    nstime last_sent;      /* its last SYN retransmission or the query */
    nstime ts;             /* filled in by finalize_trace() */
};

enum alert_kind { ALERT_TCP445, ALERT_TCP139, ALERT_NETBIOS, ALERT_KINDS };
static const char *const ALERT_NAMES[] = {"tcp445", "tcp139", "netbios"};
enum conficker_verdict { CONFICKER_UNSPECIFIED, CONFICKER_NO, CONFICKER_YES };

struct expectation {
    uint32_t source;
    bool kinds[ALERT_KINDS];
    enum conficker_verdict conficker;
};

enum capture_format { FORMAT_PCAP_USEC, FORMAT_PCAP_NSEC, FORMAT_PCAPNG_NSEC };

struct vlan_tag {
    uint16_t tpid, vid;
};

struct frame_head {
    uint16_t ethertype;
    const uint8_t *source, *destination;
    const struct vlan_tag *tags;
    size_t n_tags;
};

struct link_layer {
    uint32_t linktype;
    void (*put_header)(struct bytes *out, const struct frame_head *head);
};

struct trace;

struct capture_spec {
    const char *name;
    enum capture_format format;
    const struct link_layer *link;
    uint64_t seed;
    void (*tell_story)(struct trace *t);
};

struct trace {
    const struct capture_spec *spec;
    struct rng rng;
    nstime tick; /* timestamp resolution of the file format */
    uint32_t lan, lan_mask, gateway;
    uint32_t upstream; /* captured on the router's uplink: the ISP's router; else 0 */
    service_map service;
    bool cycle_vlan_tags;
    bool sequential_expectations; /* expect/benign are for the sequential test */
    bool benign_failures;         /* benign hosts fail on purpose: only `expect` is checked */
    struct packet *packets;
    size_t n_packets, packets_cap;
    size_t *index_of_serial;
    struct bytes arena;
    struct host *hosts;
    size_t n_hosts, hosts_cap;
    uint32_t *host_slots; /* open addressing over hosts: index + 1, 0 when free */
    size_t n_host_slots;  /* a power of two, at least twice n_hosts */
    struct probe *probes;
    size_t n_probes, probes_cap;
    struct expectation *expected;
    size_t n_expected, expected_cap;
    struct address_set actors;       /* sources of any watched activity */
    struct address_set also_benign;  /* notable non-sources (busy servers) */
};

static struct trace trace_new(const struct capture_spec *spec)
{
    return (struct trace){
        .spec = spec,
        .rng = rng_from_seed(spec->seed),
        .lan_mask = 0xffffff00u,
        .tick = spec->format == FORMAT_PCAP_USEC ? USEC(1) : 1,
    };
}

static void trace_free(struct trace *t)
{
    free(t->packets);
    free(t->index_of_serial);
    bytes_free(&t->arena);
    free(t->hosts);
    free(t->host_slots);
    free(t->probes);
    free(t->expected);
    set_free(&t->actors);
    set_free(&t->also_benign);
}

/* Uniform duration in [low, high], a multiple of the file's tick. */
static nstime rng_duration(struct trace *t, nstime low, nstime high)
{
    return low + rng_below(&t->rng, (high - low) / t->tick + 1) * t->tick;
}

static nstime jittered(struct trace *t, nstime mean, unsigned percent)
{
    nstime spread = mean / 100 * percent;
    return rng_duration(t, mean - spread, mean + spread);
}

/* Time a host takes to answer or send its next segment. */
static nstime turnaround(struct trace *t) { return rng_duration(t, USEC(40), USEC(400)); }

/* Slot of address in host_slots: its host, or the free slot where it goes. */
static size_t host_slot(const struct trace *t, uint32_t address)
{
    size_t mask = t->n_host_slots - 1;
    size_t i = (size_t)mix64(address) & mask;
    while (t->host_slots[i] && t->hosts[t->host_slots[i] - 1].address != address)
        i = (i + 1) & mask;
    return i;
}

static void grow_host_slots(struct trace *t)
{
    free(t->host_slots);
    t->n_host_slots = t->n_host_slots ? t->n_host_slots * 2 : 64;
    t->host_slots = calloc(t->n_host_slots, sizeof *t->host_slots);
    if (!t->host_slots)
        die("out of memory");
    for (size_t h = 0; h < t->n_hosts; h++)
        t->host_slots[host_slot(t, t->hosts[h].address)] = (uint32_t)(h + 1);
}

/* Every host the story mentions, made on first mention (hashed: the
 * benchmark capture has thousands). */
static struct host *host_of(struct trace *t, uint32_t address)
{
    if (2 * (t->n_hosts + 1) > t->n_host_slots)
        grow_host_slots(t);
    size_t slot = host_slot(t, address);
    if (t->host_slots[slot])
        return &t->hosts[t->host_slots[slot] - 1];
    struct host *h = PUSH(t->hosts, t->n_hosts, t->hosts_cap);
    *h = (struct host){.address = address, .stack = &WINDOWS_XP,
                       .next_ip_id = (uint16_t)mix64(t->spec->seed ^ address)};
    t->host_slots[slot] = (uint32_t)t->n_hosts;
    return h;
}

static void set_stack(struct trace *t, uint32_t address, const struct tcp_stack *stack)
{
    host_of(t, address)->stack = stack;
}

static const struct tcp_stack *stack_of(struct trace *t, uint32_t address)
{
    return host_of(t, address)->stack;
}

static uint16_t next_client_port(struct trace *t, uint32_t address)
{
    struct host *h = host_of(t, address);
    uint64_t hash = mix64(t->spec->seed ^ ((uint64_t)address << 8));
    switch (h->stack->client_ports) {
    case PORTS_SEQUENTIAL: /* Windows: 1025..5000, counting up from ~1030 */
        if (h->next_port == 0 || h->next_port > 5000)
            h->next_port = (uint16_t)(1028 + hash % 8);
        return h->next_port++;
    case PORTS_DYNAMIC: /* Vista and later: 49152..65535, counting up */
        if (h->next_port < 49152) /* unset, or wrapped past 65535 */
            h->next_port = (uint16_t)(49152 + hash % 8192);
        return h->next_port++;
    case PORTS_RANDOM: /* Linux ip_local_port_range 32768..60999 */
        return (uint16_t)(32768 + rng_below(&t->rng, 28232));
    case PORTS_FIXED:
        if (h->next_port == 0)
            h->next_port = (uint16_t)(40000 + hash % 20000);
        return h->next_port;
    }
    die("unknown port choice");
}

/* The capture's LAN, network/prefix_length, and its router (.1).  service
 * says how hosts answer; it may be NULL for stories that choose every
 * answer themselves. */
static void use_network(struct trace *t, uint32_t network, unsigned prefix_length,
                        service_map service)
{
    t->lan = network;
    t->lan_mask = ~0u << (32 - prefix_length);
    t->gateway = network | 1;
    t->service = service;
    set_stack(t, t->gateway, &LINUX);
}

/* The test captures' LANs are all one /24. */
static void use_lan(struct trace *t, uint32_t lan, service_map service)
{
    use_network(t, lan, 24, service);
}

/* The capture is taken on the router's uplink instead: every frame is
 * between the router and the ISP's router `upstream`, and a SYN to an
 * address where no host exists is seen whatever happens to it next. */
static void use_uplink(struct trace *t, uint32_t lan, service_map service, uint32_t upstream)
{
    use_lan(t, lan, service);
    t->upstream = upstream;
}

static bool on_lan(const struct trace *t, uint32_t ip) { return (ip & t->lan_mask) == t->lan; }

static uint32_t lan_broadcast(const struct trace *t) { return t->lan | ~t->lan_mask; }

static bool is_broadcast(const struct trace *t, uint32_t ip)
{
    return ip == LIMITED_BROADCAST || ip == lan_broadcast(t);
}

/* The MAC a frame to or from ip carries on the LAN where we capture. */
static void link_address(const struct trace *t, uint32_t ip, uint8_t mac[6])
{
    if (is_broadcast(t, ip)) {
        memset(mac, 0xff, 6);
    } else if ((ip >> 28) == 0xe) {
        const uint8_t multicast[6] = {0x01, 0x00, 0x5e, (uint8_t)((ip >> 16) & 0x7f),
                                      (uint8_t)(ip >> 8), (uint8_t)ip};
        memcpy(mac, multicast, 6);
    } else if (t->upstream) {
        station_mac(on_lan(t, ip) ? t->gateway : t->upstream, mac);
    } else {
        station_mac(on_lan(t, ip) ? ip : t->gateway, mac);
    }
}

/* Packets from beyond the router arrive with a path-dependent TTL; on the
 * uplink, those of the LAN's hosts have crossed the router. */
static uint8_t arrival_ttl(struct trace *t, uint32_t src)
{
    uint8_t ttl = stack_of(t, src)->ttl;
    if (!on_lan(t, src))
        return (uint8_t)(ttl - 6 - mix64(src) % 14);
    return (uint8_t)(ttl - (t->upstream && src != t->gateway));
}

static nstime round_trip(struct trace *t, uint32_t peer)
{
    if (on_lan(t, peer))
        return rng_duration(t, USEC(150), USEC(700));
    return MSEC(20 + mix64(peer) % 230) + rng_duration(t, 0, MSEC(3));
}

/* ================================================================== */
/* Emitting packets                                                    */
/* ================================================================== */

static uint32_t queue_packet(struct trace *t, struct packet p)
{
    p.serial = (uint32_t)t->n_packets;
    *PUSH(t->packets, t->n_packets, t->packets_cap) = p;
    return p.serial;
}

/* Queues an IPv4 packet whose body is everything appended to the arena
 * since body_start.  TTL and DF come from the sender's stack. */
static uint32_t emit_ipv4(struct trace *t, nstime ts, struct ipv4_info ip, size_t body_start)
{
    bool fragment = ip.more_fragments || ip.fragment_offset;
    ip.ttl = arrival_ttl(t, ip.src);
    ip.dont_fragment = stack_of(t, ip.src)->dont_fragment && !fragment;
    struct packet p = {.ts = ts, .net = NET_IPV4, .ip.v4 = ip,
                       .body_offset = body_start,
                       .body_length = t->arena.len - body_start};
    link_address(t, ip.src, p.eth_src);
    link_address(t, ip.dst, p.eth_dst);
    return queue_packet(t, p);
}

struct tcp_options {
    uint8_t bytes[40];
    size_t len;
};

struct tcp_segment {
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    const struct tcp_options *options; /* NULL: none */
    const struct bytes *payload;       /* NULL: none */
};

static void put_tcp_segment(struct bytes *out, const struct tcp_segment *s)
{
    size_t options_len = s->options ? s->options->len : 0;
    uint8_t *h = bytes_extend(out, 20);
    store_be16(h, s->src_port);
    store_be16(h + 2, s->dst_port);
    store_be32(h + 4, s->seq);
    store_be32(h + 8, s->ack);
    h[12] = (uint8_t)(((20 + options_len) / 4) << 4);
    h[13] = s->flags;
    store_be16(h + 14, s->window);
    if (options_len)
        put_data(out, s->options->bytes, options_len);
    if (s->payload)
        put_data(out, s->payload->data, s->payload->len);
}

/* Appends a checksummed TCP segment to the arena; returns where it starts. */
static size_t append_tcp(struct trace *t, uint32_t src, uint32_t dst, const struct tcp_segment *s)
{
    size_t start = t->arena.len;
    put_tcp_segment(&t->arena, s);
    size_t len = t->arena.len - start;
    seal_transport(t->arena.data + start, len, PROTO_TCP,
                   pseudo_header_v4(src, dst, PROTO_TCP, len));
    return start;
}

static uint32_t emit_tcp(struct trace *t, nstime ts, uint32_t src, uint32_t dst,
                         const struct tcp_segment *s)
{
    size_t start = append_tcp(t, src, dst, s);
    return emit_ipv4(t, ts, (struct ipv4_info){.src = src, .dst = dst, .protocol = PROTO_TCP}, start);
}

static uint32_t emit_udp(struct trace *t, nstime ts, uint32_t src, uint16_t src_port,
                         uint32_t dst, uint16_t dst_port, const struct bytes *payload)
{
    size_t start = t->arena.len;
    uint8_t *h = bytes_extend(&t->arena, 8);
    store_be16(h, src_port);
    store_be16(h + 2, dst_port);
    store_be16(h + 4, (uint16_t)(8 + payload->len));
    put_data(&t->arena, payload->data, payload->len);
    size_t len = t->arena.len - start;
    seal_transport(t->arena.data + start, len, PROTO_UDP,
                   pseudo_header_v4(src, dst, PROTO_UDP, len));
    return emit_ipv4(t, ts, (struct ipv4_info){.src = src, .dst = dst, .protocol = PROTO_UDP}, start);
}

/* Destination unreachable from `from` about an earlier packet; the quoted
 * header is added when rendering, once that packet's IPv4 ID is known. */
static uint32_t emit_icmp_unreachable(struct trace *t, nstime ts, uint32_t from,
                                      uint8_t code, uint32_t offender)
{
    uint32_t offender_src = t->packets[offender].ip.v4.src;
    size_t start = t->arena.len;
    uint8_t *h = bytes_extend(&t->arena, 8);
    h[0] = ICMP_TYPE_UNREACHABLE;
    h[1] = code;
    uint32_t serial = emit_ipv4(t, ts, (struct ipv4_info){.src = from, .dst = offender_src,
                                                          .protocol = PROTO_ICMP}, start);
    t->packets[serial].quotes_offender = true;
    t->packets[serial].offender_serial = offender;
    return serial;
}

static uint32_t emit_arp(struct trace *t, nstime ts, uint16_t operation, uint32_t sender, uint32_t target)
{
    struct packet p = {.ts = ts, .net = NET_ARP, .body_offset = t->arena.len};
    station_mac(sender, p.eth_src);
    if (operation == ARP_REQUEST)
        memset(p.eth_dst, 0xff, 6);
    else
        station_mac(target, p.eth_dst);
    put_be16(&t->arena, 1); /* Ethernet */
    put_be16(&t->arena, ETHERTYPE_IPV4);
    put_u8(&t->arena, 6);
    put_u8(&t->arena, 4);
    put_be16(&t->arena, operation);
    put_data(&t->arena, p.eth_src, 6);
    put_be32(&t->arena, sender);
    uint8_t *target_mac = bytes_extend(&t->arena, 6); /* zero in a request */
    if (operation == ARP_REPLY)
        station_mac(target, target_mac);
    put_be32(&t->arena, target);
    p.body_length = t->arena.len - p.body_offset;
    return queue_packet(t, p);
}

/* A TCP segment between the IPv6 twins of two IPv4 hosts. */
static uint32_t emit_tcp_v6(struct trace *t, nstime ts, uint32_t src, uint32_t dst,
                            const struct tcp_segment *s)
{
    struct packet p = {.ts = ts, .net = NET_IPV6, .body_offset = t->arena.len};
    ipv6_twin(src, p.ip.v6.src);
    ipv6_twin(dst, p.ip.v6.dst);
    p.ip.v6.next_header = PROTO_TCP;
    p.ip.v6.hop_limit = stack_of(t, src)->ttl;
    station_mac(src, p.eth_src);
    station_mac(dst, p.eth_dst);
    put_tcp_segment(&t->arena, s);
    p.body_length = t->arena.len - p.body_offset;
    seal_transport(t->arena.data + p.body_offset, p.body_length, PROTO_TCP,
                   pseudo_header_v6(p.ip.v6.src, p.ip.v6.dst, PROTO_TCP, p.body_length));
    return queue_packet(t, p);
}

static void set_damage(struct trace *t, uint32_t serial, struct damage damage)
{
    t->packets[serial].damage = damage;
}

/* ================================================================== */
/* Ground truth bookkeeping                                            */
/* ================================================================== */

static bool is_watched_tcp_port(uint16_t port) { return port == PORT_SMB || port == PORT_NBSS; }

static void record_probe(struct trace *t, uint32_t src, uint32_t dst, uint16_t port,
                         enum outcome outcome, uint32_t first_serial, nstime last_sent)
{
    *PUSH(t->probes, t->n_probes, t->probes_cap) = (struct probe){
        .src = src, .dst = dst, .port = port, .outcome = outcome,
        .first_serial = first_serial, .last_sent = last_sent};
    set_add(&t->actors, src);
}

/* A notable host that is not a source of watched activity (busy servers...). */
static void note_benign(struct trace *t, uint32_t host) { set_add(&t->also_benign, host); }

static size_t expectation_index(const struct trace *t, uint32_t source)
{
    size_t i = 0;
    while (i < t->n_expected && t->expected[i].source != source)
        i++;
    return i; /* n_expected when absent */
}

static const struct expectation *expectation_for(const struct trace *t, uint32_t source)
{
    size_t i = expectation_index(t, source);
    return i < t->n_expected ? &t->expected[i] : NULL;
}

static void expect_alert(struct trace *t, uint32_t source, enum alert_kind kind,
                         enum conficker_verdict conficker)
{
    size_t i = expectation_index(t, source);
    if (i == t->n_expected)
        *PUSH(t->expected, t->n_expected, t->expected_cap) = (struct expectation){.source = source};
    t->expected[i].kinds[kind] = true;
    t->expected[i].conficker = conficker;
}

/* ================================================================== */
/* Application payloads: NetBIOS, NBNS, SMB, DNS, HTTP                 */
/* ================================================================== */

/* Fills the 16-byte NetBIOS name: 15 characters padded with spaces plus a
 * suffix byte, or for the wildcard "*" the star padded with NULs. */
static void netbios_raw_name(const char *name, uint8_t suffix, uint8_t raw[16])
{
    bool wildcard = strcmp(name, "*") == 0;
    size_t len = strlen(name);
    if (len > 15)
        die("NetBIOS name too long: %s", name);
    for (size_t i = 0; i < 15; i++)
        raw[i] = i < len ? (uint8_t)name[i] : (wildcard ? 0 : ' ');
    raw[15] = wildcard ? 0 : suffix;
}

/* First-level encoding (RFC 1001): length 32, two letters per byte, root. */
static void put_netbios_name(struct bytes *b, const char *name, uint8_t suffix)
{
    uint8_t raw[16];
    netbios_raw_name(name, suffix, raw);
    put_u8(b, 32);
    for (size_t i = 0; i < 16; i++) {
        put_u8(b, (uint8_t)('A' + (raw[i] >> 4)));
        put_u8(b, (uint8_t)('A' + (raw[i] & 0x0f)));
    }
    put_u8(b, 0);
}

struct netbios_name {
    char s[16];
};

static struct netbios_name workstation_name(uint32_t ip)
{
    struct netbios_name name;
    snprintf(name.s, sizeof name.s, "WKS-%03u", (unsigned)(ip & 0xffu));
    return name;
}

enum { NBNS_TYPE_NB = 0x20, NBNS_TYPE_NBSTAT = 0x21, DNS_CLASS_IN = 1, DNS_TYPE_A = 1 };
enum {
    NBNS_RESPONSE = 0x8000,
    NBNS_OPCODE_REGISTRATION = 5 << 11,
    NBNS_AUTHORITATIVE = 0x0400,
    NBNS_RECURSION_DESIRED = 0x0100,
    NBNS_BROADCAST = 0x0010,
};
enum { NB_FLAGS_UNIQUE = 0x0000, NBSTAT_ACTIVE = 0x0400, NBSTAT_GROUP = 0x8000 };
#define NBNS_NAME_TTL 300000u

static void put_name_service_header(struct bytes *b, uint16_t id, uint16_t flags,
                                    uint16_t questions, uint16_t answers, uint16_t additional)
{
    put_be16(b, id);
    put_be16(b, flags);
    put_be16(b, questions);
    put_be16(b, answers);
    put_be16(b, 0);
    put_be16(b, additional);
}

/* TTL, RDLENGTH and NB_FLAGS + address of an NB resource record. */
static void put_nb_rdata(struct bytes *b, uint32_t address)
{
    put_be32(b, NBNS_NAME_TTL);
    put_be16(b, 6);
    put_be16(b, NB_FLAGS_UNIQUE);
    put_be32(b, address);
}

static void build_nbns_query(struct bytes *b, uint16_t id, uint16_t flags,
                             const char *name, uint8_t suffix, uint16_t qtype)
{
    put_name_service_header(b, id, flags, 1, 0, 0);
    put_netbios_name(b, name, suffix);
    put_be16(b, qtype);
    put_be16(b, DNS_CLASS_IN);
}

static void build_nbns_registration(struct bytes *b, uint16_t id, const char *name, uint32_t address)
{
    put_name_service_header(b, id, NBNS_OPCODE_REGISTRATION | NBNS_RECURSION_DESIRED | NBNS_BROADCAST,
                            1, 0, 1);
    put_netbios_name(b, name, 0x00);
    put_be16(b, NBNS_TYPE_NB);
    put_be16(b, DNS_CLASS_IN);
    put_be16(b, 0xc00c); /* the additional record points at the question name */
    put_be16(b, NBNS_TYPE_NB);
    put_be16(b, DNS_CLASS_IN);
    put_nb_rdata(b, address);
}

static void build_nbns_name_response(struct bytes *b, uint16_t id, const char *name,
                                     uint8_t suffix, uint32_t address)
{
    put_name_service_header(b, id, NBNS_RESPONSE | NBNS_AUTHORITATIVE | NBNS_RECURSION_DESIRED,
                            0, 1, 0);
    put_netbios_name(b, name, suffix);
    put_be16(b, NBNS_TYPE_NB);
    put_be16(b, DNS_CLASS_IN);
    put_nb_rdata(b, address);
}

static void put_nbstat_entry(struct bytes *b, const char *name, uint8_t suffix, uint16_t flags)
{
    uint8_t raw[16];
    netbios_raw_name(name, suffix, raw);
    put_data(b, raw, 16);
    put_be16(b, flags);
}

/* Node status response: a three-name table and the adapter's MAC. */
static void build_nbstat_response(struct bytes *b, uint16_t id, uint32_t responder)
{
    enum { NAMES = 3, ENTRY_SIZE = 18, STATISTICS_SIZE = 46 };
    struct netbios_name host = workstation_name(responder);
    put_name_service_header(b, id, NBNS_RESPONSE | NBNS_AUTHORITATIVE, 0, 1, 0);
    put_netbios_name(b, "*", 0);
    put_be16(b, NBNS_TYPE_NBSTAT);
    put_be16(b, DNS_CLASS_IN);
    put_be32(b, 0);
    put_be16(b, 1 + NAMES * ENTRY_SIZE + STATISTICS_SIZE);
    put_u8(b, NAMES);
    put_nbstat_entry(b, host.s, 0x00, NBSTAT_ACTIVE);
    put_nbstat_entry(b, "WORKGROUP", 0x00, NBSTAT_GROUP | NBSTAT_ACTIVE);
    put_nbstat_entry(b, host.s, 0x20, NBSTAT_ACTIVE);
    uint8_t *statistics = bytes_extend(b, STATISTICS_SIZE);
    station_mac(responder, statistics); /* unit ID, then zeroed counters */
}

static void put_dns_name(struct bytes *b, const char *name)
{
    while (*name) {
        size_t label = strcspn(name, ".");
        put_u8(b, (uint8_t)label);
        put_data(b, name, label);
        name += label + (name[label] == '.');
    }
    put_u8(b, 0);
}

static void build_dns_query(struct bytes *b, uint16_t id, const char *name)
{
    put_name_service_header(b, id, 0x0100, 1, 0, 0);
    put_dns_name(b, name);
    put_be16(b, DNS_TYPE_A);
    put_be16(b, DNS_CLASS_IN);
}

static void build_dns_answer(struct bytes *b, uint16_t id, const char *name, uint32_t address)
{
    put_name_service_header(b, id, 0x8180, 1, 1, 0);
    put_dns_name(b, name);
    put_be16(b, DNS_TYPE_A);
    put_be16(b, DNS_CLASS_IN);
    put_be16(b, 0xc00c);
    put_be16(b, DNS_TYPE_A);
    put_be16(b, DNS_CLASS_IN);
    put_be32(b, 300);
    put_be16(b, 4);
    put_be32(b, address);
}

/* What a client and server say once a TCP connection is up. */
struct exchange {
    struct bytes request, response;
};

static void exchange_free(struct exchange *e)
{
    bytes_free(&e->request);
    bytes_free(&e->response);
}

enum { SMB_COM_READ_ANDX = 0x2e, SMB_COM_WRITE_ANDX = 0x2f, SMB_COM_NEGOTIATE = 0x72 };

static void put_smb_command_header(struct bytes *b, uint8_t command, bool reply)
{
    put_data(b, "\xffSMB", 4);
    put_u8(b, command);
    put_le32(b, 0);                    /* status */
    put_u8(b, reply ? 0x98 : 0x18);    /* flags */
    put_le16(b, reply ? 0xc053 : 0xc853);
    bytes_extend(b, 12);               /* PID high, signature, reserved */
    put_le16(b, 0);                    /* TID */
    put_le16(b, 0xfeff);               /* PID */
    put_le16(b, 0);                    /* UID */
    put_le16(b, 0);                    /* MID */
}

static void put_smb_header(struct bytes *b, bool reply)
{
    put_smb_command_header(b, SMB_COM_NEGOTIATE, reply);
}

/* Direct-hosted SMB over TCP/445: a 4-byte session message header first. */
static void put_session_message(struct bytes *b, const struct bytes *smb)
{
    put_be32(b, (uint32_t)smb->len);
    put_data(b, smb->data, smb->len);
}

static void build_smb_negotiate_request(struct bytes *b)
{
    static const char *const dialects[] = {
        "PC NETWORK PROGRAM 1.0", "LANMAN1.0", "Windows for Workgroups 3.1a",
        "LM1.2X002", "LANMAN2.1", "NT LM 0.12"};
    struct bytes smb = {0}, list = {0};
    for (size_t i = 0; i < COUNT_OF(dialects); i++) {
        put_u8(&list, 0x02);
        put_data(&list, dialects[i], strlen(dialects[i]) + 1);
    }
    put_smb_header(&smb, false);
    put_u8(&smb, 0); /* word count */
    put_le16(&smb, (uint16_t)list.len);
    put_data(&smb, list.data, list.len);
    put_session_message(b, &smb);
    bytes_free(&smb);
    bytes_free(&list);
}

static void build_smb_negotiate_response(struct bytes *b)
{
    static const uint8_t workgroup_utf16[] = {'W', 0, 'O', 0, 'R', 0, 'K', 0, 'G', 0,
                                              'R', 0, 'O', 0, 'U', 0, 'P', 0, 0, 0};
    const uint64_t filetime = (CAPTURE_EPOCH_SECONDS + 11644473600ULL) * 10000000ULL;
    struct bytes smb = {0};
    put_smb_header(&smb, true);
    put_u8(&smb, 17);          /* word count */
    put_le16(&smb, 5);         /* dialect index: NT LM 0.12 */
    put_u8(&smb, 0x03);        /* user security, encrypted passwords */
    put_le16(&smb, 50);        /* max multiplex */
    put_le16(&smb, 1);         /* max virtual circuits */
    put_le32(&smb, 16644);     /* max buffer */
    put_le32(&smb, 65536);     /* max raw */
    put_le32(&smb, 0);         /* session key */
    put_le32(&smb, 0x0000e3fd);/* capabilities */
    put_le64(&smb, filetime);
    put_le16(&smb, 0);         /* time zone */
    put_u8(&smb, 8);           /* challenge length */
    put_le16(&smb, (uint16_t)(8 + sizeof workgroup_utf16));
    put_data(&smb, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    put_data(&smb, workgroup_utf16, sizeof workgroup_utf16);
    put_session_message(b, &smb);
    bytes_free(&smb);
}

/* NetBIOS session service (TCP/139): session request and positive answer. */
static void build_nbss_session(struct exchange *e, uint32_t client)
{
    put_u8(&e->request, 0x81);
    put_u8(&e->request, 0);
    put_be16(&e->request, 68);
    put_netbios_name(&e->request, "*SMBSERVER", 0x20);
    put_netbios_name(&e->request, workstation_name(client).s, 0x00);
    put_be32(&e->response, 0x82000000);
}

/* The opening a Windows client sends on the SMB ports. */
static void build_smb_greeting(struct exchange *e, uint16_t port, uint32_t client)
{
    if (port == PORT_NBSS) {
        build_nbss_session(e, client);
    } else {
        build_smb_negotiate_request(&e->request);
        build_smb_negotiate_response(&e->response);
    }
}

#define SMB_FILE_ID 0x4007
#define SMB_FILE_DATA "wormwatch synthetic file contents; "
enum { SMB_MAX_IO = 61440 }; /* bytes per Read/Write AndX, as Windows XP uses */

static void put_smb_andx_none(struct bytes *b)
{
    put_u8(b, 0xff); /* no further command */
    put_u8(b, 0);
    put_le16(b, 0);
}

/* Read AndX of count bytes at offset of the open file, and its answer. */
static void put_smb_read(struct bytes *request, struct bytes *response, uint32_t offset, uint16_t count)
{
    enum { HEADER = 32, RESPONSE_WORDS = 12 };
    struct bytes smb = {0};
    put_smb_command_header(&smb, SMB_COM_READ_ANDX, false);
    put_u8(&smb, 12);
    put_smb_andx_none(&smb);
    put_le16(&smb, SMB_FILE_ID);
    put_le32(&smb, offset);
    put_le16(&smb, count); /* max count */
    put_le16(&smb, count); /* min count */
    put_le32(&smb, 0);     /* timeout */
    put_le16(&smb, 0);     /* remaining */
    put_le32(&smb, 0);     /* offset high */
    put_le16(&smb, 0);     /* byte count */
    put_session_message(request, &smb);
    smb.len = 0;
    put_smb_command_header(&smb, SMB_COM_READ_ANDX, true);
    put_u8(&smb, RESPONSE_WORDS);
    put_smb_andx_none(&smb);
    put_le16(&smb, 0xffff); /* available */
    put_le16(&smb, 0);      /* data compaction mode */
    put_le16(&smb, 0);
    put_le16(&smb, count);  /* data length */
    put_le16(&smb, HEADER + 1 + 2 * RESPONSE_WORDS + 2); /* data offset */
    bytes_extend(&smb, 10); /* data length high, reserved */
    put_le16(&smb, count);  /* byte count */
    put_pattern(&smb, SMB_FILE_DATA, count);
    put_session_message(response, &smb);
    bytes_free(&smb);
}

/* Write AndX of count bytes at offset of the open file, and its answer. */
static void put_smb_write(struct bytes *request, struct bytes *response, uint32_t offset, uint16_t count)
{
    enum { HEADER = 32, REQUEST_WORDS = 14 };
    struct bytes smb = {0};
    put_smb_command_header(&smb, SMB_COM_WRITE_ANDX, false);
    put_u8(&smb, REQUEST_WORDS);
    put_smb_andx_none(&smb);
    put_le16(&smb, SMB_FILE_ID);
    put_le32(&smb, offset);
    put_le32(&smb, 0);     /* timeout */
    put_le16(&smb, 0);     /* write mode */
    put_le16(&smb, 0);     /* remaining */
    put_le16(&smb, 0);     /* data length high */
    put_le16(&smb, count); /* data length */
    put_le16(&smb, HEADER + 1 + 2 * REQUEST_WORDS + 2); /* data offset */
    put_le32(&smb, 0);     /* offset high */
    put_le16(&smb, count); /* byte count */
    put_pattern(&smb, SMB_FILE_DATA, count);
    put_session_message(request, &smb);
    smb.len = 0;
    put_smb_command_header(&smb, SMB_COM_WRITE_ANDX, true);
    put_u8(&smb, 6);
    put_smb_andx_none(&smb);
    put_le16(&smb, count);
    put_le16(&smb, 0xffff); /* available */
    put_le32(&smb, 0);      /* count high, reserved */
    put_le16(&smb, 0);      /* byte count */
    put_session_message(response, &smb);
    bytes_free(&smb);
}

/* A session that negotiates, then reads (or writes) size bytes of a file
 * in pipelined AndX requests of at most SMB_MAX_IO bytes. */
static void build_smb_transfer(struct exchange *e, bool write, size_t size)
{
    build_smb_negotiate_request(&e->request);
    build_smb_negotiate_response(&e->response);
    for (size_t done = 0; done < size; done += SMB_MAX_IO) {
        uint16_t count = (uint16_t)(size - done < SMB_MAX_IO ? size - done : SMB_MAX_IO);
        if (write)
            put_smb_write(&e->request, &e->response, (uint32_t)done, count);
        else
            put_smb_read(&e->request, &e->response, (uint32_t)done, count);
    }
}

struct website {
    const char *host;
    uint32_t address; /* documentation ranges only */
};

static const struct website WEBSITES[] = {
    {"www.example.com", IPV4(192, 0, 2, 10)},
    {"www.example.net", IPV4(198, 51, 100, 20)},
    {"www.example.org", IPV4(203, 0, 113, 30)},
    {"news.example.com", IPV4(192, 0, 2, 44)},
    {"mail.example.net", IPV4(198, 51, 100, 81)},
};

/* GET path from host, with a cookie of cookie_len bytes if not 0, answered
 * by body_len bytes of page. */
static void build_http_transfer(struct exchange *e, const char *host, const char *path,
                                size_t cookie_len, size_t body_len)
{
    put_format(&e->request,
               "GET %s HTTP/1.1\r\nAccept: */*\r\nUser-Agent: Mozilla/4.0 (compatible; "
               "MSIE 7.0; Windows NT 5.1)\r\nHost: %s\r\n", path, host);
    if (cookie_len) {
        put_text(&e->request, "Cookie: ");
        put_pattern(&e->request, "session=c0ff1c4e2009; prefs=wormwatch; ", cookie_len);
        put_text(&e->request, "\r\n");
    }
    put_text(&e->request, "Connection: close\r\n\r\n");
    put_format(&e->response,
               "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
               "Connection: close\r\n\r\n", body_len);
    put_pattern(&e->response, "<p>wormwatch synthetic page</p>\n", body_len);
}

static void build_http_exchange(struct exchange *e, const char *host, size_t body_len)
{
    build_http_transfer(e, host, "/", 0, body_len);
}

/* ================================================================== */
/* TCP conversations                                                   */
/* ================================================================== */

enum answer { ANSWER_NONE, ANSWER_SYN_ACK, ANSWER_RST, ANSWER_ICMP };

struct tcp_attempt {
    uint32_t client, server;
    uint16_t port;
    enum answer answer;
    const struct exchange *exchange; /* once accepted; NULL: connect, close */
    uint32_t icmp_from;              /* ANSWER_ICMP: who reports it */
    uint8_t icmp_code;
};

struct attempt_result {
    enum outcome outcome;
    nstime answered_at; /* when the SYN-ACK, RST or ICMP error arrived */
    nstime finished_at; /* last packet of the attempt */
};

struct tcp_flow {
    uint32_t client, server;
    uint16_t client_port, server_port;
    uint32_t client_isn, server_isn;
    const struct tcp_stack *client_stack, *server_stack;
    nstime rtt;
};

enum direction { FROM_CLIENT, FROM_SERVER };

static enum answer answer_for(enum service service)
{
    switch (service) {
    case SERVICE_OPEN: return ANSWER_SYN_ACK;
    case SERVICE_CLOSED: return ANSWER_RST;
    case SERVICE_FILTERED: return ANSWER_NONE;
    case SERVICE_ABSENT: break;
    }
    die("no TCP answer from a host that does not exist");
}

static struct tcp_options syn_options(enum syn_option_style style, nstime ts)
{
    static const uint8_t windows[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
    static const uint8_t windows_7[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
    static const uint8_t linux_prefix[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};
    struct tcp_options o = {.len = 0};
    switch (style) {
    case SYN_OPTIONS_NONE:
        break;
    case SYN_OPTIONS_WINDOWS:
        memcpy(o.bytes, windows, sizeof windows);
        o.len = sizeof windows;
        break;
    case SYN_OPTIONS_WINDOWS_7:
        memcpy(o.bytes, windows_7, sizeof windows_7);
        o.len = sizeof windows_7;
        break;
    case SYN_OPTIONS_LINUX: /* MSS, SACK-permitted, TS (val, ecr 0), NOP, WS 7 */
        memcpy(o.bytes, linux_prefix, sizeof linux_prefix);
        store_be32(o.bytes + 8, (uint32_t)(ts / MSEC(1)) + 0x00a1b2c3u);
        o.bytes[16] = 1;
        o.bytes[17] = 3;
        o.bytes[18] = 3;
        o.bytes[19] = 7;
        o.len = 20;
        break;
    }
    return o;
}

static struct tcp_flow open_flow(struct trace *t, const struct tcp_attempt *a)
{
    struct tcp_flow f = {.client = a->client, .server = a->server, .server_port = a->port,
                         .client_stack = stack_of(t, a->client),
                         .server_stack = stack_of(t, a->server)};
    f.client_port = next_client_port(t, a->client);
    f.client_isn = (uint32_t)rng_next(&t->rng);
    f.server_isn = (uint32_t)rng_next(&t->rng);
    f.rtt = round_trip(t, a->server);
    return f;
}

static uint32_t send_on_flow(struct trace *t, nstime ts, const struct tcp_flow *f,
                             enum direction dir, uint8_t flags, uint32_t seq, uint32_t ack,
                             const struct tcp_options *options, const struct bytes *payload)
{
    bool from_client = dir == FROM_CLIENT;
    const struct tcp_stack *sender = from_client ? f->client_stack : f->server_stack;
    struct tcp_segment s = {
        .src_port = from_client ? f->client_port : f->server_port,
        .dst_port = from_client ? f->server_port : f->client_port,
        .seq = seq, .ack = ack, .flags = flags,
        .window = (flags & TCP_RST) ? 0 : sender->window,
        .options = options, .payload = payload,
    };
    return from_client ? emit_tcp(t, ts, f->client, f->server, &s)
                       : emit_tcp(t, ts, f->server, f->client, &s);
}

static uint32_t send_syn(struct trace *t, nstime ts, const struct tcp_flow *f)
{
    struct tcp_options options = syn_options(f->client_stack->syn_options, ts);
    return send_on_flow(t, ts, f, FROM_CLIENT, TCP_SYN, f->client_isn, 0, &options, NULL);
}

static void send_control(struct trace *t, nstime ts, const struct tcp_flow *f, enum direction dir,
                         uint8_t flags, uint32_t seq, uint32_t ack)
{
    send_on_flow(t, ts, f, dir, flags, seq, ack, NULL, NULL);
}

static void send_data(struct trace *t, nstime ts, const struct tcp_flow *f, enum direction dir,
                      uint32_t *seq, uint32_t ack, const struct bytes *payload)
{
    send_on_flow(t, ts, f, dir, TCP_PSH | TCP_ACK, *seq, ack, NULL, payload);
    *seq += (uint32_t)payload->len;
}

#define TCP_MSS 1460
enum { INITIAL_FLIGHT = 10, MAX_FLIGHT = 128 }; /* segments */

/* More than an MSS of data: full-size segments in slow-start flights (10,
 * 20, 40, ... segments, one round trip apart at least), the receiver
 * acknowledging every second segment.  Returns when the last one is sent. */
static nstime send_stream(struct trace *t, nstime at, const struct tcp_flow *f, enum direction dir,
                          uint32_t *seq, uint32_t ack, const struct bytes *payload)
{
    enum direction back = dir == FROM_CLIENT ? FROM_SERVER : FROM_CLIENT;
    uint32_t receiver = dir == FROM_CLIENT ? f->server : f->client;
    nstime ack_delay = on_lan(t, receiver) ? 0 : f->rtt; /* we capture on the LAN */
    size_t sent = 0, flight = INITIAL_FLIGHT, segments = 0;
    nstime last = at;
    while (sent < payload->len) {
        nstime flight_start = at;
        for (size_t s = 0; s < flight && sent < payload->len; s++) {
            size_t n = payload->len - sent < TCP_MSS ? payload->len - sent : TCP_MSS;
            struct bytes segment = {.data = payload->data + sent, .len = n, .cap = n};
            bool final = sent + n == payload->len;
            send_on_flow(t, at, f, dir, final ? TCP_PSH | TCP_ACK : TCP_ACK, *seq, ack, NULL, &segment);
            *seq += (uint32_t)n;
            sent += n;
            last = at;
            if (++segments % 2 == 0)
                send_control(t, at + ack_delay + turnaround(t), f, back, TCP_ACK, ack, *seq);
            at += rng_duration(t, USEC(12), USEC(120)); /* the path's bottleneck */
        }
        if (at < flight_start + f->rtt)
            at = flight_start + f->rtt;
        flight = flight * 2 < MAX_FLIGHT ? flight * 2 : MAX_FLIGHT;
    }
    return last;
}

/* One segment when the payload fits in it, else a stream; returns when the
 * last segment is sent. */
static nstime send_payload(struct trace *t, nstime at, const struct tcp_flow *f, enum direction dir,
                           uint32_t *seq, uint32_t ack, const struct bytes *payload)
{
    if (payload->len > TCP_MSS)
        return send_stream(t, at, f, dir, seq, ack, payload);
    send_data(t, at, f, dir, seq, ack, payload);
    return at;
}

/* Same SYN (ports, sequence number) again after each of the stack's gaps. */
static struct attempt_result retransmit_unanswered(struct trace *t, nstime syn_at, const struct tcp_flow *f)
{
    nstime at = syn_at;
    for (size_t i = 0; i < f->client_stack->syn_retries; i++) {
        at += f->client_stack->retry_gaps[i] + rng_duration(t, 0, USEC(500));
        send_syn(t, at, f);
    }
    return (struct attempt_result){.outcome = OUTCOME_UNANSWERED, .finished_at = at};
}

static struct attempt_result refuse_with_reset(struct trace *t, nstime syn_at, const struct tcp_flow *f)
{
    nstime at = syn_at + f->rtt;
    send_control(t, at, f, FROM_SERVER, TCP_RST | TCP_ACK, 0, f->client_isn + 1);
    return (struct attempt_result){OUTCOME_REJECTED, at, at};
}

static struct attempt_result refuse_with_icmp(struct trace *t, nstime syn_at, const struct tcp_flow *f,
                                              uint32_t syn, const struct tcp_attempt *a)
{
    nstime at = syn_at + f->rtt;
    emit_icmp_unreachable(t, at, a->icmp_from, a->icmp_code, syn);
    return (struct attempt_result){OUTCOME_REJECTED, at, at};
}

/* Handshake, optional request/response, then a FIN exchange by the client. */
static struct attempt_result run_session(struct trace *t, nstime syn_at, const struct tcp_flow *f,
                                         const struct exchange *exchange)
{
    uint32_t client_seq = f->client_isn + 1, server_seq = f->server_isn + 1;
    nstime at = syn_at + f->rtt;
    nstime answered_at = at;
    struct tcp_options options = syn_options(SYN_OPTIONS_WINDOWS, at);
    send_on_flow(t, at, f, FROM_SERVER, TCP_SYN | TCP_ACK, f->server_isn, client_seq, &options, NULL);
    at += turnaround(t);
    send_control(t, at, f, FROM_CLIENT, TCP_ACK, client_seq, server_seq);
    if (exchange && exchange->request.len) {
        at += turnaround(t);
        at = send_payload(t, at, f, FROM_CLIENT, &client_seq, server_seq, &exchange->request);
        at += f->rtt;
        at = send_payload(t, at, f, FROM_SERVER, &server_seq, client_seq, &exchange->response);
        at += turnaround(t);
        send_control(t, at, f, FROM_CLIENT, TCP_ACK, client_seq, server_seq);
    }
    at += rng_duration(t, MSEC(1), MSEC(40));
    send_control(t, at, f, FROM_CLIENT, TCP_FIN | TCP_ACK, client_seq++, server_seq);
    at += f->rtt;
    send_control(t, at, f, FROM_SERVER, TCP_FIN | TCP_ACK, server_seq++, client_seq);
    at += turnaround(t);
    send_control(t, at, f, FROM_CLIENT, TCP_ACK, client_seq, server_seq);
    return (struct attempt_result){OUTCOME_ACCEPTED, answered_at, at};
}

/* One new connection attempt: first SYN at `start`, then whatever answer
 * the attempt describes.  Attempts on 445/139 become ground-truth probes. */
static struct attempt_result run_tcp_attempt(struct trace *t, nstime start, const struct tcp_attempt *a)
{
    struct tcp_flow flow = open_flow(t, a);
    uint32_t syn = send_syn(t, start, &flow);
    struct attempt_result result = {.outcome = OUTCOME_UNANSWERED};
    switch (a->answer) {
    case ANSWER_NONE: result = retransmit_unanswered(t, start, &flow); break;
    case ANSWER_RST: result = refuse_with_reset(t, start, &flow); break;
    case ANSWER_ICMP: result = refuse_with_icmp(t, start, &flow, syn, a); break;
    case ANSWER_SYN_ACK: result = run_session(t, start, &flow, a->exchange); break;
    }
    if (is_watched_tcp_port(a->port))
        record_probe(t, a->client, a->server, a->port, result.outcome, syn, result.finished_at);
    return result;
}

/* An attempt on 445 or 139 that, once accepted, opens like Windows does. */
static struct attempt_result smb_attempt(struct trace *t, nstime start, struct tcp_attempt a)
{
    struct exchange greeting = {0};
    build_smb_greeting(&greeting, a.port, a.client);
    a.exchange = &greeting;
    struct attempt_result result = run_tcp_attempt(t, start, &a);
    exchange_free(&greeting);
    return result;
}

/* ================================================================== */
/* ARP, DNS, web and NetBIOS conversations                             */
/* ================================================================== */

/* Request and reply; returns when the asker can send. */
static nstime arp_resolve(struct trace *t, nstime at, uint32_t asker, uint32_t target)
{
    emit_arp(t, at, ARP_REQUEST, asker, target);
    at += turnaround(t);
    emit_arp(t, at, ARP_REPLY, target, asker);
    return at + turnaround(t);
}

/* A neighbour that does not exist: requests one second apart, no reply. */
static void arp_unanswered(struct trace *t, nstime at, uint32_t asker, uint32_t target)
{
    for (int attempt = 0; attempt < 3; attempt++)
        emit_arp(t, at + SEC(attempt) + rng_duration(t, 0, MSEC(5)), ARP_REQUEST, asker, target);
}

/* Query and answer; returns when the answer arrives. */
static nstime dns_lookup_via(struct trace *t, nstime at, uint32_t client, uint32_t resolver,
                             const struct website *site)
{
    uint16_t port = next_client_port(t, client);
    uint16_t id = (uint16_t)rng_next(&t->rng);
    struct bytes query = {0}, answer = {0};
    build_dns_query(&query, id, site->host);
    build_dns_answer(&answer, id, site->host, site->address);
    emit_udp(t, at, client, port, resolver, PORT_DNS, &query);
    at += rng_duration(t, MSEC(2), MSEC(40));
    emit_udp(t, at, resolver, PORT_DNS, client, port, &answer);
    bytes_free(&query);
    bytes_free(&answer);
    return at;
}

/* Through the router, which is the LAN's resolver. */
static nstime dns_lookup(struct trace *t, nstime at, uint32_t client, const struct website *site)
{
    return dns_lookup_via(t, at, client, t->gateway, site);
}

/* An HTTP exchange on a new connection, the SYN a moment after `ready`. */
static void run_http(struct trace *t, nstime ready, uint32_t client, uint32_t server,
                     const struct exchange *http)
{
    run_tcp_attempt(t, ready + turnaround(t),
                    &(struct tcp_attempt){.client = client, .server = server,
                                          .port = PORT_HTTP, .answer = ANSWER_SYN_ACK,
                                          .exchange = http});
}

/* A GET of a 300-1199 byte page, the SYN a moment after `ready`. */
static void http_get(struct trace *t, nstime ready, uint32_t client, uint32_t server, const char *host)
{
    struct exchange http = {0};
    build_http_exchange(&http, host, (size_t)(300 + rng_below(&t->rng, 900)));
    run_http(t, ready, client, server, &http);
    exchange_free(&http);
}

static void web_visit(struct trace *t, nstime at, uint32_t client)
{
    const struct website *site = &WEBSITES[rng_below(&t->rng, COUNT_OF(WEBSITES))];
    set_stack(t, site->address, &LINUX);
    http_get(t, dns_lookup(t, at, client, site), client, site->address, site->host);
}

enum nbns_reply { NBNS_SILENT, NBNS_NAME_ANSWER, NBNS_STATUS_ANSWER, NBNS_PORT_UNREACHABLE };

struct nbns_lookup {
    uint32_t client, server;
    uint16_t client_port, id;
    const char *name; /* NBSTAT queries use "*" */
    uint8_t suffix;
    uint16_t qtype;
    uint32_t answer_address; /* name queries */
};

static enum nbns_reply nbns_reply_for(enum service service, uint16_t qtype)
{
    switch (service) {
    case SERVICE_OPEN: return qtype == NBNS_TYPE_NBSTAT ? NBNS_STATUS_ANSWER : NBNS_NAME_ANSWER;
    case SERVICE_CLOSED: return NBNS_PORT_UNREACHABLE;
    case SERVICE_FILTERED: return NBNS_SILENT;
    case SERVICE_ABSENT: break;
    }
    die("no NBNS answer from a host that does not exist");
}

static enum outcome outcome_of_nbns_reply(enum nbns_reply reply)
{
    switch (reply) {
    case NBNS_SILENT: return OUTCOME_UNANSWERED;
    case NBNS_PORT_UNREACHABLE: return OUTCOME_REJECTED;
    case NBNS_NAME_ANSWER:
    case NBNS_STATUS_ANSWER: return OUTCOME_ANSWERED;
    }
    die("unknown NBNS reply");
}

/* A unicast name or node-status query (a ground-truth probe) and its reply. */
static void run_nbns_query(struct trace *t, nstime at, const struct nbns_lookup *q, enum nbns_reply reply)
{
    uint16_t flags = q->qtype == NBNS_TYPE_NB ? NBNS_RECURSION_DESIRED : 0;
    struct bytes query = {0}, answer = {0};
    build_nbns_query(&query, q->id, flags, q->name, q->suffix, q->qtype);
    uint32_t serial = emit_udp(t, at, q->client, q->client_port, q->server, PORT_NBNS, &query);
    record_probe(t, q->client, q->server, PORT_NBNS, outcome_of_nbns_reply(reply), serial, at);
    at += round_trip(t, q->server);
    switch (reply) {
    case NBNS_SILENT:
        break;
    case NBNS_PORT_UNREACHABLE:
        emit_icmp_unreachable(t, at, q->server, ICMP_CODE_PORT_UNREACHABLE, serial);
        break;
    case NBNS_NAME_ANSWER:
        build_nbns_name_response(&answer, q->id, q->name, q->suffix, q->answer_address);
        break;
    case NBNS_STATUS_ANSWER:
        build_nbstat_response(&answer, q->id, q->server);
        break;
    }
    if (answer.len)
        emit_udp(t, at, q->server, PORT_NBNS, q->client, q->client_port, &answer);
    bytes_free(&query);
    bytes_free(&answer);
}

/* Broadcast name-service chatter: never a probe, but its senders must stay quiet. */
static void send_nbns_broadcast(struct trace *t, nstime at, uint32_t host, uint32_t destination,
                                const struct bytes *message)
{
    emit_udp(t, at, host, PORT_NBNS, destination, PORT_NBNS, message);
    set_add(&t->actors, host);
}

/* ================================================================== */
/* Story building blocks                                               */
/* ================================================================== */

static uint32_t random_member(struct trace *t, uint32_t first, unsigned count)
{
    return first + (uint32_t)rng_below(&t->rng, count);
}

static nstime random_moment(struct trace *t, nstime from, nstime until)
{
    return rng_duration(t, from, until);
}

static void web_background(struct trace *t, uint32_t first_client, unsigned n_clients,
                           unsigned visits, nstime from, nstime until)
{
    for (unsigned i = 0; i < visits; i++) {
        nstime at = random_moment(t, from, until);
        web_visit(t, at, random_member(t, first_client, n_clients));
    }
}

/* The router refreshing its ARP cache for hosts that exist. */
static void arp_background(struct trace *t, uint32_t first_host, unsigned n_hosts,
                           unsigned count, nstime from, nstime until)
{
    for (unsigned i = 0; i < count; i++) {
        nstime at = random_moment(t, from, until);
        arp_resolve(t, at, t->gateway, random_member(t, first_host, n_hosts));
    }
}

static void file_server_sessions(struct trace *t, uint32_t server, uint32_t first_client,
                                 unsigned n_clients, nstime from, nstime until)
{
    for (unsigned c = 0; c < n_clients; c++) {
        unsigned visits = 1 + (unsigned)rng_below(&t->rng, 3);
        for (unsigned v = 0; v < visits; v++)
            smb_attempt(t, random_moment(t, from, until),
                        (struct tcp_attempt){.client = first_client + c, .server = server,
                                             .port = PORT_SMB, .answer = ANSWER_SYN_ACK});
    }
    note_benign(t, server);
}

/* A management server visiting many hosts over SMB, all successfully. */
static void management_sweep(struct trace *t, uint32_t manager, uint32_t first_target,
                             unsigned count, nstime start, nstime gap)
{
    for (unsigned i = 0; i < count; i++) {
        uint32_t target = first_target + i;
        if (target != manager)
            smb_attempt(t, start + i * gap + rng_duration(t, 0, gap / 4),
                        (struct tcp_attempt){.client = manager, .server = target,
                                             .port = PORT_SMB, .answer = ANSWER_SYN_ACK});
    }
}

/* The same SMB attempt every `gap` or so, each from a new source port. */
static void repeat_smb_attempt(struct trace *t, struct tcp_attempt a, unsigned attempts,
                               nstime start, nstime gap)
{
    for (unsigned i = 0; i < attempts; i++)
        smb_attempt(t, start + i * gap + rng_duration(t, 0, SEC(2)), a);
}

/* A client that keeps trying a server whose SMB port silently drops SYNs. */
static void retry_dead_server(struct trace *t, uint32_t client, uint32_t server,
                              unsigned attempts, nstime start, nstime gap)
{
    repeat_smb_attempt(t, (struct tcp_attempt){.client = client, .server = server,
                                               .port = PORT_SMB, .answer = ANSWER_NONE},
                       attempts, start, gap);
}

struct chatter_name {
    const char *name;
    uint8_t suffix;
};

static const struct chatter_name CHATTER_NAMES[] = {
    {"FILESERVER", 0x20}, {"WORKGROUP", 0x1b}, {"WORKGROUP", 0x1d},
    {"PRINTSRV", 0x20},   {"WPAD", 0x00},      {"ISATAP", 0x00},
};

/* Each host registers its name by broadcast and asks for a couple of names.
 * With use_limited_broadcast, odd hosts also query 255.255.255.255 and do
 * so without the B flag, so each broadcast criterion is exercised alone. */
static void netbios_broadcast_chatter(struct trace *t, uint32_t first_host, unsigned n_hosts,
                                      nstime from, nstime until, bool use_limited_broadcast)
{
    uint32_t subnet_broadcast = lan_broadcast(t);
    nstime span = until - from;
    for (unsigned i = 0; i < n_hosts; i++) {
        uint32_t host = first_host + i;
        struct bytes message = {0};
        nstime at = random_moment(t, from, from + span / 4);
        build_nbns_registration(&message, (uint16_t)rng_next(&t->rng), workstation_name(host).s, host);
        send_nbns_broadcast(t, at, host, subnet_broadcast, &message);
        for (int q = 0; q < 2; q++) {
            const struct chatter_name *wanted = &CHATTER_NAMES[rng_below(&t->rng, COUNT_OF(CHATTER_NAMES))];
            bool limited = use_limited_broadcast && (i % 2 == 1) && q == 1;
            uint16_t flags = NBNS_RECURSION_DESIRED | (limited ? 0 : NBNS_BROADCAST);
            message.len = 0;
            build_nbns_query(&message, (uint16_t)rng_next(&t->rng), flags, wanted->name,
                             wanted->suffix, NBNS_TYPE_NB);
            at += rng_duration(t, SEC(2), span / 4);
            send_nbns_broadcast(t, at, host, limited ? LIMITED_BROADCAST : subnet_broadcast, &message);
        }
        bytes_free(&message);
    }
}

/* Hosts resolving a name through one name server (1 target each). */
static void unicast_name_lookups(struct trace *t, uint32_t first_client, unsigned n_clients,
                                 const uint32_t *servers, size_t n_servers, nstime from,
                                 nstime until, uint32_t answer_address)
{
    for (unsigned c = 0; c < n_clients; c++) {
        uint32_t client = first_client + c;
        for (size_t s = 0; s < n_servers; s++) {
            nstime at = random_moment(t, from, until);
            uint16_t id = (uint16_t)rng_next(&t->rng);
            run_nbns_query(t, at,
                           &(struct nbns_lookup){.client = client, .server = servers[s],
                                                 .client_port = PORT_NBNS, .id = id,
                                                 .name = "FILESERVER", .suffix = 0x20,
                                                 .qtype = NBNS_TYPE_NB,
                                                 .answer_address = answer_address},
                           NBNS_NAME_ANSWER);
        }
    }
}

/* nbtscan-style node-status sweep from one socket, one target every gap. */
static void nbstat_sweep(struct trace *t, uint32_t scanner, uint32_t first_target,
                         unsigned count, nstime start, nstime gap)
{
    uint16_t port = next_client_port(t, scanner);
    uint16_t first_id = (uint16_t)rng_next(&t->rng);
    for (unsigned i = 0; i < count; i++) {
        uint32_t target = first_target + i;
        nstime at = start + i * gap + rng_duration(t, 0, gap / 5);
        enum service service = t->service(target, PORT_NBNS);
        if (service == SERVICE_ABSENT) {
            arp_unanswered(t, at, scanner, target);
            continue;
        }
        at = arp_resolve(t, at, scanner, target);
        run_nbns_query(t, at,
                       &(struct nbns_lookup){.client = scanner, .server = target,
                                             .client_port = port, .id = (uint16_t)(first_id + i), .name = "*",
                                             .suffix = 0, .qtype = NBNS_TYPE_NBSTAT},
                       nbns_reply_for(service, NBNS_TYPE_NBSTAT));
    }
}

/* A scanner sweeping hosts one after another, each on several ports in a
 * random order; absent neighbours show only unanswered ARP requests. */
static void port_sweep(struct trace *t, uint32_t scanner, uint32_t first_target, unsigned count,
                       const uint16_t *ports, size_t n_ports, nstime start, nstime host_gap)
{
    uint32_t order[8];
    if (n_ports > COUNT_OF(order))
        die("too many ports to sweep");
    for (unsigned i = 0; i < count; i++) {
        uint32_t target = first_target + i;
        nstime at = start + i * host_gap + rng_duration(t, 0, host_gap / 5);
        if (t->service(target, ports[0]) == SERVICE_ABSENT) {
            arp_unanswered(t, at, scanner, target);
            continue;
        }
        at = arp_resolve(t, at, scanner, target);
        for (size_t p = 0; p < n_ports; p++)
            order[p] = ports[p];
        shuffle(&t->rng, order, n_ports);
        for (size_t p = 0; p < n_ports; p++) {
            uint16_t port = (uint16_t)order[p];
            at += rng_duration(t, MSEC(2), MSEC(8));
            run_tcp_attempt(t, at, &(struct tcp_attempt){.client = scanner, .server = target,
                                                         .port = port,
                                                         .answer = answer_for(t->service(target, port))});
        }
    }
}

/* One SYN per target, targets in random order, evenly over `span`. */
static void syn_burst(struct trace *t, uint32_t scanner, uint32_t first_target, unsigned count,
                      uint16_t port, nstime start, nstime span, enum answer answer)
{
    uint32_t order[256];
    if (count > COUNT_OF(order))
        die("burst too large");
    for (unsigned i = 0; i < count; i++)
        order[i] = i;
    shuffle(&t->rng, order, count);
    for (unsigned i = 0; i < count; i++)
        run_tcp_attempt(t, start + i * (span / count) + rng_duration(t, 0, MSEC(20)),
                        &(struct tcp_attempt){.client = scanner, .server = first_target + order[i],
                                              .port = port, .answer = answer});
}

/* ---- the Conficker-like worm ---- */

/* Conficker joins two 15-bit rand() values and stores the result
 * little-endian, so the 2nd and 4th octets of its targets are below 128. */
static uint32_t conficker_internet_target(struct trace *t, uint32_t infected)
{
    (void)infected;
    for (;;) {
        uint32_t low = rng_bits(&t->rng, 15);
        uint32_t high = rng_bits(&t->rng, 15);
        uint32_t ip = IPV4(low & 0xff, low >> 8, high & 0xff, high >> 8);
        if (is_public_unicast(ip))
            return ip;
    }
}

/* A WannaCry-like worm draws from all public addresses alike. */
static uint32_t uniform_internet_target(struct trace *t, uint32_t infected)
{
    (void)infected;
    for (;;) {
        uint32_t ip = (uint32_t)(rng_next(&t->rng) >> 32);
        if (is_public_unicast(ip) && (ip & 0xff) != 0xff)
            return ip;
    }
}

/* Any host address of the capture's LAN (.1-.254 of a /24) but the chooser's own. */
static uint32_t lan_host_target(struct trace *t, uint32_t chooser)
{
    for (;;) {
        uint32_t ip = t->lan | (uint32_t)(1 + rng_below(&t->rng, ~t->lan_mask - 1));
        if (ip != chooser)
            return ip;
    }
}

/* The capture's /24 as Conficker reaches it from outside: the top bit of
 * the 4th octet is never set (and .0 is excluded), so only .1-.127. */
static uint32_t conficker_lan_target(struct trace *t, uint32_t infected)
{
    (void)infected;
    return t->lan | (uint32_t)(1 + rng_below(&t->rng, 127));
}

static uint32_t draw_untried(struct trace *t, struct address_set *tried, uint32_t infected,
                             uint32_t (*draw)(struct trace *, uint32_t))
{
    uint32_t target;
    do
        target = draw(t, infected);
    while (set_contains(tried, target));
    set_add(tried, target);
    return target;
}

/* How a story's hosts answer a connection attempt (no randomness allowed). */
typedef struct tcp_attempt (*answer_model)(struct trace *t, uint32_t client, uint32_t server,
                                           uint16_t port);

/* On the LAN: as the story's service map says, for hosts that exist. */
static struct tcp_attempt lan_answer(struct trace *t, uint32_t client, uint32_t server, uint16_t port)
{
    return (struct tcp_attempt){.client = client, .server = server, .port = port,
                                .answer = answer_for(t->service(server, port))};
}

/* An attempt on 445; with a model for 139 and when 445 is reset, Conficker
 * tries 139 on the same host 0.3 s later. */
static void smb_attempt_then_nbss(struct trace *t, nstime at, struct tcp_attempt smb,
                                  answer_model nbss)
{
    struct attempt_result result = smb_attempt(t, at, smb);
    if (nbss && smb.answer == ANSWER_RST)
        smb_attempt(t, result.answered_at + MSEC(300), nbss(t, smb.client, smb.server, PORT_NBSS));
}

/* Local neighbour: ARP first; 445, and 139 0.3 s after a rejected 445. */
static void worm_probe_neighbour(struct trace *t, nstime at, uint32_t infected, struct address_set *tried)
{
    uint32_t target = draw_untried(t, tried, infected, lan_host_target);
    if (t->service(target, PORT_SMB) == SERVICE_ABSENT) {
        arp_unanswered(t, at, infected, target);
        return;
    }
    at = arp_resolve(t, at, infected, target);
    smb_attempt_then_nbss(t, at, lan_answer(t, infected, target, PORT_SMB), lan_answer);
}

/* Internet address: 88% silent, 5% RST, 5% accepted, 2% ICMP prohibited. */
static void worm_probe_internet(struct trace *t, nstime at, uint32_t infected, struct address_set *tried,
                                uint32_t (*draw)(struct trace *, uint32_t))
{
    uint32_t target = draw_untried(t, tried, infected, draw);
    unsigned roll = (unsigned)rng_below(&t->rng, 100);
    struct tcp_attempt attempt = {.client = infected, .server = target, .port = PORT_SMB,
                                  .answer = ANSWER_NONE};
    if (roll >= 98) {
        attempt.answer = ANSWER_ICMP;
        attempt.icmp_from = (target & 0xffffff00u) | 254; /* the target's firewall */
        attempt.icmp_code = ICMP_CODE_ADMIN_PROHIBITED;
        set_stack(t, attempt.icmp_from, &LINUX);
    } else if (roll >= 93) {
        attempt.answer = ANSWER_SYN_ACK;
    } else if (roll >= 88) {
        attempt.answer = ANSWER_RST;
    }
    smb_attempt(t, at, attempt);
}

struct worm {
    uint32_t infected;
    nstime start, duration, mean_gap;
    uint32_t (*internet_target)(struct trace *t, uint32_t infected); /* NULL: Conficker's */
};

/* About one attempt per mean_gap: a quarter to the LAN, the rest to the Internet. */
static void conficker_scan(struct trace *t, const struct worm *w)
{
    struct address_set tried = {0};
    uint32_t (*draw)(struct trace *, uint32_t) =
        w->internet_target ? w->internet_target : conficker_internet_target;
    for (nstime at = w->start; at < w->start + w->duration; at += jittered(t, w->mean_gap, 30)) {
        if (rng_percent(&t->rng, 25))
            worm_probe_neighbour(t, at, w->infected, &tried);
        else
            worm_probe_internet(t, at, w->infected, &tried, draw);
    }
    set_free(&tried);
}

/* ================================================================== */
/* The stories, one per capture                                        */
/* ================================================================== */

/* ---- conficker_lan.pcap ---- */

static enum service conficker_lan_service(uint32_t ip, uint16_t port)
{
    unsigned host = ip & 0xff;
    if (host == 1 || host == 30) /* router; a client with sharing disabled */
        return SERVICE_CLOSED;
    if (host == 2 || host == 10 || host == 20) /* WINS, file and management servers */
        return SERVICE_OPEN;
    if (host == 99) /* host firewall silently dropping SMB */
        return SERVICE_FILTERED;
    if (host >= 100 && host <= 129) /* clients: some share files, some refuse */
        return (port == PORT_SMB ? host % 2 == 0 : host % 3 == 0) ? SERVICE_OPEN : SERVICE_CLOSED;
    if (host >= 130 && host <= 169) /* managed desktops */
        return SERVICE_OPEN;
    return SERVICE_ABSENT;
}

static void tell_conficker_lan(struct trace *t)
{
    const uint32_t lan = IPV4(10, 1, 1, 0);
    const uint32_t wins = lan | 2, file_server = lan | 10, manager = lan | 20;
    const uint32_t infected = lan | 66;
    use_lan(t, lan, conficker_lan_service);
    expect_alert(t, infected, ALERT_TCP445, CONFICKER_YES);

    web_background(t, lan | 100, 30, 60, SEC(0), SEC(700));
    arp_background(t, lan | 100, 70, 30, SEC(0), SEC(700));
    file_server_sessions(t, file_server, lan | 100, 30, SEC(5), SEC(690));
    management_sweep(t, manager, lan | 130, 40, SEC(300), SEC(3));
    retry_dead_server(t, lan | 30, lan | 99, 20, SEC(20), SEC(30));
    netbios_broadcast_chatter(t, lan | 100, 20, SEC(0), SEC(600), false);
    unicast_name_lookups(t, lan | 120, 6, &wins, 1, SEC(30), SEC(600), file_server);
    conficker_scan(t, &(struct worm){.infected = infected, .start = SEC(60),
                                     .duration = SEC(150), .mean_gap = SEC(1)});
}

/* ---- vulnscan.pcap ---- */

/* Hosts .1-.24 exist; their firewalls reject SMB except from the manager. */
static enum service vulnscan_service(uint32_t ip, uint16_t port)
{
    unsigned host = ip & 0xff;
    if (host < 1 || host > 24)
        return SERVICE_ABSENT;
    switch (port) {
    case PORT_SMB: return host % 2 == 0 ? SERVICE_OPEN : SERVICE_CLOSED;
    case PORT_NBSS: return host % 4 <= 1 ? SERVICE_OPEN : SERVICE_CLOSED;
    case PORT_RPC: return host % 5 == 0 ? SERVICE_OPEN : SERVICE_CLOSED;
    case PORT_SSH: return host == 1 ? SERVICE_OPEN : SERVICE_CLOSED;
    case PORT_HTTP: return host == 1 || host == 12 ? SERVICE_OPEN : SERVICE_CLOSED;
    case PORT_RDP: return host == 10 || host == 20 ? SERVICE_OPEN : SERVICE_CLOSED;
    default: return SERVICE_CLOSED;
    }
}

static void tell_vulnscan(struct trace *t)
{
    static const uint16_t ports[] = {PORT_SSH, PORT_HTTP, PORT_RPC, PORT_NBSS, PORT_SMB, PORT_RDP};
    const uint32_t lan = IPV4(10, 1, 2, 0);
    const uint32_t scanner = lan | 250, manager = lan | 20;
    use_lan(t, lan, vulnscan_service);
    set_stack(t, scanner, &LINUX);
    expect_alert(t, scanner, ALERT_TCP445, CONFICKER_NO);
    expect_alert(t, scanner, ALERT_TCP139, CONFICKER_NO);

    web_background(t, lan | 5, 4, 20, SEC(0), SEC(140));
    arp_background(t, lan | 2, 23, 10, SEC(0), SEC(140));
    port_sweep(t, scanner, lan | 1, 60, ports, COUNT_OF(ports), SEC(30), MSEC(330));
    management_sweep(t, manager, lan | 1, 24, SEC(100), MSEC(800));
}

/* ---- nbstat_sweep.pcapng ---- */

/* .1-.60 all exist: name servers .2-.4 and every third host answer NBSTAT,
 * hosts without NetBIOS send port unreachable, the rest drop silently. */
static enum service nbstat_sweep_service(uint32_t ip, uint16_t port)
{
    unsigned host = ip & 0xff;
    (void)port;
    if (host < 1 || host > 60)
        return SERVICE_ABSENT;
    if ((host >= 2 && host <= 4) || host % 3 == 1)
        return SERVICE_OPEN;
    return host % 6 == 0 ? SERVICE_CLOSED : SERVICE_FILTERED;
}

static void tell_nbstat_sweep(struct trace *t)
{
    const uint32_t lan = IPV4(10, 1, 3, 0);
    const uint32_t scanner = lan | 200;
    const uint32_t name_servers[] = {lan | 2, lan | 3, lan | 4};
    use_lan(t, lan, nbstat_sweep_service);
    set_stack(t, scanner, &LINUX);
    expect_alert(t, scanner, ALERT_NETBIOS, CONFICKER_UNSPECIFIED);

    web_background(t, lan | 100, 10, 15, SEC(0), SEC(100));
    arp_background(t, lan | 100, 10, 8, SEC(0), SEC(100));
    netbios_broadcast_chatter(t, lan | 100, 10, SEC(0), SEC(100), true);
    unicast_name_lookups(t, lan | 50, 1, name_servers, COUNT_OF(name_servers), SEC(40),
                         SEC(90), lan | 10);
    nbstat_sweep(t, scanner, lan | 1, 60, SEC(20), USEC(66667));
}

/* ---- encap_vlan.pcap ---- */

static enum service encap_vlan_service(uint32_t ip, uint16_t port)
{
    unsigned host = ip & 0xff;
    (void)port;
    if (host == 1)
        return SERVICE_CLOSED;
    if (host == 10)
        return SERVICE_OPEN;
    if (host >= 100 && host <= 119)
        return host % 2 == 0 ? SERVICE_OPEN : SERVICE_CLOSED;
    return SERVICE_ABSENT;
}

static void tell_encap_vlan(struct trace *t)
{
    const uint32_t lan = IPV4(10, 1, 4, 0);
    const uint32_t infected = lan | 66, web_client = lan | 100;
    use_lan(t, lan, encap_vlan_service);
    t->cycle_vlan_tags = true;
    expect_alert(t, infected, ALERT_TCP445, CONFICKER_YES);
    note_benign(t, web_client);

    web_background(t, web_client, 1, 8, SEC(0), SEC(88));
    web_visit(t, SEC(90), web_client); /* outlives the worm's last retransmission */
    arp_background(t, lan | 100, 20, 4, SEC(0), SEC(88));
    conficker_scan(t, &(struct worm){.infected = infected, .start = SEC(5),
                                     .duration = SEC(60), .mean_gap = MSEC(667)});
}

/* ---- sll.pcap, sll2.pcap, rawip.pcap, null_loop.pcap ---- */

/* One scanner bursting SYNs at .100 upwards, plus ordinary neighbours:
 * .20 looks up a name and later has a normal session with server .10. */
struct burst_story {
    uint8_t subnet;
    const struct tcp_stack *scanner_stack;
    uint16_t port;
    unsigned targets;
    nstime span;
    enum answer answer;
    enum alert_kind alert;
    enum conficker_verdict conficker;
};

static void tell_burst(struct trace *t, const struct burst_story *s)
{
    const uint32_t lan = IPV4(10, 1, s->subnet, 0);
    const uint32_t scanner = lan | 7, client = lan | 20, server = lan | 10;
    use_lan(t, lan, NULL);
    set_stack(t, scanner, s->scanner_stack);
    expect_alert(t, scanner, s->alert, s->conficker);

    dns_lookup(t, MSEC(500), client, &WEBSITES[0]);
    syn_burst(t, scanner, lan | 100, s->targets, s->port, SEC(2), s->span, s->answer);
    smb_attempt(t, SEC(16), (struct tcp_attempt){.client = client, .server = server,
                                                 .port = s->port, .answer = ANSWER_SYN_ACK});
}

static void tell_sll(struct trace *t)
{
    tell_burst(t, &(struct burst_story){5, &MASSCAN, PORT_SMB, 25, SEC(5), ANSWER_RST,
                                        ALERT_TCP445, CONFICKER_NO});
}

static void tell_sll2(struct trace *t)
{
    tell_burst(t, &(struct burst_story){6, &MASSCAN, PORT_SMB, 25, SEC(5), ANSWER_RST,
                                        ALERT_TCP445, CONFICKER_NO});
}

static void tell_rawip(struct trace *t)
{
    tell_burst(t, &(struct burst_story){7, &LINUX, PORT_SMB, 25, SEC(5), ANSWER_NONE,
                                        ALERT_TCP445, CONFICKER_NO});
}

/* 14 refused SYNs: split in two files (split_scan_1/2.pcap), neither half
 * reaches the threshold alone, so only reading both as one stream flags it. */
static void tell_split_scan(struct trace *t)
{
    tell_burst(t, &(struct burst_story){10, &MASSCAN, PORT_SMB, 14, SEC(6), ANSWER_RST,
                                        ALERT_TCP445, CONFICKER_NO});
}

/* Adds an IPv6 connection refused on port 22 (two AF_INET6 frames). */
static void tell_null_loop(struct trace *t)
{
    tell_burst(t, &(struct burst_story){8, &LINUX, PORT_NBSS, 15, MSEC(1500), ANSWER_RST,
                                        ALERT_TCP139, CONFICKER_UNSPECIFIED});
    const uint32_t client = IPV4(10, 1, 8, 20), server = IPV4(10, 1, 8, 10);
    const struct tcp_stack *stack = stack_of(t, client);
    struct tcp_options options = syn_options(stack->syn_options, SEC(12));
    uint32_t isn = (uint32_t)rng_next(&t->rng);
    uint16_t port = next_client_port(t, client);
    emit_tcp_v6(t, SEC(12), client, server,
                &(struct tcp_segment){.src_port = port, .dst_port = PORT_SSH, .seq = isn,
                                      .flags = TCP_SYN, .window = stack->window, .options = &options});
    emit_tcp_v6(t, SEC(12) + USEC(90), server, client,
                &(struct tcp_segment){.src_port = PORT_SSH, .dst_port = port, .ack = isn + 1,
                                      .flags = TCP_RST | TCP_ACK});
}

/* ---- malformed.pcap ---- */

#define MALFORMED_SENDER IPV4(10, 1, 9, 9)

struct malformed_case {
    void (*emit)(struct trace *t, nstime at, const struct malformed_case *c);
    uint8_t target_host; /* last octet of the destination in 10.1.9.0/24 */
    uint16_t port;
    struct damage damage;
};

static uint32_t malformed_target(const struct malformed_case *c) { return IPV4(10, 1, 9, c->target_host); }

/* A lone SYN (never a probe by itself) that the case then damages. */
static void emit_damaged_syn(struct trace *t, nstime at, const struct malformed_case *c)
{
    struct tcp_flow flow = open_flow(t, &(struct tcp_attempt){.client = MALFORMED_SENDER,
                                                              .server = malformed_target(c),
                                                              .port = c->port});
    set_damage(t, send_syn(t, at, &flow), c->damage);
}

static void emit_damaged_nbns_query(struct trace *t, nstime at, const struct malformed_case *c)
{
    struct bytes query = {0};
    build_nbns_query(&query, 0x4d41, 0, "*", 0, NBNS_TYPE_NBSTAT);
    set_damage(t, emit_udp(t, at, MALFORMED_SENDER, PORT_NBNS, malformed_target(c), PORT_NBNS, &query),
               c->damage);
    bytes_free(&query);
}

static void emit_short_nbns(struct trace *t, nstime at, const struct malformed_case *c)
{
    struct bytes payload = {0};
    put_data(&payload, "\x4d\x42\x00\x10\x00", 5);
    emit_udp(t, at, MALFORMED_SENDER, PORT_NBNS, malformed_target(c), PORT_NBNS, &payload);
    bytes_free(&payload);
}

/* Question name claims 32 bytes but the datagram ends after 10 of them. */
static void emit_overrunning_nbns_label(struct trace *t, nstime at, const struct malformed_case *c)
{
    struct bytes payload = {0};
    put_name_service_header(&payload, 0x4d43, 0, 1, 0, 0);
    put_u8(&payload, 32);
    put_data(&payload, "CKAAAAAAAA", 10);
    emit_udp(t, at, MALFORMED_SENDER, PORT_NBNS, malformed_target(c), PORT_NBNS, &payload);
    bytes_free(&payload);
}

/* A SYN-shaped payload in a last fragment at offset 185 (1480 bytes in). */
static void emit_trailing_fragment(struct trace *t, nstime at, const struct malformed_case *c)
{
    struct tcp_options options = syn_options(SYN_OPTIONS_WINDOWS, at);
    uint32_t target = malformed_target(c);
    size_t start = append_tcp(t, MALFORMED_SENDER, target,
                              &(struct tcp_segment){.src_port = 1401, .dst_port = PORT_SMB,
                                                    .seq = 0x46524147, .flags = TCP_SYN,
                                                    .window = 65535, .options = &options});
    emit_ipv4(t, at, (struct ipv4_info){.src = MALFORMED_SENDER, .dst = target,
                                        .protocol = PROTO_TCP, .fragment_offset = 185}, start);
}

/* A complete SYN in a first fragment (MF set): a valid probe.  The rest of
 * the datagram never comes, so the target never answers. */
static void emit_first_fragment_probe(struct trace *t, nstime at, const struct malformed_case *c)
{
    struct tcp_options options = syn_options(SYN_OPTIONS_WINDOWS, at);
    uint32_t target = malformed_target(c);
    uint16_t port = next_client_port(t, MALFORMED_SENDER);
    uint32_t isn = (uint32_t)rng_next(&t->rng);
    size_t start = append_tcp(t, MALFORMED_SENDER, target,
                              &(struct tcp_segment){.src_port = port, .dst_port = c->port,
                                                    .seq = isn, .flags = TCP_SYN, .window = 65535,
                                                    .options = &options});
    uint32_t syn = emit_ipv4(t, at, (struct ipv4_info){.src = MALFORMED_SENDER, .dst = target,
                                                       .protocol = PROTO_TCP,
                                                       .more_fragments = true}, start);
    record_probe(t, MALFORMED_SENDER, target, c->port, OUTCOME_UNANSWERED, syn, at);
}

static void emit_ipv6_syn(struct trace *t, nstime at, const struct malformed_case *c)
{
    struct tcp_options options = syn_options(SYN_OPTIONS_WINDOWS, at);
    uint16_t port = next_client_port(t, MALFORMED_SENDER);
    uint32_t isn = (uint32_t)rng_next(&t->rng);
    emit_tcp_v6(t, at, MALFORMED_SENDER, malformed_target(c),
                &(struct tcp_segment){.src_port = port, .dst_port = c->port, .seq = isn,
                                      .flags = TCP_SYN, .window = 65535, .options = &options});
}

static void emit_arp_request(struct trace *t, nstime at, const struct malformed_case *c)
{
    emit_arp(t, at, ARP_REQUEST, MALFORMED_SENDER, malformed_target(c));
}

/* A 1500-byte SYN (with data, no options) captured with a 54-byte snaplen:
 * every header is complete, so it is a valid probe; the target resets. */
static void emit_snapped_syn_probe(struct trace *t, nstime at, const struct malformed_case *c)
{
    enum { SYN_DATA = 1460 };
    struct bytes data = {0};
    bytes_extend(&data, SYN_DATA);
    struct tcp_flow flow = open_flow(t, &(struct tcp_attempt){.client = MALFORMED_SENDER,
                                                              .server = malformed_target(c),
                                                              .port = c->port});
    uint32_t syn = send_on_flow(t, at, &flow, FROM_CLIENT, TCP_SYN, flow.client_isn, 0, NULL, &data);
    set_damage(t, syn, c->damage);
    send_control(t, at + flow.rtt, &flow, FROM_SERVER, TCP_RST | TCP_ACK, 0,
                 flow.client_isn + 1 + SYN_DATA);
    record_probe(t, MALFORMED_SENDER, flow.server, c->port, OUTCOME_REJECTED, syn, at);
    bytes_free(&data);
}

static const struct malformed_case MALFORMED_CASES[] = {
    {emit_damaged_syn, 201, PORT_SMB, {DAMAGE_CUT_FRAME, 10}}, /* Ethernet header cut to 10 bytes */
    {emit_damaged_syn, 202, PORT_SMB, {DAMAGE_CUT_FRAME, 14 + 12}}, /* IPv4 header cut to 12 bytes */
    {emit_damaged_syn, 203, PORT_SMB, {DAMAGE_IP_VERSION, 5}}, /* IPv4 version nibble 5 */
    {emit_damaged_syn, 204, PORT_SMB, {DAMAGE_IP_HEADER_LENGTH, 4}}, /* IPv4 IHL 4 */
    {emit_damaged_syn, 205, PORT_SMB, {DAMAGE_IP_TOTAL_LENGTH, 16}}, /* IPv4 total length 16 */
    {emit_damaged_syn, 206, PORT_SMB, {DAMAGE_CUT_TRANSPORT, 10}}, /* TCP header cut after 10 bytes */
    {emit_damaged_syn, 207, PORT_SMB, {DAMAGE_TCP_DATA_OFFSET, 4}}, /* TCP data offset 4 */
    {emit_damaged_nbns_query, 208, PORT_NBNS, {DAMAGE_CUT_TRANSPORT, 4}}, /* UDP header cut after 4 bytes */
    {emit_short_nbns, 209, PORT_NBNS, {DAMAGE_NONE, 0}}, /* UDP/137 with a 5-byte payload */
    {emit_overrunning_nbns_label, 210, PORT_NBNS, {DAMAGE_NONE, 0}}, /* NBNS name label past the end */
    {emit_damaged_syn, 211, PORT_HTTP, {DAMAGE_VLAN_STACK, 10}}, /* 10 stacked 802.1Q tags (inner SYN to 80) */
    {emit_damaged_syn, 212, PORT_SMB, {DAMAGE_EMPTY_RECORD, 0}}, /* zero-length record */
    {emit_trailing_fragment, 213, PORT_SMB, {DAMAGE_NONE, 0}}, /* non-first fragment, offset 185 */
    {emit_first_fragment_probe, 113, PORT_SMB, {DAMAGE_NONE, 0}}, /* first fragment with a whole SYN (probe) */
    {emit_ipv6_syn, 115, PORT_SMB, {DAMAGE_NONE, 0}}, /* IPv6 SYN to 445 */
    {emit_arp_request, 1, 0, {DAMAGE_NONE, 0}}, /* ARP request */
    {emit_snapped_syn_probe, 114, PORT_SMB, {DAMAGE_SNAPLEN, 54}}, /* SYN cut by snaplen 54 of 1514 (probe) */
};

/* Valid SYNs from 10.1.9.9 to .101-.112 (each reset) alternate with the cases. */
static void tell_malformed(struct trace *t)
{
    enum { VALID_PROBES = 12 };
    const uint32_t lan = IPV4(10, 1, 9, 0);
    use_lan(t, lan, NULL);
    expect_alert(t, MALFORMED_SENDER, ALERT_TCP445, CONFICKER_UNSPECIFIED);
    size_t rounds = COUNT_OF(MALFORMED_CASES) > VALID_PROBES ? COUNT_OF(MALFORMED_CASES) : VALID_PROBES;
    for (size_t i = 0; i < rounds; i++) {
        nstime at = SEC(1) + i * SEC(2);
        if (i < VALID_PROBES)
            run_tcp_attempt(t, at, &(struct tcp_attempt){.client = MALFORMED_SENDER,
                                                         .server = lan | (uint32_t)(101 + i),
                                                         .port = PORT_SMB, .answer = ANSWER_RST});
        if (i < COUNT_OF(MALFORMED_CASES))
            MALFORMED_CASES[i].emit(t, at + SEC(1), &MALFORMED_CASES[i]);
    }
}

/* ---- internet_24.pcap ---- */

/* The /24 behind the uplink: four SMB servers, eight hosts refusing SMB
 * (the web server .10 among them), the router dropping SYNs to itself. */
static enum service internet_24_service(uint32_t ip, uint16_t port)
{
    switch (ip & 0xff) {
    case 1:
        return SERVICE_FILTERED;
    case 25: case 26: case 40: case 41:
        return port == PORT_SMB || port == PORT_NBSS ? SERVICE_OPEN : SERVICE_CLOSED;
    case 10:
        return port == PORT_HTTP ? SERVICE_OPEN : SERVICE_CLOSED;
    case 11: case 12: case 20: case 21: case 30: case 31: case 50:
        return SERVICE_CLOSED;
    default:
        return SERVICE_ABSENT;
    }
}

/* Hosts answer as the service map says.  A SYN to an address where no host
 * exists goes unanswered, except that for about one such address in ten
 * (picked by a hash of the address, so every scanner sees the same) the
 * router reports host unreachable. */
static struct tcp_attempt uplink_answer(struct trace *t, uint32_t client, uint32_t server, uint16_t port)
{
    if (t->service(server, port) != SERVICE_ABSENT)
        return lan_answer(t, client, server, port);
    struct tcp_attempt a = {.client = client, .server = server, .port = port, .answer = ANSWER_NONE};
    if ((mix64(server) >> 32) % 10 == 0) {
        a.answer = ANSWER_ICMP;
        a.icmp_from = t->gateway;
        a.icmp_code = ICMP_CODE_HOST_UNREACHABLE;
    }
    return a;
}

/* A public address outside the capture's /16, not handed out before. */
static uint32_t new_outside_address(struct trace *t, struct address_set *used)
{
    for (;;) {
        uint32_t ip = (uint32_t)(rng_next(&t->rng) >> 32);
        if (is_public_unicast(ip) && (ip & 0xff) != 0xff && (ip >> 16) != (t->lan >> 16) &&
            !set_contains(used, ip)) {
            set_add(used, ip);
            return ip;
        }
    }
}

enum target_choice {
    TARGETS_CONFICKER, /* distinct, .1-.127 (conficker_lan_target) */
    TARGETS_UNIFORM,   /* distinct, .1-.254 */
    TARGETS_SWEEP,     /* .1, .2, .3, ... */
};

/* One outside source's short scan of the /24 on 445. */
struct outside_scan {
    const struct tcp_stack *stack;
    enum target_choice targets; /* TARGETS_CONFICKER: the truth says conficker */
    unsigned probes;
    nstime start, min_gap, max_gap; /* first SYN; wait before each next target */
    bool worm;                      /* negotiates SMB when let in; scanners just close */
    bool nbss_after_reset;          /* tries 139 0.3 s after a RST on 445 */
};

/* Whether one of the first 5 targets has a 4th octet >= 128, which Conficker
 * never produces: a detector reading target octets needs to see one early. */
static bool high_octet_early(const uint32_t *targets, unsigned count)
{
    for (unsigned i = 0; i < count && i < 5; i++)
        if ((targets[i] & 0xff) >= 128)
            return true;
    return false;
}

static void scan_from_outside(struct trace *t, uint32_t scanner, const struct outside_scan *s)
{
    uint32_t targets[64];
    struct address_set tried = {0};
    if (s->probes > COUNT_OF(targets))
        die("scan too long");
    set_stack(t, scanner, s->stack);
    for (unsigned i = 0; i < s->probes; i++) {
        switch (s->targets) {
        case TARGETS_CONFICKER: targets[i] = draw_untried(t, &tried, scanner, conficker_lan_target); break;
        case TARGETS_UNIFORM: targets[i] = draw_untried(t, &tried, scanner, lan_host_target); break;
        case TARGETS_SWEEP: targets[i] = t->lan | (i + 1); break;
        }
    }
    set_free(&tried);
    if (s->targets == TARGETS_UNIFORM && !high_octet_early(targets, s->probes))
        die("%s: %s has no target >= .128 among its first 5; pick another seed",
            t->spec->name, ipv4_text(scanner).s);
    unsigned resets = 0;
    nstime at = s->start;
    for (unsigned i = 0; i < s->probes; i++) {
        if (i > 0)
            at += rng_duration(t, s->min_gap, s->max_gap);
        struct tcp_attempt a = uplink_answer(t, scanner, targets[i], PORT_SMB);
        resets += a.answer == ANSWER_RST;
        if (s->worm)
            smb_attempt_then_nbss(t, at, a, s->nbss_after_reset ? uplink_answer : NULL);
        else
            run_tcp_attempt(t, at, &a);
    }
    if (s->nbss_after_reset && resets == 0)
        die("%s: %s meets no RST, so never tries 139; pick another seed", t->spec->name,
            ipv4_text(scanner).s);
}

/* Overlapping scans over about 15 minutes, gaps uniform in [min_gap,
 * max_gap].  Several stay under the count rule's 10 failed targets on
 * purpose: the file is for the sequential test (see verify_story()).
 *
 * The capture's seed was chosen, not drawn: counting up the digits before
 * "2009A0B" from 0x1E724, 0x1E728 is the first that makes every uniform scan
 * hit a .128-.254 address among its first 5 probes (a 97% chance each) and
 * both 139-trying scans meet a RST (1E724-1E727 failed the latter).
 * scan_from_outside() dies if a change breaks either. */
static const struct outside_scan INTERNET_24_SCANS[] = {
    /* Conficker-like, Windows XP: .1-.127 only, a probe every 2-20 s */
    {.stack = &WINDOWS_XP, .targets = TARGETS_CONFICKER, .probes = 7, .start = SEC(20),
     .min_gap = SEC(2), .max_gap = SEC(5), .worm = true},
    {.stack = &WINDOWS_XP, .targets = TARGETS_CONFICKER, .probes = 15, .start = SEC(95),
     .min_gap = SEC(8), .max_gap = SEC(16), .worm = true, .nbss_after_reset = true},
    {.stack = &WINDOWS_XP, .targets = TARGETS_CONFICKER, .probes = 9, .start = SEC(230),
     .min_gap = SEC(4), .max_gap = SEC(8), .worm = true},
    {.stack = &WINDOWS_XP, .targets = TARGETS_CONFICKER, .probes = 6, .start = SEC(390),
     .min_gap = SEC(14), .max_gap = SEC(20), .worm = true},
    {.stack = &WINDOWS_XP, .targets = TARGETS_CONFICKER, .probes = 12, .start = SEC(520),
     .min_gap = SEC(3), .max_gap = SEC(7), .worm = true, .nbss_after_reset = true},
    {.stack = &WINDOWS_XP, .targets = TARGETS_CONFICKER, .probes = 8, .start = SEC(700),
     .min_gap = SEC(9), .max_gap = SEC(13), .worm = true},
    /* WannaCry-like, Windows 7: uniform over .1-.254 */
    {.stack = &WINDOWS_7, .targets = TARGETS_UNIFORM, .probes = 8, .start = SEC(60),
     .min_gap = SEC(1), .max_gap = SEC(3), .worm = true},
    {.stack = &WINDOWS_7, .targets = TARGETS_UNIFORM, .probes = 14, .start = SEC(300),
     .min_gap = SEC(3), .max_gap = SEC(9), .worm = true},
    {.stack = &WINDOWS_7, .targets = TARGETS_UNIFORM, .probes = 6, .start = SEC(470),
     .min_gap = SEC(5), .max_gap = SEC(15), .worm = true},
    {.stack = &WINDOWS_7, .targets = TARGETS_UNIFORM, .probes = 9, .start = SEC(780),
     .min_gap = MSEC(500), .max_gap = SEC(2), .worm = true},
    /* masscan-like: uniform, one SYN each, a burst of under 5 s */
    {.stack = &MASSCAN, .targets = TARGETS_UNIFORM, .probes = 17, .start = SEC(150),
     .min_gap = MSEC(200), .max_gap = MSEC(280)},
    {.stack = &MASSCAN, .targets = TARGETS_UNIFORM, .probes = 10, .start = SEC(610),
     .min_gap = MSEC(300), .max_gap = MSEC(450)},
    /* nmap-like, Linux: .1-.30 in order within 10 s */
    {.stack = &LINUX, .targets = TARGETS_SWEEP, .probes = 30, .start = SEC(430),
     .min_gap = MSEC(250), .max_gap = MSEC(330)},
};

static void tell_internet_24(struct trace *t)
{
    enum { WEB_CLIENTS = 20, SMB_VISITS = 5, DEAD_RETRIES = 3 };
    const uint32_t lan = IPV4(198, 51, 100, 0);
    const uint32_t web_server = lan | 10, smb_server = lan | 25, dark = lan | 99;
    const uint32_t partner = IPV4(203, 0, 113, 50), retrier = IPV4(192, 0, 2, 77);
    const uint32_t resolver = IPV4(203, 0, 113, 53), isp_router = IPV4(203, 0, 113, 254);
    const nstime end = SEC(900);
    struct address_set outside = {0};
    use_uplink(t, lan, internet_24_service, isp_router);
    t->sequential_expectations = true;
    set_stack(t, web_server, &LINUX);
    set_stack(t, resolver, &LINUX);
    note_benign(t, resolver);
    for (uint32_t host = 1; host < 255; host++)
        if (internet_24_service(lan | host, PORT_SMB) != SERVICE_ABSENT)
            note_benign(t, lan | host);

    for (size_t i = 0; i < COUNT_OF(INTERNET_24_SCANS); i++) {
        const struct outside_scan *s = &INTERNET_24_SCANS[i];
        uint32_t scanner = new_outside_address(t, &outside);
        expect_alert(t, scanner, ALERT_TCP445,
                     s->targets == TARGETS_CONFICKER ? CONFICKER_YES : CONFICKER_NO);
        scan_from_outside(t, scanner, s);
    }

    for (unsigned c = 0; c < WEB_CLIENTS; c++) {
        uint32_t client = new_outside_address(t, &outside);
        set_stack(t, client, c % 2 ? &LINUX : &WINDOWS_XP);
        note_benign(t, client);
        unsigned visits = 1 + (unsigned)rng_below(&t->rng, 3);
        for (unsigned v = 0; v < visits; v++)
            http_get(t, random_moment(t, SEC(0), end), client, web_server, "web.example.net");
    }
    repeat_smb_attempt(t, uplink_answer(t, partner, smb_server, PORT_SMB), SMB_VISITS, SEC(40),
                       SEC(180));
    repeat_smb_attempt(t, uplink_answer(t, retrier, dark, PORT_SMB), DEAD_RETRIES, SEC(330),
                       SEC(40));
    for (nstime minute = 0; minute <= end; minute += SEC(60)) { /* spans the capture */
        const struct website *site;
        do
            site = &WEBSITES[rng_below(&t->rng, COUNT_OF(WEBSITES))];
        while (on_lan(t, site->address));
        dns_lookup_via(t, minute + rng_duration(t, 0, SEC(5)), web_server, resolver, site);
    }
    set_free(&outside);
}

/* ---- the hosts every LAN has: lan_monitor, lan_logon, lan_printer, lan_laptop ---- */

/* The four captures below are told for the sequential test's false alarms:
 * each has hosts whose few failed SMB contacts are everyday business, and a
 * real scanner among them. The clients sit on 10.1.N.0/24, their servers on
 * routed subnets, so a dead server is a SYN nobody answers (or the router's
 * ICMP host unreachable), never an ARP request. */

/* Stations .2-.60 exist: SMB open on even ones, refused on odd ones. */
static enum service office_lan_service(uint32_t ip, uint16_t port)
{
    unsigned host = ip & 0xff;
    if (host == 1)
        return SERVICE_CLOSED;
    if (host < 2 || host > 60)
        return SERVICE_ABSENT;
    if (port != PORT_SMB && port != PORT_NBSS && port != PORT_NBNS)
        return SERVICE_CLOSED;
    return host % 2 == 0 ? SERVICE_OPEN : SERVICE_CLOSED;
}

enum server_state { SERVER_UP, SERVER_SILENT, SERVER_UNREACHABLE, SERVER_REFUSING };

/* How a routed server answers on `port`, as its state says. */
static struct tcp_attempt server_answer(struct trace *t, uint32_t client, uint32_t server,
                                        uint16_t port, enum server_state state)
{
    struct tcp_attempt a = {.client = client, .server = server, .port = port};
    switch (state) {
    case SERVER_UP: a.answer = ANSWER_SYN_ACK; break;
    case SERVER_SILENT: a.answer = ANSWER_NONE; break;
    case SERVER_REFUSING: a.answer = ANSWER_RST; break;
    case SERVER_UNREACHABLE:
        a.answer = ANSWER_ICMP;
        a.icmp_from = t->gateway;
        a.icmp_code = ICMP_CODE_HOST_UNREACHABLE;
        break;
    }
    return a;
}

/* A Windows client opening \\server: 445, and 139 for a server that does
 * not answer 445 (at once, both SYNs together, as XP and later do; or
 * once 445 failed). A live server is used on 445. */
static void open_share(struct trace *t, nstime at, uint32_t client, uint32_t server,
                       enum server_state state, bool parallel)
{
    struct attempt_result smb = smb_attempt(t, at, server_answer(t, client, server, PORT_SMB, state));
    if (state == SERVER_UP)
        return;
    nstime nbss_at = parallel ? at + rng_duration(t, USEC(100), MSEC(15))
                              : (smb.answered_at ? smb.answered_at : smb.finished_at) +
                                    rng_duration(t, MSEC(1), MSEC(300));
    smb_attempt(t, nbss_at, server_answer(t, client, server, PORT_NBSS, state));
}

struct server {
    uint32_t address;
    enum server_state state;
};

/* ---- lan_monitor.pcap ---- */

/* A monitoring server checking 445 on each server in address order, one a
 * second or so, every `period`. */
static void monitor_polls(struct trace *t, uint32_t monitor, const struct server *servers,
                          size_t n_servers, nstime start, nstime period, unsigned rounds)
{
    for (unsigned r = 0; r < rounds; r++)
        for (size_t s = 0; s < n_servers; s++)
            smb_attempt(t, start + r * period + s * MSEC(900) + rng_duration(t, 0, MSEC(200)),
                        server_answer(t, monitor, servers[s].address, PORT_SMB, servers[s].state));
}

static void tell_lan_monitor(struct trace *t)
{
    const uint32_t lan = IPV4(10, 1, 11, 0);
    const uint32_t nagios = lan | 5, scom = lan | 6, infected = lan | 66;
    struct server farm[20], branch[12];
    use_lan(t, lan, office_lan_service);
    t->benign_failures = true;
    set_stack(t, nagios, &LINUX);
    expect_alert(t, infected, ALERT_TCP445, CONFICKER_YES);
    /* 20 servers, 5 down: one the router reports unreachable, then (after
       six live ones) one whose SMB service stopped (RST) and three powered
       off, four failures in a row after many successes. */
    for (unsigned i = 0; i < COUNT_OF(farm); i++) {
        farm[i] = (struct server){IPV4(10, 1, 111, 10 + i), SERVER_UP};
        note_benign(t, farm[i].address);
    }
    farm[4].state = SERVER_UNREACHABLE;
    farm[11].state = SERVER_REFUSING;
    farm[12].state = farm[13].state = farm[14].state = SERVER_SILENT;
    /* A branch's 12 servers, 4 down: the 5th to the 8th in poll order, right
       after four live ones (one refuses, the others are off). */
    for (unsigned i = 0; i < COUNT_OF(branch); i++)
        branch[i] = (struct server){IPV4(10, 1, 112, 20 + 3 * i),
                                    i == 6 ? SERVER_REFUSING : i >= 4 && i <= 7 ? SERVER_SILENT : SERVER_UP};

    web_background(t, lan | 100, 10, 20, SEC(0), SEC(330));
    file_server_sessions(t, farm[0].address, lan | 100, 10, SEC(5), SEC(320));
    monitor_polls(t, nagios, farm, COUNT_OF(farm), SEC(10), SEC(60), 5);
    monitor_polls(t, scom, branch, COUNT_OF(branch), SEC(25), SEC(90), 3);
    conficker_scan(t, &(struct worm){.infected = infected, .start = SEC(150),
                                     .duration = SEC(60), .mean_gap = SEC(1)});
    web_visit(t, SEC(335), lan | 100); /* closing: every attempt settles before the end, whatever the seed */
}

/* ---- lan_logon.pcap ---- */

/* One logon: the script maps each drive in turn, a second or two apart. */
static void logon_script(struct trace *t, nstime at, uint32_t client, const struct server *drives,
                         size_t n_drives, bool parallel)
{
    for (size_t d = 0; d < n_drives; d++) {
        at += rng_duration(t, MSEC(300), SEC(2));
        open_share(t, at, client, drives[d].address, drives[d].state, parallel);
    }
}

static void tell_lan_logon(struct trace *t)
{
    const uint32_t lan = IPV4(10, 1, 12, 0);
    const uint32_t infected = lan | 77;
    /* Live file servers, three decommissioned ones (gone, or their address
       now on a box without SMB) and one the router cannot reach. */
    const struct server live[] = {{IPV4(10, 1, 121, 10), SERVER_UP},
                                  {IPV4(10, 1, 121, 11), SERVER_UP},
                                  {IPV4(10, 1, 121, 12), SERVER_UP}};
    const struct server gone[] = {{IPV4(10, 1, 121, 40), SERVER_SILENT},
                                  {IPV4(10, 1, 121, 41), SERVER_SILENT},
                                  {IPV4(10, 1, 121, 42), SERVER_REFUSING},
                                  {IPV4(10, 1, 122, 7), SERVER_UNREACHABLE}};
    use_lan(t, lan, office_lan_service);
    t->benign_failures = true;
    set_stack(t, infected, &WINDOWS_7);
    expect_alert(t, infected, ALERT_TCP445, CONFICKER_NO);
    for (size_t i = 0; i < COUNT_OF(live); i++)
        note_benign(t, live[i].address);

    web_background(t, lan | 100, 8, 20, SEC(0), SEC(330));
    /* Eight clients, each with 1-3 live drives and 1-4 dead ones in its
       script (dead ones first for some), logging on 2-4 times. */
    for (unsigned c = 0; c < 8; c++) {
        uint32_t client = lan | (100 + c);
        struct server drives[8];
        size_t n = 0;
        size_t n_live = 1 + c % 3, n_gone = 1 + (c * 5 + 1) % 4;
        if (c % 2)
            for (size_t g = 0; g < n_gone; g++)
                drives[n++] = gone[(c + g) % COUNT_OF(gone)];
        for (size_t l = 0; l < n_live; l++)
            drives[n++] = live[(c + l) % COUNT_OF(live)];
        if (c % 2 == 0)
            for (size_t g = 0; g < n_gone; g++)
                drives[n++] = gone[(c + g) % COUNT_OF(gone)];
        if (c >= 6)
            set_stack(t, client, &WINDOWS_7);
        unsigned logons = 2 + c % 3;
        for (unsigned l = 0; l < logons; l++)
            logon_script(t, SEC(5) + l * SEC(300) / logons + rng_duration(t, 0, SEC(30)), client,
                         drives, n, c % 4 != 3);
    }
    conficker_scan(t, &(struct worm){.infected = infected, .start = SEC(200), .duration = SEC(40),
                                     .mean_gap = MSEC(700),
                                     .internet_target = uniform_internet_target});
    web_visit(t, SEC(335), lan | 100); /* closing: every attempt settles before the end, whatever the seed */
}

/* ---- lan_printer.pcap ---- */

/* A device that saves each job to a share: three tries 10 s apart when
 * the share does not answer, the next job `period` later. */
static void scan_to_folder(struct trace *t, uint32_t device, const struct server *shares,
                           size_t n_shares, bool nbss, nstime start, nstime period, unsigned jobs)
{
    for (unsigned j = 0; j < jobs; j++)
        for (unsigned try = 0; try < 3; try++) {
            nstime at = start + j * period + try * SEC(10) + rng_duration(t, 0, MSEC(500));
            for (size_t s = 0; s < n_shares; s++) {
                struct tcp_attempt a = server_answer(t, device, shares[s].address,
                                                     nbss && try % 2 ? PORT_NBSS : PORT_SMB,
                                                     shares[s].state);
                smb_attempt(t, at + s * MSEC(50), a);
            }
        }
}

static void tell_lan_printer(struct trace *t)
{
    const uint32_t lan = IPV4(10, 1, 13, 0);
    const uint32_t mfp = lan | 40, copier = lan | 41, printer = lan | 42;
    const uint32_t infected = lan | 88, nbtscan = lan | 200, wins = lan | 2;
    const struct server dead_share[] = {{IPV4(10, 1, 131, 50), SERVER_SILENT}};
    const struct server moved_share[] = {{IPV4(10, 1, 131, 51), SERVER_REFUSING}};
    const struct server dfs_targets[] = {{IPV4(10, 1, 131, 52), SERVER_SILENT},
                                         {IPV4(10, 1, 132, 9), SERVER_UNREACHABLE}};
    use_lan(t, lan, office_lan_service);
    t->benign_failures = true;
    set_stack(t, mfp, &LINUX);
    set_stack(t, copier, &LINUX);
    set_stack(t, nbtscan, &LINUX);
    expect_alert(t, infected, ALERT_TCP445, CONFICKER_YES);
    expect_alert(t, nbtscan, ALERT_NETBIOS, CONFICKER_UNSPECIFIED);

    web_background(t, lan | 100, 8, 15, SEC(0), SEC(330));
    unicast_name_lookups(t, lan | 40, 3, &wins, 1, SEC(5), SEC(300), dead_share[0].address);
    scan_to_folder(t, mfp, dead_share, 1, false, SEC(10), SEC(70), 4);
    scan_to_folder(t, copier, moved_share, 1, true, SEC(20), SEC(45), 6);
    scan_to_folder(t, printer, dfs_targets, 2, true, SEC(30), SEC(100), 3);
    conficker_scan(t, &(struct worm){.infected = infected, .start = SEC(120),
                                     .duration = SEC(50), .mean_gap = MSEC(1500)});
    nbstat_sweep(t, nbtscan, lan | 1, 40, SEC(240), MSEC(120));
    web_visit(t, SEC(335), lan | 100); /* closing: every attempt settles before the end, whatever the seed */
}

/* ---- lan_laptop.pcap ---- */

/* Laptops waking on a branch or home network where none of their usual
 * servers is reachable. */
static void tell_lan_laptop(struct trace *t)
{
    const uint32_t lan = IPV4(192, 168, 7, 0);
    const uint32_t infected = lan | 66;
    /* The laptops' own office: DC, DNS/DHCP, file, print and home-folder
       servers, none reachable from here. */
    const uint32_t usual[] = {IPV4(10, 10, 0, 10), IPV4(10, 10, 1, 20), IPV4(10, 10, 1, 21),
                              IPV4(10, 10, 0, 11), IPV4(10, 10, 2, 5),  IPV4(10, 10, 1, 30)};
    use_network(t, lan, 24, office_lan_service);
    t->benign_failures = true;
    expect_alert(t, infected, ALERT_TCP445, CONFICKER_YES);

    web_background(t, lan | 100, 6, 15, SEC(0), SEC(340));
    /* Five laptops wake one after another and try 3-6 usual servers, each
       on 445 and 139 together, again a minute later and after that; one of
       them is told by the router that a server is unreachable. */
    for (unsigned l = 0; l < 5; l++) {
        uint32_t laptop = lan | (50 + l);
        static const size_t servers_of[] = {3, 4, 5, 6, 6};
        size_t n_servers = servers_of[l];
        if (l % 2)
            set_stack(t, laptop, &WINDOWS_7);
        nstime wake = SEC(10) + l * SEC(35);
        for (unsigned round = 0; round < 3; round++) {
            nstime at = wake + round * SEC(60) + rng_duration(t, 0, SEC(5));
            for (size_t s = 0; s < n_servers; s++)
                open_share(t, at + s * rng_duration(t, MSEC(5), MSEC(400)), laptop,
                           usual[(l + s) % COUNT_OF(usual)],
                           l == 3 && s == 0 ? SERVER_UNREACHABLE : SERVER_SILENT, true);
        }
    }
    conficker_scan(t, &(struct worm){.infected = infected, .start = SEC(100),
                                     .duration = SEC(60), .mean_gap = SEC(1)});
    web_visit(t, SEC(345), lan | 100); /* closing: every attempt settles before the end, whatever the seed */
}

/* ================================================================== */
/* Finalizing: time order, IPv4 IDs, probe times                       */
/* ================================================================== */

static int compare_packets(const void *a, const void *b)
{
    const struct packet *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->serial > y->serial) - (x->serial < y->serial);
}

static int compare_probes(const void *a, const void *b)
{
    const struct probe *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->first_serial > y->first_serial) - (x->first_serial < y->first_serial);
}

static const struct packet *packet_by_serial(const struct trace *t, uint32_t serial)
{
    return &t->packets[t->index_of_serial[serial]];
}

static void finalize_trace(struct trace *t)
{
    qsort(t->packets, t->n_packets, sizeof *t->packets, compare_packets);
    t->index_of_serial = malloc((t->n_packets ? t->n_packets : 1) * sizeof *t->index_of_serial);
    if (!t->index_of_serial)
        die("out of memory");
    for (size_t i = 0; i < t->n_packets; i++) {
        struct packet *p = &t->packets[i];
        p->ts -= p->ts % t->tick;
        if (i > 0 && p->ts <= p[-1].ts)
            p->ts = p[-1].ts + t->tick; /* strictly increasing timestamps */
        t->index_of_serial[p->serial] = i;
        if (p->net == NET_IPV4)
            p->ip.v4.id = host_of(t, p->ip.v4.src)->next_ip_id++;
    }
    for (size_t i = 0; i < t->n_probes; i++)
        t->probes[i].ts = packet_by_serial(t, t->probes[i].first_serial)->ts;
    qsort(t->probes, t->n_probes, sizeof *t->probes, compare_probes);
}

/* ================================================================== */
/* Rendering frames                                                    */
/* ================================================================== */

static void put_ipv4_header(struct bytes *out, const struct ipv4_info *ip, size_t payload_len)
{
    uint8_t *h = bytes_extend(out, 20);
    uint16_t fragment = (uint16_t)(ip->fragment_offset | (ip->dont_fragment ? 0x4000 : 0) |
                                   (ip->more_fragments ? 0x2000 : 0));
    h[0] = 0x45;
    store_be16(h + 2, (uint16_t)(20 + payload_len));
    store_be16(h + 4, ip->id);
    store_be16(h + 6, fragment);
    h[8] = ip->ttl;
    h[9] = ip->protocol;
    store_be32(h + 12, ip->src);
    store_be32(h + 16, ip->dst);
    store_be16(h + 10, inet_checksum(h, 20));
}

static void render_network_layer(const struct trace *t, const struct packet *p, struct bytes *out);

/* ICMP error body: header, then the offending IP header and 8 more bytes. */
static void render_icmp_error(const struct trace *t, const struct packet *p, struct bytes *out)
{
    struct bytes offending = {0};
    render_network_layer(t, packet_by_serial(t, p->offender_serial), &offending);
    size_t quote = (size_t)(offending.data[0] & 0x0f) * 4 + 8;
    if (quote > offending.len)
        quote = offending.len;
    put_ipv4_header(out, &p->ip.v4, p->body_length + quote);
    size_t start = out->len;
    put_data(out, t->arena.data + p->body_offset, p->body_length);
    put_data(out, offending.data, quote);
    store_be16(out->data + start + 2, inet_checksum(out->data + start, out->len - start));
    bytes_free(&offending);
}

static void render_network_layer(const struct trace *t, const struct packet *p, struct bytes *out)
{
    const uint8_t *body = t->arena.data + p->body_offset;
    switch (p->net) {
    case NET_IPV4:
        if (p->quotes_offender) {
            render_icmp_error(t, p, out);
        } else {
            put_ipv4_header(out, &p->ip.v4, p->body_length);
            put_data(out, body, p->body_length);
        }
        break;
    case NET_IPV6:
        put_be32(out, 0x60000000u);
        put_be16(out, (uint16_t)p->body_length);
        put_u8(out, p->ip.v6.next_header);
        put_u8(out, p->ip.v6.hop_limit);
        put_data(out, p->ip.v6.src, 16);
        put_data(out, p->ip.v6.dst, 16);
        put_data(out, body, p->body_length);
        break;
    case NET_ARP:
        put_data(out, body, p->body_length);
        break;
    }
}

/* Applies an IPv4-level defect, keeping the header checksum right so the
 * named field is the only thing wrong. */
static void damage_network_layer(const struct damage *d, struct bytes *l3)
{
    uint8_t *ip = l3->data;
    switch (d->kind) {
    case DAMAGE_IP_VERSION:
        ip[0] = (uint8_t)((d->value << 4) | (ip[0] & 0x0f));
        break;
    case DAMAGE_IP_HEADER_LENGTH:
        ip[0] = (uint8_t)((ip[0] & 0xf0) | d->value);
        break;
    case DAMAGE_IP_TOTAL_LENGTH:
        store_be16(ip + 2, (uint16_t)d->value);
        break;
    case DAMAGE_CUT_TRANSPORT:
        l3->len = 20 + d->value;
        store_be16(ip + 2, (uint16_t)l3->len);
        break;
    case DAMAGE_TCP_DATA_OFFSET:
        ip[20 + 12] = (uint8_t)((d->value << 4) | (ip[20 + 12] & 0x0f));
        seal_transport(ip + 20, l3->len - 20, PROTO_TCP,
                       pseudo_header_v4(load_be32(ip + 12), load_be32(ip + 16), PROTO_TCP, l3->len - 20));
        break;
    default:
        return;
    }
    store_be16(ip + 10, 0);
    store_be16(ip + 10, inet_checksum(ip, 20));
}

/* encap_vlan.pcap cycles through these three stacks frame by frame. */
static const struct vlan_tag SINGLE_TAG[] = {{TPID_8021Q, 10}};
static const struct vlan_tag QINQ_TAGS[] = {{TPID_8021AD, 100}, {TPID_8021Q, 10}};
static const struct vlan_tag LEGACY_QINQ_TAGS[] = {{TPID_LEGACY_QINQ, 100}, {TPID_8021Q, 10}};
static const struct vlan_tag DEEP_TAGS[] = {
    {TPID_8021Q, 1}, {TPID_8021Q, 2}, {TPID_8021Q, 3}, {TPID_8021Q, 4}, {TPID_8021Q, 5},
    {TPID_8021Q, 6}, {TPID_8021Q, 7}, {TPID_8021Q, 8}, {TPID_8021Q, 9}, {TPID_8021Q, 10}};

static size_t frame_tags(const struct trace *t, const struct packet *p, size_t frame_index,
                         const struct vlan_tag **tags)
{
    if (p->damage.kind == DAMAGE_VLAN_STACK) {
        *tags = DEEP_TAGS;
        return p->damage.value < COUNT_OF(DEEP_TAGS) ? p->damage.value : COUNT_OF(DEEP_TAGS);
    }
    if (!t->cycle_vlan_tags)
        return 0;
    switch (frame_index % 3) {
    case 0: *tags = SINGLE_TAG; return COUNT_OF(SINGLE_TAG);
    case 1: *tags = QINQ_TAGS; return COUNT_OF(QINQ_TAGS);
    default: *tags = LEGACY_QINQ_TAGS; return COUNT_OF(LEGACY_QINQ_TAGS);
    }
}

static uint16_t ethertype_of(enum network_layer net)
{
    switch (net) {
    case NET_IPV4: return ETHERTYPE_IPV4;
    case NET_IPV6: return ETHERTYPE_IPV6;
    case NET_ARP: return ETHERTYPE_ARP;
    }
    die("unknown network layer");
}

static void render_frame(const struct trace *t, size_t index, struct bytes *frame)
{
    const struct packet *p = &t->packets[index];
    struct bytes network = {0};
    render_network_layer(t, p, &network);
    damage_network_layer(&p->damage, &network);
    struct frame_head head = {.ethertype = ethertype_of(p->net), .source = p->eth_src,
                              .destination = p->eth_dst};
    head.n_tags = frame_tags(t, p, index, &head.tags);
    t->spec->link->put_header(frame, &head);
    put_data(frame, network.data, network.len);
    bytes_free(&network);
}

/* ================================================================== */
/* Link-layer headers                                                  */
/* ================================================================== */

static void put_ethernet_header(struct bytes *out, const struct frame_head *head)
{
    put_data(out, head->destination, 6);
    put_data(out, head->source, 6);
    for (size_t i = 0; i < head->n_tags; i++) {
        put_be16(out, head->tags[i].tpid);
        put_be16(out, head->tags[i].vid);
    }
    put_be16(out, head->ethertype);
}

/* Linux "cooked" packet type, as seen by a promiscuous sensor. */
static uint8_t linux_packet_type(const uint8_t destination[6])
{
    static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (memcmp(destination, broadcast, 6) == 0)
        return 1; /* PACKET_BROADCAST */
    if (destination[0] & 1)
        return 2; /* PACKET_MULTICAST */
    return 3;     /* PACKET_OTHERHOST */
}

static void put_linux_sll_header(struct bytes *out, const struct frame_head *head)
{
    put_be16(out, linux_packet_type(head->destination));
    put_be16(out, 1); /* ARPHRD_ETHER */
    put_be16(out, 6);
    put_data(out, head->source, 6);
    put_be16(out, 0); /* address padding to 8 bytes */
    put_be16(out, head->ethertype);
}

static void put_linux_sll2_header(struct bytes *out, const struct frame_head *head)
{
    put_be16(out, head->ethertype);
    put_be16(out, 0); /* reserved */
    put_be32(out, 2); /* interface index */
    put_be16(out, 1); /* ARPHRD_ETHER */
    put_u8(out, linux_packet_type(head->destination));
    put_u8(out, 6);
    put_data(out, head->source, 6);
    put_be16(out, 0);
}

static void require_ip(const struct frame_head *head, const char *link)
{
    if (head->ethertype != ETHERTYPE_IPV4 && head->ethertype != ETHERTYPE_IPV6)
        die("%s frames can only carry IP (ethertype 0x%04x)", link, head->ethertype);
}

static void put_raw_header(struct bytes *out, const struct frame_head *head)
{
    (void)out;
    require_ip(head, "raw IP");
}

/* BSD loopback: address family in host (here little-endian) byte order. */
static void put_null_header(struct bytes *out, const struct frame_head *head)
{
    enum { BSD_AF_INET = 2, DARWIN_AF_INET6 = 30 };
    require_ip(head, "loopback");
    put_le32(out, head->ethertype == ETHERTYPE_IPV4 ? BSD_AF_INET : DARWIN_AF_INET6);
}

static const struct link_layer LINK_ETHERNET = {1, put_ethernet_header};
static const struct link_layer LINK_NULL = {0, put_null_header};
static const struct link_layer LINK_RAW = {101, put_raw_header};
static const struct link_layer LINK_LINUX_SLL = {113, put_linux_sll_header};
static const struct link_layer LINK_LINUX_SLL2 = {276, put_linux_sll2_header};

/* ================================================================== */
/* Capture files: pcap and pcapng                                      */
/* ================================================================== */

#define CAPTURE_SNAPLEN 262144u

static void put_pcap_header(struct bytes *out, uint32_t magic, uint32_t linktype)
{
    put_le32(out, magic);
    put_le16(out, 2);
    put_le16(out, 4);
    put_le32(out, 0); /* thiszone */
    put_le32(out, 0); /* sigfigs */
    put_le32(out, CAPTURE_SNAPLEN);
    put_le32(out, linktype);
}

static void put_pcapng_option(struct bytes *b, uint16_t code, const void *value, uint16_t len)
{
    put_le16(b, code);
    put_le16(b, len);
    put_data(b, value, len);
    bytes_extend(b, (4 - len % 4) % 4);
}

static void put_pcapng_block(struct bytes *out, uint32_t type, const struct bytes *body)
{
    size_t padded = (body->len + 3) & ~(size_t)3;
    uint32_t total = (uint32_t)(12 + padded);
    put_le32(out, type);
    put_le32(out, total);
    put_data(out, body->data, body->len);
    bytes_extend(out, padded - body->len);
    put_le32(out, total);
}

/* Section header and one interface with nanosecond timestamps. */
static void put_pcapng_preamble(struct bytes *out, uint32_t linktype)
{
    enum { SHB = 0x0A0D0D0A, IDB = 1, SHB_USERAPPL = 4, IF_TSRESOL = 9 };
    static const uint8_t nanoseconds = 9;
    struct bytes body = {0};
    put_le32(&body, 0x1A2B3C4D);
    put_le16(&body, 1);
    put_le16(&body, 0);
    put_le64(&body, UINT64_MAX); /* section length unknown */
    put_pcapng_option(&body, SHB_USERAPPL, "wwgen", 5);
    put_pcapng_option(&body, 0, NULL, 0);
    put_pcapng_block(out, SHB, &body);
    body.len = 0;
    put_le16(&body, (uint16_t)linktype);
    put_le16(&body, 0);
    put_le32(&body, CAPTURE_SNAPLEN);
    put_pcapng_option(&body, IF_TSRESOL, &nanoseconds, 1);
    put_pcapng_option(&body, 0, NULL, 0);
    put_pcapng_block(out, IDB, &body);
    bytes_free(&body);
}

static void put_capture_header(struct bytes *out, enum capture_format format, uint32_t linktype)
{
    switch (format) {
    case FORMAT_PCAP_USEC: put_pcap_header(out, 0xa1b2c3d4u, linktype); break;
    case FORMAT_PCAP_NSEC: put_pcap_header(out, 0xa1b23c4du, linktype); break;
    case FORMAT_PCAPNG_NSEC: put_pcapng_preamble(out, linktype); break;
    }
}

static void put_capture_record(struct bytes *out, enum capture_format format, nstime ts,
                               const uint8_t *frame, uint32_t captured, uint32_t on_wire)
{
    enum { EPB = 6 };
    uint64_t absolute = CAPTURE_EPOCH_SECONDS * 1000000000ULL + ts;
    uint32_t seconds = (uint32_t)(absolute / 1000000000ULL);
    uint32_t fraction = (uint32_t)(absolute % 1000000000ULL);
    struct bytes body = {0};
    switch (format) {
    case FORMAT_PCAP_USEC:
    case FORMAT_PCAP_NSEC:
        put_le32(out, seconds);
        put_le32(out, format == FORMAT_PCAP_USEC ? fraction / 1000 : fraction);
        put_le32(out, captured);
        put_le32(out, on_wire);
        put_data(out, frame, captured);
        break;
    case FORMAT_PCAPNG_NSEC:
        put_le32(&body, 0); /* interface */
        put_le32(&body, (uint32_t)(absolute >> 32));
        put_le32(&body, (uint32_t)absolute);
        put_le32(&body, captured);
        put_le32(&body, on_wire);
        put_data(&body, frame, captured);
        put_pcapng_block(out, EPB, &body);
        break;
    }
    bytes_free(&body);
}

struct record_size {
    uint32_t captured, on_wire;
};

static struct record_size record_size(const struct damage *d, size_t frame_len)
{
    uint32_t len = (uint32_t)frame_len;
    switch (d->kind) {
    case DAMAGE_CUT_FRAME: return (struct record_size){d->value, d->value};
    case DAMAGE_SNAPLEN: return (struct record_size){d->value, len};
    case DAMAGE_EMPTY_RECORD: return (struct record_size){0, 0};
    default: return (struct record_size){len, len};
    }
}

static struct bytes render_capture(const struct trace *t)
{
    struct bytes out = {0}, frame = {0};
    put_capture_header(&out, t->spec->format, t->spec->link->linktype);
    for (size_t i = 0; i < t->n_packets; i++) {
        frame.len = 0;
        render_frame(t, i, &frame);
        struct record_size size = record_size(&t->packets[i].damage, frame.len);
        put_capture_record(&out, t->spec->format, t->packets[i].ts, frame.data, size.captured,
                           size.on_wire);
    }
    bytes_free(&frame);
    return out;
}

/* ================================================================== */
/* Checking the story against the detector rules                        */
/* ================================================================== */

static bool is_failure(enum outcome o) { return o == OUTCOME_REJECTED || o == OUTCOME_UNANSWERED; }

#define MAX_PROBES_PER_PORT 4096

/* The probes of one source on one port, in time order. */
struct probe_list {
    const struct probe *items[MAX_PROBES_PER_PORT];
    size_t count;
};

static void select_probes(const struct trace *t, uint32_t src, uint16_t port, struct probe_list *out)
{
    out->count = 0;
    for (size_t i = 0; i < t->n_probes; i++)
        if (t->probes[i].src == src && t->probes[i].port == port) {
            if (out->count == COUNT_OF(out->items))
                die("too many probes from one source");
            out->items[out->count++] = &t->probes[i];
        }
}

enum probe_filter { ANY_PROBE, FAILED_PROBES, ACCEPTED_PROBES };

static bool passes(const struct probe *p, enum probe_filter filter)
{
    switch (filter) {
    case ANY_PROBE: return true;
    case FAILED_PROBES: return is_failure(p->outcome);
    case ACCEPTED_PROBES: return p->outcome == OUTCOME_ACCEPTED;
    }
    return false;
}

/* Distinct targets among items[first..last] that pass the filter. */
static size_t distinct_targets(const struct probe_list *list, size_t first, size_t last,
                               enum probe_filter filter)
{
    uint32_t targets[MAX_PROBES_PER_PORT] = {0};
    size_t n = 0, distinct = 0;
    for (size_t i = first; i <= last && i < list->count; i++)
        if (passes(list->items[i], filter))
            targets[n++] = list->items[i]->dst;
    qsort(targets, n, sizeof *targets, compare_u32);
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || targets[i] != targets[i - 1];
    return distinct;
}

/* Largest number of distinct targets passing the filter within any window;
 * for the TCP rule also requires failed/(failed+accepted) >= 0.2. */
static size_t peak_in_window(const struct probe_list *list, nstime window, enum probe_filter filter,
                             bool tcp_ratio)
{
    size_t best = 0, first = 0;
    for (size_t last = 0; last < list->count; last++) {
        while (list->items[last]->ts - list->items[first]->ts > window)
            first++;
        size_t count = distinct_targets(list, first, last, filter);
        if (tcp_ratio) {
            size_t accepted = distinct_targets(list, first, last, ACCEPTED_PROBES);
            if (count * 5 < count + accepted)
                continue;
        }
        if (count > best)
            best = count;
    }
    return best;
}

static bool rule_fires(const struct trace *t, uint32_t src, enum alert_kind kind)
{
    struct probe_list list;
    switch (kind) {
    case ALERT_TCP445:
    case ALERT_TCP139:
        select_probes(t, src, kind == ALERT_TCP445 ? PORT_SMB : PORT_NBSS, &list);
        return peak_in_window(&list, TCP_RULE_WINDOW, FAILED_PROBES, true) >= TCP_RULE_MIN_FAILED;
    case ALERT_NETBIOS:
        select_probes(t, src, PORT_NBNS, &list);
        return peak_in_window(&list, NETBIOS_RULE_WINDOW, ANY_PROBE, false) >= NETBIOS_RULE_MIN_TARGETS;
    case ALERT_KINDS:
        break;
    }
    die("unknown alert kind");
}

/* Every unanswered attempt must be followed by UNANSWERED_AFTER of capture,
 * so its outcome is settled before the file ends. */
static void verify_outcomes_settle(const struct trace *t)
{
    nstime end = t->n_packets ? t->packets[t->n_packets - 1].ts : 0;
    for (size_t i = 0; i < t->n_probes; i++)
        if (t->probes[i].outcome == OUTCOME_UNANSWERED && t->probes[i].last_sent + UNANSWERED_AFTER > end)
            die("%s: the capture ends before %s's attempt on %s is settled", t->spec->name,
                ipv4_text(t->probes[i].src).s, ipv4_text(t->probes[i].dst).s);
}

/* Dies unless the source trips exactly the rules expected of it. */
static void verify_count_rules(const struct trace *t, uint32_t src, const struct expectation *e)
{
    for (int kind = 0; kind < ALERT_KINDS; kind++) {
        bool expected = e && e->kinds[kind];
        if (rule_fires(t, src, (enum alert_kind)kind) != expected)
            die("%s: %s would %s %s", t->spec->name, ipv4_text(src).s,
                expected ? "not trip" : "trip", ALERT_NAMES[kind]);
    }
}

/* The sequential test decides after a few failed first contacts, so an
 * expected source needs SEQUENTIAL_MIN_FAILED failed targets on 445 and a
 * benign one may fail on at most SEQUENTIAL_BENIGN_MAX_FAILED. */
static void verify_sequential_test(const struct trace *t, uint32_t src, const struct expectation *e)
{
    struct probe_list list;
    select_probes(t, src, PORT_SMB, &list);
    size_t failed = distinct_targets(&list, 0, list.count, FAILED_PROBES);
    if (e ? failed < SEQUENTIAL_MIN_FAILED : failed > SEQUENTIAL_BENIGN_MAX_FAILED)
        die("%s: %s has %zu failed targets on 445, too %s for the sequential test", t->spec->name,
            ipv4_text(src).s, failed, e ? "few" : "many");
}

/* For the stories of benign failures: an expected source has what the
 * sequential test needs (or, for NetBIOS, what the count rule needs);
 * the benign ones fail as much as their story says, which is the point. */
static void verify_scanner_only(const struct trace *t, uint32_t src, const struct expectation *e)
{
    if (!e)
        return;
    if (e->kinds[ALERT_TCP445])
        verify_sequential_test(t, src, e);
    if (e->kinds[ALERT_NETBIOS] && !rule_fires(t, src, ALERT_NETBIOS))
        die("%s: %s would not trip netbios", t->spec->name, ipv4_text(src).s);
}

/* Dies unless the sources expected to be flagged are exactly those that
 * would be: by the count rules, or for stories written for the sequential
 * test by its needs. */
static void verify_story(const struct trace *t)
{
    verify_outcomes_settle(t);
    for (size_t i = 0; i < t->actors.count; i++) {
        uint32_t src = t->actors.items[i];
        const struct expectation *e = expectation_for(t, src);
        if (t->benign_failures)
            verify_scanner_only(t, src, e);
        else if (t->sequential_expectations)
            verify_sequential_test(t, src, e);
        else
            verify_count_rules(t, src, e);
    }
    for (size_t i = 0; i < t->n_expected; i++)
        if (!set_contains(&t->actors, t->expected[i].source))
            die("%s: expected source %s never probes", t->spec->name,
                ipv4_text(t->expected[i].source).s);
}

/* ================================================================== */
/* Ground truth JSON and the stdout summary                            */
/* ================================================================== */

static void put_timestamp(struct bytes *b, const struct trace *t, nstime ts)
{
    uint64_t absolute = CAPTURE_EPOCH_SECONDS * 1000000000ULL + ts;
    uint64_t seconds = absolute / 1000000000ULL, fraction = absolute % 1000000000ULL;
    if (t->tick == USEC(1))
        put_format(b, "%" PRIu64 ".%06" PRIu64, seconds, fraction / 1000);
    else
        put_format(b, "%" PRIu64 ".%09" PRIu64, seconds, fraction);
}

static void put_expectations(struct bytes *b, const struct trace *t)
{
    static const char *const conficker[] = {"null", "false", "true"};
    put_text(b, "  \"expect\": {");
    for (size_t i = 0; i < t->n_expected; i++) {
        const struct expectation *e = &t->expected[i];
        size_t n_kinds = 0;
        for (int k = 0; k < ALERT_KINDS; k++)
            n_kinds += e->kinds[k];
        put_format(b, "%s\n    \"%s\": {\"kind\": %s", i ? "," : "", ipv4_text(e->source).s,
                   n_kinds > 1 ? "[" : "");
        for (int k = 0, written = 0; k < ALERT_KINDS; k++)
            if (e->kinds[k])
                put_format(b, "%s\"%s\"", written++ ? ", " : "", ALERT_NAMES[k]);
        put_format(b, "%s, \"conficker\": %s}", n_kinds > 1 ? "]" : "", conficker[e->conficker]);
    }
    put_text(b, "\n  },\n");
}

/* Every source of watched activity plus notable servers, minus the expected. */
static void put_benign(struct bytes *b, const struct trace *t)
{
    struct address_set benign = {0};
    for (size_t i = 0; i < t->actors.count; i++)
        set_add(&benign, t->actors.items[i]);
    for (size_t i = 0; i < t->also_benign.count; i++)
        set_add(&benign, t->also_benign.items[i]);
    qsort(benign.items, benign.count, sizeof *benign.items, compare_u32);
    put_text(b, "  \"benign\": [");
    size_t written = 0;
    for (size_t i = 0; i < benign.count; i++)
        if (!expectation_for(t, benign.items[i]))
            put_format(b, "%s\"%s\"", written++ ? ", " : "", ipv4_text(benign.items[i]).s);
    put_text(b, "],\n");
    set_free(&benign);
}

static void put_probes(struct bytes *b, const struct trace *t)
{
    put_text(b, "  \"probes\": {");
    for (size_t i = 0; i < t->n_probes; i++) {
        const struct probe *p = &t->probes[i];
        bool new_source = i == 0 || p[-1].src != p->src;
        if (new_source)
            put_format(b, "%s\n    \"%s\": [", i ? "\n    ]," : "", ipv4_text(p->src).s);
        put_format(b, "%s\n      [", new_source ? "" : ",");
        put_timestamp(b, t, p->ts);
        put_format(b, ", \"%s\", %u, \"%s\"]", ipv4_text(p->dst).s, (unsigned)p->port,
                   OUTCOME_NAMES[p->outcome]);
    }
    put_text(b, t->n_probes ? "\n    ]\n  },\n" : "},\n");
}

/* `packets`: the frames of the file (more than the trace's when frames were streamed past it). */
static void put_truth_json(struct bytes *b, const struct trace *t, uint64_t packets)
{
    put_text(b, "{\n");
    put_expectations(b, t);
    put_benign(b, t);
    put_probes(b, t);
    put_format(b, "  \"packets\": %" PRIu64 "\n}\n", packets);
}

static void print_summary(const struct trace *t, size_t file_size)
{
    static const uint16_t ports[] = {PORT_SMB, PORT_NBSS, PORT_NBNS};
    struct probe_list list;
    printf("%s: %zu packets, %zu bytes\n", t->spec->name, t->n_packets, file_size);
    for (size_t i = 0; i < t->n_probes; i++) {
        uint32_t src = t->probes[i].src;
        if (i > 0 && t->probes[i - 1].src == src)
            continue;
        size_t attempts = 0;
        for (size_t j = i; j < t->n_probes && t->probes[j].src == src; j++)
            attempts++;
        printf("  %-15s %4zu attempts", ipv4_text(src).s, attempts);
        for (size_t p = 0; p < COUNT_OF(ports); p++) {
            select_probes(t, src, ports[p], &list);
            if (list.count)
                printf("; %u: %zu targets, %zu failed", (unsigned)ports[p],
                       distinct_targets(&list, 0, list.count, ANY_PROBE),
                       distinct_targets(&list, 0, list.count, FAILED_PROBES));
        }
        const struct expectation *e = expectation_for(t, src);
        printf("%s\n", e ? "  <- flagged" : "");
    }
}

/* ================================================================== */
/* Outputs                                                             */
/* ================================================================== */

static void write_output(const char *outdir, const char *name, const void *data, size_t len)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", outdir, name) >= sizeof path)
        die("path too long: %s/%s", outdir, name);
    FILE *file = fopen(path, "wb");
    if (!file)
        die("cannot create %s", path);
    if (fwrite(data, 1, len, file) != len || fclose(file) != 0)
        die("cannot write %s", path);
}

static const struct capture_spec CAPTURES[] = {
    {"conficker_lan.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0xC0F1C4E2009A01ULL, tell_conficker_lan},
    {"vulnscan.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x5CA22E2009A02ULL, tell_vulnscan},
    {"nbstat_sweep.pcapng", FORMAT_PCAPNG_NSEC, &LINK_ETHERNET, 0xB5747A2009A03ULL, tell_nbstat_sweep},
    {"encap_vlan.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x7A66ED2009A54ULL, tell_encap_vlan},
    {"sll.pcap", FORMAT_PCAP_USEC, &LINK_LINUX_SLL, 0x511002009A05ULL, tell_sll},
    {"sll2.pcap", FORMAT_PCAP_USEC, &LINK_LINUX_SLL2, 0x511202009A06ULL, tell_sll2},
    {"rawip.pcap", FORMAT_PCAP_NSEC, &LINK_RAW, 0x4A371F2009A07ULL, tell_rawip},
    {"null_loop.pcap", FORMAT_PCAP_USEC, &LINK_NULL, 0x4D1100F2009A08ULL, tell_null_loop},
    {"malformed.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0xBADF002009A09ULL, tell_malformed},
    {"split_scan.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x5B1172009A0AULL, tell_split_scan},
    {"internet_24.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x1E7282009A0BULL, tell_internet_24},
    {"lan_monitor.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x404170E2009A0CULL, tell_lan_monitor},
    {"lan_logon.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x1060A2009A0DULL, tell_lan_logon},
    {"lan_printer.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x9817E2009A0EULL, tell_lan_printer},
    {"lan_laptop.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET, 0x1A9709A2009A0FULL, tell_lan_laptop},
};

/* Tells a capture's story and renders it; the caller owns both results. */
static struct bytes build_capture(const struct capture_spec *spec, struct trace *t)
{
    *t = trace_new(spec);
    spec->tell_story(t);
    finalize_trace(t);
    verify_story(t);
    return render_capture(t);
}

static void write_capture_and_truth(const char *outdir, const struct capture_spec *spec)
{
    struct trace t;
    struct bytes capture = build_capture(spec, &t), truth = {0}, truth_name = {0};
    put_truth_json(&truth, &t, t.n_packets);
    put_format(&truth_name, "%s.truth.json", spec->name);
    put_u8(&truth_name, 0);
    write_output(outdir, spec->name, capture.data, capture.len);
    write_output(outdir, (const char *)truth_name.data, truth.data, truth.len);
    print_summary(&t, capture.len);
    bytes_free(&capture);
    bytes_free(&truth);
    bytes_free(&truth_name);
    trace_free(&t);
}

/* Offset inside the packet data of the record that straddles the middle. */
static size_t middle_of_a_record(const struct bytes *pcap)
{
    enum { FILE_HEADER = 24, RECORD_HEADER = 16 };
    size_t half = pcap->len / 2;
    for (size_t offset = FILE_HEADER; offset + RECORD_HEADER <= pcap->len;) {
        size_t data = offset + RECORD_HEADER, caplen = load_le32(pcap->data + offset + 8);
        if (data + caplen > half && caplen >= 2)
            return data + caplen / 2;
        offset = data + caplen;
    }
    die("no record to cut");
}

/* conficker_lan.pcap ending half-way through a record's packet data. */
static void write_truncated(const char *outdir, const char *name)
{
    struct trace t;
    struct bytes capture = build_capture(&CAPTURES[0], &t);
    size_t cut = middle_of_a_record(&capture);
    write_output(outdir, name, capture.data, cut);
    printf("%s: first %zu of %zu bytes of %s, cut inside a record\n", name, cut, capture.len,
           CAPTURES[0].name);
    bytes_free(&capture);
    trace_free(&t);
}

static const struct capture_spec *capture_named(const char *name)
{
    for (size_t i = 0; i < COUNT_OF(CAPTURES); i++)
        if (strcmp(CAPTURES[i].name, name) == 0)
            return &CAPTURES[i];
    die("no capture named %s", name);
}

/* Offset of the record header that starts the second half of the records. */
static size_t middle_record_boundary(const struct bytes *pcap)
{
    enum { FILE_HEADER = 24, RECORD_HEADER = 16 };
    size_t records = 0, offset;
    for (offset = FILE_HEADER; offset + RECORD_HEADER <= pcap->len; records++)
        offset += RECORD_HEADER + load_le32(pcap->data + offset + 8);
    offset = FILE_HEADER;
    for (size_t r = 0; r < records / 2; r++)
        offset += RECORD_HEADER + load_le32(pcap->data + offset + 8);
    return offset;
}

/* split_scan.pcap cut at its middle record into two valid captures. */
static void write_split_halves(const char *outdir, const char *name)
{
    enum { FILE_HEADER = 24 };
    struct trace t;
    struct bytes capture = build_capture(capture_named("split_scan.pcap"), &t), second = {0};
    size_t cut = middle_record_boundary(&capture);
    bool first_half = strcmp(name, "split_scan_1.pcap") == 0;
    if (first_half) {
        write_output(outdir, name, capture.data, cut);
    } else {
        put_data(&second, capture.data, FILE_HEADER);
        put_data(&second, capture.data + cut, capture.len - cut);
        write_output(outdir, name, second.data, second.len);
    }
    printf("%s: %s half of split_scan.pcap (cut at byte %zu)\n", name,
           first_half ? "first" : "second", cut);
    bytes_free(&capture);
    bytes_free(&second);
    trace_free(&t);
}

/* ---- captures that lie about themselves (derived from sll.pcap) ---- */

enum { PCAP_FILE_HEADER = 24, PCAP_RECORD_HEADER = 16, PCAP_LINKTYPE_OFFSET = 20 };

/* Offset of record `n` (0-based) in a classic pcap; the file's end if fewer. */
static size_t pcap_record_offset(const struct bytes *pcap, size_t n)
{
    size_t offset = PCAP_FILE_HEADER;
    for (size_t r = 0; r < n && offset + PCAP_RECORD_HEADER <= pcap->len; r++)
        offset += PCAP_RECORD_HEADER + load_le32(pcap->data + offset + 8);
    return offset;
}

static struct bytes sll_capture(void)
{
    struct trace t;
    struct bytes capture = build_capture(capture_named("sll.pcap"), &t);
    trace_free(&t);
    return capture;
}

/* What each lying file is made of; see pcaps/README.md. */
static void write_lie(const char *outdir, const char *name)
{
    struct bytes sll = sll_capture(), out = {0};
    size_t three = pcap_record_offset(&sll, 3);
    if (strcmp(name, "lie_header_only.pcap") == 0) {
        put_data(&out, sll.data, PCAP_FILE_HEADER);
    } else if (strcmp(name, "lie_cut_record_header.pcap") == 0) {
        put_data(&out, sll.data, three + 9); /* 3 records, then 9 of 16 header bytes */
    } else if (strcmp(name, "lie_huge_caplen.pcap") == 0) {
        put_data(&out, sll.data, three);
        put_le32(&out, (uint32_t)CAPTURE_EPOCH_SECONDS + 4);
        put_le32(&out, 0);
        put_le32(&out, 0x7fffffffu); /* caplen near 2^31 */
        put_le32(&out, 0x7fffffffu);
        bytes_extend(&out, 64);
    } else if (strcmp(name, "lie_unknown_linktype.pcap") == 0) {
        put_data(&out, sll.data, PCAP_LINKTYPE_OFFSET);
        put_le32(&out, 147); /* LINKTYPE_USER0: no decoder for it */
        put_data(&out, sll.data + PCAP_FILE_HEADER, sll.len - PCAP_FILE_HEADER);
    } else {
        die("no lie named %s", name);
    }
    write_output(outdir, name, out.data, out.len);
    printf("%s: %zu bytes derived from sll.pcap\n", name, out.len);
    bytes_free(&sll);
    bytes_free(&out);
}

/*
 * pcapng whose second interface has another link type: the first 3 frames
 * of split_scan.pcap on an Ethernet interface, then a second interface
 * (raw IP) and the same frames without their Ethernet header on it.
 */
static void write_two_linktypes(const char *outdir, const char *name)
{
    enum { IDB = 1, EPB = 6, ETHERNET = 1, RAW = 101, ETHER_HEADER = 14 };
    struct trace t;
    struct bytes pcap = build_capture(capture_named("split_scan.pcap"), &t), out = {0}, body = {0};
    trace_free(&t);
    put_pcapng_preamble(&out, ETHERNET);
    for (uint32_t iface = 0; iface < 2; iface++) {
        if (iface == 1) {
            body.len = 0;
            put_le16(&body, RAW);
            put_le16(&body, 0);
            put_le32(&body, CAPTURE_SNAPLEN);
            put_pcapng_block(&out, IDB, &body);
        }
        for (size_t r = 0; r < 3; r++) {
            size_t at = pcap_record_offset(&pcap, r);
            const uint8_t *rec = pcap.data + at;
            uint32_t caplen = load_le32(rec + 8), skip = iface ? ETHER_HEADER : 0;
            uint64_t ns = (uint64_t)load_le32(rec) * 1000000000ULL + load_le32(rec + 4) * 1000ULL;
            body.len = 0;
            put_le32(&body, iface);
            put_le32(&body, (uint32_t)(ns >> 32));
            put_le32(&body, (uint32_t)ns);
            put_le32(&body, caplen - skip);
            put_le32(&body, caplen - skip);
            put_data(&body, rec + PCAP_RECORD_HEADER + skip, caplen - skip);
            put_pcapng_block(&out, EPB, &body);
        }
    }
    write_output(outdir, name, out.data, out.len);
    printf("%s: %zu bytes, interfaces Ethernet and raw IP\n", name, out.len);
    bytes_free(&pcap);
    bytes_free(&out);
    bytes_free(&body);
}

static void write_garbage(const char *outdir, const char *name)
{
    static const char sentence[] = "This is not a packet capture; wormwatch must refuse it. ";
    char text[200];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = sentence[i % (sizeof sentence - 1)];
    write_output(outdir, name, text, sizeof text);
    printf("%s: %zu bytes of text\n", name, sizeof text);
}

struct derived_output {
    const char *name;
    void (*write)(const char *outdir, const char *name);
};

static const struct derived_output DERIVED[] = {
    {"truncated.pcap", write_truncated},
    {"garbage.pcap", write_garbage},
    {"split_scan_1.pcap", write_split_halves},
    {"split_scan_2.pcap", write_split_halves},
    {"lie_header_only.pcap", write_lie},
    {"lie_cut_record_header.pcap", write_lie},
    {"lie_huge_caplen.pcap", write_lie},
    {"lie_unknown_linktype.pcap", write_lie},
    {"lie_two_linktypes.pcapng", write_two_linktypes},
};

/* ================================================================== */
/* The benchmark capture: wwgen --bench OUTFILE PACKETS                */
/* ================================================================== */

/*
 * An office /16 (10.20.0.0/16, one flat LAN; the router 10.20.0.1 is also
 * its resolver) seen on a SPAN port, as a classic pcap (µs, Ethernet) of
 * exactly PACKETS frames.  Each second: 40 web visits by random clients
 * among 3200 (a DNS lookup, then a GET with a 250-549 byte cookie, so
 * ~600-byte requests, for a page of 300-1199 bytes or, one time in three,
 * a download of 8 KB-1 MB in full-size segments), 10 more DNS lookups, 4 SMB
 * sessions with one of 4 file servers (negotiate, then reads or writes of
 * 4 KB-1 MB), 2 clients starting their NBNS broadcast chatter, and 10 ARP
 * refreshes by the router.  Spread through it (BENCH_EPISODES, at fixed
 * fractions of the story's nominal length PACKETS / BENCH_PACKETS_PER_SECOND)
 * are three Conficker-like hosts, a uniform worm, masscan bursts and an
 * NBSTAT sweep, and two busy but benign sources.
 *
 * It streams: memory does not grow with PACKETS.  The story is told one
 * BENCH_SLICE at a time, and every conversation (or whole scan) is told in
 * the slice where it starts; its later packets (a download's last segments,
 * SYN retransmissions, a scan's remaining probes) may lie in later slices,
 * but none comes before its start.  So once slice [T, T + 1 s) is told,
 * every packet before T + 1 s is known: those are sorted and finalized as
 * finalize_trace() does (strictly increasing times, IPv4 IDs in time order),
 * rendered, appended to the file and dropped.  The others, and any packet an
 * ICMP error among them quotes, are kept, renumbered, for the next slice.
 * Memory is what is in flight across a slice boundary.
 */

#define BENCH_NETWORK IPV4(10, 20, 0, 0)
#define BENCH_SLICE SEC(1)
/* The background's mean rate, measured (wwgen prints the real one); it sets
 * the story's nominal length, over which the scanners are spread. */
#define BENCH_PACKETS_PER_SECOND 3900u
#define BENCH_MAX_PACKETS 1000000000ULL
#define BENCH_SEED 0xBE4C42009A0CULL

enum { BENCH_CLIENT_SUBNETS = 16, BENCH_CLIENTS_PER_SUBNET = 200,
       BENCH_CLIENTS = BENCH_CLIENT_SUBNETS * BENCH_CLIENTS_PER_SUBNET,
       BENCH_FILE_SERVERS = 4, BENCH_SITES = 64 };
/* Per slice (second) of background. */
enum { BENCH_WEB_VISITS = 70, BENCH_DNS_LOOKUPS = 20, BENCH_SMB_SESSIONS = 6,
       BENCH_CHATTERERS = 2, BENCH_ARP_REFRESHES = 10 };

#define BENCH_FILE_SERVER(i) (BENCH_NETWORK | (10u + (uint32_t)(i))) /* .0.10-.0.13 */
#define BENCH_MANAGER (BENCH_NETWORK | 20u)
#define BENCH_DEAD_SERVER (BENCH_NETWORK | 30u)

/* Client i: 10.20.1.10-209, 10.20.2.10-209, ... 10.20.16.10-209. */
static uint32_t bench_client(unsigned i)
{
    return BENCH_NETWORK | (1u + i / BENCH_CLIENTS_PER_SUBNET) << 8 |
           (10u + i % BENCH_CLIENTS_PER_SUBNET);
}

static bool bench_is_client(uint32_t ip)
{
    unsigned subnet = (ip >> 8) & 0xff, host = ip & 0xff;
    return (ip & 0xffff0000u) == BENCH_NETWORK && subnet >= 1 && subnet <= BENCH_CLIENT_SUBNETS &&
           host >= 10 && host < 10 + BENCH_CLIENTS_PER_SUBNET;
}

/* Servers answer; of the clients, a fifth share files, 30% refuse SMB and
 * the rest drop it (host firewall); 60% answer NBNS.  Nothing else exists. */
static enum service bench_service(uint32_t ip, uint16_t port)
{
    if (ip == (BENCH_NETWORK | 1u))
        return SERVICE_CLOSED;
    if ((ip >= BENCH_FILE_SERVER(0) && ip < BENCH_FILE_SERVER(BENCH_FILE_SERVERS)) || ip == BENCH_MANAGER)
        return SERVICE_OPEN;
    if (ip == BENCH_DEAD_SERVER)
        return SERVICE_FILTERED;
    if (!bench_is_client(ip))
        return SERVICE_ABSENT;
    unsigned roll = (unsigned)(mix64(ip) % 10);
    if (port == PORT_NBNS)
        return roll < 6 ? SERVICE_OPEN : SERVICE_FILTERED;
    return roll < 2 ? SERVICE_OPEN : roll < 5 ? SERVICE_CLOSED : SERVICE_FILTERED;
}

static uint32_t bench_random_client(struct trace *t)
{
    return bench_client((unsigned)rng_below(&t->rng, BENCH_CLIENTS));
}

/* Uniform in [2^e, 2^(e+1)) for e uniform in [low_bits, high_bits): spread
 * evenly over the orders of magnitude, with integers only. */
static size_t size_log_uniform(struct trace *t, unsigned low_bits, unsigned high_bits)
{
    unsigned e = low_bits + (unsigned)rng_below(&t->rng, high_bits - low_bits);
    size_t base = (size_t)1 << e;
    return base + (size_t)rng_below(&t->rng, base);
}

/* The five test websites, then cdnNN.example.com in 198.18.0.0/15. */
struct bench_sites {
    struct website site[BENCH_SITES];
    char names[BENCH_SITES][24];
};

static void bench_sites_init(struct trace *t, struct bench_sites *s)
{
    for (unsigned i = 0; i < BENCH_SITES; i++) {
        if (i < COUNT_OF(WEBSITES)) {
            s->site[i] = WEBSITES[i];
        } else {
            snprintf(s->names[i], sizeof s->names[i], "cdn%02u.example.com", i);
            s->site[i] = (struct website){s->names[i], IPV4(198, 18, i / 200, 1 + i % 200)};
        }
        set_stack(t, s->site[i].address, &LINUX);
    }
}

static void bench_web_visit(struct trace *t, nstime at, uint32_t client, const struct bench_sites *sites)
{
    const struct website *site = &sites->site[rng_below(&t->rng, BENCH_SITES)];
    bool download = rng_percent(&t->rng, 25);
    size_t cookie = (size_t)(250 + rng_below(&t->rng, 300));
    size_t body = download ? size_log_uniform(t, 13, 19) : (size_t)(300 + rng_below(&t->rng, 900));
    struct exchange http = {0};
    build_http_transfer(&http, site->host, download ? "/files/update.cab" : "/", cookie, body);
    nstime ready = dns_lookup(t, at, client, site);
    run_http(t, ready, client, site->address, &http);
    exchange_free(&http);
}

static void bench_smb_session(struct trace *t, nstime at, uint32_t client)
{
    uint32_t server = BENCH_FILE_SERVER(rng_below(&t->rng, BENCH_FILE_SERVERS));
    bool write = rng_percent(&t->rng, 30);
    size_t size = size_log_uniform(t, 12, 19);
    struct exchange transfer = {0};
    build_smb_transfer(&transfer, write, size);
    run_tcp_attempt(t, at, &(struct tcp_attempt){.client = client, .server = server, .port = PORT_SMB,
                                                 .answer = ANSWER_SYN_ACK, .exchange = &transfer});
    exchange_free(&transfer);
}

/* One slice of office traffic, conversations starting in [from, until]. */
static void bench_background(struct trace *t, const struct bench_sites *sites, nstime from, nstime until)
{
    for (unsigned i = 0; i < BENCH_WEB_VISITS; i++) {
        nstime at = random_moment(t, from, until);
        bench_web_visit(t, at, bench_random_client(t), sites);
    }
    for (unsigned i = 0; i < BENCH_DNS_LOOKUPS; i++) {
        nstime at = random_moment(t, from, until);
        uint32_t client = bench_random_client(t);
        dns_lookup(t, at, client, &sites->site[rng_below(&t->rng, BENCH_SITES)]);
    }
    for (unsigned i = 0; i < BENCH_SMB_SESSIONS; i++) {
        nstime at = random_moment(t, from, until);
        bench_smb_session(t, at, bench_random_client(t));
    }
    for (unsigned i = 0; i < BENCH_CHATTERERS; i++) {
        nstime at = random_moment(t, from, until);
        netbios_broadcast_chatter(t, bench_random_client(t), 1, at, at + SEC(60), false);
    }
    for (unsigned i = 0; i < BENCH_ARP_REFRESHES; i++) {
        nstime at = random_moment(t, from, until);
        arp_resolve(t, at, t->gateway, bench_random_client(t));
    }
}

enum bench_activity { BENCH_CONFICKER, BENCH_UNIFORM_WORM, BENCH_MASSCAN, BENCH_NBSTAT_SWEEP,
                      BENCH_MANAGEMENT_SWEEP, BENCH_DEAD_SERVER_RETRIES };

/* One source's episode, told whole in the slice where it starts. */
struct bench_episode {
    enum bench_activity activity;
    uint32_t actor;
    unsigned start_permille, length_permille; /* of the nominal length */
    nstime max_length, gap;
    bool scanner; /* a source wormwatch should flag */
    const char *what;
};

static const struct bench_episode BENCH_EPISODES[] = {
    {BENCH_CONFICKER, IPV4(10, 20, 4, 66), 80, 250, SEC(300), MSEC(500), true,
     "Conficker-like worm, Windows XP, a probe every 0.5 s"},
    {BENCH_DEAD_SERVER_RETRIES, IPV4(10, 20, 6, 30), 120, 600, SEC(600), 0, false,
     "client retrying a dead SMB server 10 times"},
    {BENCH_UNIFORM_WORM, IPV4(10, 20, 9, 123), 200, 200, SEC(120), MSEC(200), true,
     "uniform (WannaCry-like) worm, Windows 7, a probe every 0.2 s"},
    {BENCH_CONFICKER, IPV4(10, 20, 7, 45), 300, 300, SEC(300), SEC(1), true,
     "Conficker-like worm, Windows XP, a probe every 1 s"},
    {BENCH_MASSCAN, IPV4(10, 20, 0, 250), 450, 0, 0, SEC(3), true,
     "masscan: 4 bursts of 256 SYNs to 445, 10.20.5.0-10.20.8.255"},
    {BENCH_MANAGEMENT_SWEEP, BENCH_MANAGER, 500, 0, 0, MSEC(150), false,
     "management server's SMB sweep of 200 desktops"},
    {BENCH_CONFICKER, IPV4(10, 20, 12, 200), 550, 150, SEC(120), MSEC(250), true,
     "Conficker-like worm, Windows XP, a probe every 0.25 s"},
    {BENCH_NBSTAT_SWEEP, IPV4(10, 20, 0, 251), 700, 0, 0, MSEC(20), true,
     "nbtscan-style NBSTAT sweep of 10.20.3.1-254"},
};

static nstime bench_episode_length(const struct bench_episode *e, nstime nominal)
{
    nstime length = nominal / 1000 * e->length_permille;
    length -= length % USEC(1);
    return length < e->max_length ? length : e->max_length;
}

static void tell_bench_episode(struct trace *t, const struct bench_episode *e, nstime start, nstime length)
{
    enum { BURSTS = 4, BURST_TARGETS = 256 };
    switch (e->activity) {
    case BENCH_CONFICKER:
    case BENCH_UNIFORM_WORM: {
        bool uniform = e->activity == BENCH_UNIFORM_WORM;
        set_stack(t, e->actor, uniform ? &WINDOWS_7 : &WINDOWS_XP);
        conficker_scan(t, &(struct worm){.infected = e->actor, .start = start, .duration = length,
                                         .mean_gap = e->gap,
                                         .internet_target = uniform ? uniform_internet_target : NULL});
        break;
    }
    case BENCH_MASSCAN:
        set_stack(t, e->actor, &MASSCAN);
        for (unsigned b = 0; b < BURSTS; b++)
            syn_burst(t, e->actor, IPV4(10, 20, 5 + b, 0), BURST_TARGETS, PORT_SMB, start + b * e->gap,
                      SEC(2), ANSWER_NONE);
        break;
    case BENCH_NBSTAT_SWEEP:
        set_stack(t, e->actor, &LINUX);
        nbstat_sweep(t, e->actor, IPV4(10, 20, 3, 1), 254, start, e->gap);
        break;
    case BENCH_MANAGEMENT_SWEEP:
        management_sweep(t, e->actor, IPV4(10, 20, 2, 10), 200, start, e->gap);
        break;
    case BENCH_DEAD_SERVER_RETRIES:
        retry_dead_server(t, e->actor, BENCH_DEAD_SERVER, 10, start, length / 10);
        break;
    }
}

struct bench_writer {
    FILE *file;
    const char *path;
    struct bytes buffer, frame, spare_arena;
    uint8_t *keep;
    uint32_t *renumber;
    size_t scratch_cap;
    uint64_t limit, written, bytes;
    size_t most_held; /* packets in memory at once, at most */
    nstime last_ts;
    /* Frames written outside the trace (--spoof-flood): called with a time
     * before which they must all be written, before each trace packet. */
    void (*interleave)(struct bench_writer *w, nstime before, void *ctx);
    void *interleave_ctx;
};

static void bench_scratch(struct bench_writer *w, size_t n)
{
    if (n <= w->scratch_cap)
        return;
    size_t cap = w->scratch_cap ? w->scratch_cap : 1024;
    while (cap < n)
        cap *= 2;
    uint8_t *keep = realloc(w->keep, cap);
    uint32_t *renumber = realloc(w->renumber, cap * sizeof *renumber);
    if (!keep || !renumber)
        die("out of memory");
    w->keep = keep;
    w->renumber = renumber;
    w->scratch_cap = cap;
}

static void bench_write(struct bench_writer *w, const struct bytes *data)
{
    if (fwrite(data->data, 1, data->len, w->file) != data->len)
        die("cannot write %s", w->path);
    w->bytes += data->len;
}

/* Writes every packet before `until` not yet written (up to the limit),
 * then keeps only those not written and the packets their ICMP errors
 * quote, renumbered 0.. in time order with their bodies in a fresh arena. */
static void bench_flush(struct trace *t, struct bench_writer *w, nstime until)
{
    size_t n = t->n_packets;
    if (n > w->most_held)
        w->most_held = n;
    qsort(t->packets, n, sizeof *t->packets, compare_packets);
    size_t *index = realloc(t->index_of_serial, (n ? n : 1) * sizeof *index);
    if (!index)
        die("out of memory");
    t->index_of_serial = index;
    for (size_t i = 0; i < n; i++)
        index[t->packets[i].serial] = i;

    w->buffer.len = 0;
    for (size_t i = 0; i < n && w->written < w->limit; i++) {
        struct packet *p = &t->packets[i];
        if (p->written)
            continue;
        if (p->ts >= until)
            break;
        nstime ts = p->ts - p->ts % t->tick;
        if (w->interleave)
            w->interleave(w, ts, w->interleave_ctx);
        if (w->written && ts <= w->last_ts)
            ts = w->last_ts + t->tick; /* strictly increasing timestamps */
        p->ts = w->last_ts = ts;
        if (p->net == NET_IPV4)
            p->ip.v4.id = host_of(t, p->ip.v4.src)->next_ip_id++;
        w->frame.len = 0;
        render_frame(t, i, &w->frame);
        struct record_size size = record_size(&p->damage, w->frame.len);
        put_capture_record(&w->buffer, t->spec->format, ts, w->frame.data, size.captured, size.on_wire);
        p->written = true;
        w->written++;
    }
    if (w->interleave)
        w->interleave(w, until, w->interleave_ctx);
    bench_write(w, &w->buffer);

    bench_scratch(w, n);
    for (size_t i = 0; i < n; i++)
        w->keep[i] = !t->packets[i].written;
    for (size_t i = 0; i < n; i++)
        if (!t->packets[i].written && t->packets[i].quotes_offender)
            w->keep[index[t->packets[i].offender_serial]] = 1;
    struct bytes *arena = &w->spare_arena;
    arena->len = 0;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!w->keep[i])
            continue;
        struct packet p = t->packets[i];
        size_t offset = arena->len;
        put_data(arena, t->arena.data + p.body_offset, p.body_length);
        p.body_offset = offset;
        w->renumber[p.serial] = (uint32_t)kept;
        p.serial = (uint32_t)kept;
        t->packets[kept++] = p;
    }
    for (size_t i = 0; i < kept; i++)
        if (t->packets[i].quotes_offender)
            t->packets[i].offender_serial = w->renumber[t->packets[i].offender_serial];
    struct bytes swap = t->arena;
    t->arena = *arena;
    *arena = swap;
    t->n_packets = kept;
    t->n_probes = 0; /* no ground truth for this capture */
    t->actors.count = 0;
    t->also_benign.count = 0;
}

static void print_time(nstime ts)
{
    printf("%" PRIu64 ".%03" PRIu64 " s", (uint64_t)(ts / SEC(1)), (uint64_t)(ts % SEC(1) / MSEC(1)));
}

static void write_bench_capture(const char *path, uint64_t packets)
{
    static const struct capture_spec spec = {"bench.pcap", FORMAT_PCAP_USEC, &LINK_ETHERNET,
                                             BENCH_SEED, NULL};
    struct trace t = trace_new(&spec);
    struct bench_sites sites;
    struct bench_writer w = {.path = path, .limit = packets};
    const nstime nominal = packets * SEC(1) / BENCH_PACKETS_PER_SECOND;
    bool told[COUNT_OF(BENCH_EPISODES)] = {false};

    use_network(&t, BENCH_NETWORK, 16, bench_service);
    for (unsigned i = 0; i < BENCH_CLIENTS; i++) {
        uint32_t client = bench_client(i);
        set_stack(&t, client, mix64(client) % 5 < 3 ? &WINDOWS_7 : &WINDOWS_XP);
    }
    bench_sites_init(&t, &sites);
    w.file = fopen(path, "wb");
    if (!w.file)
        die("cannot create %s", path);
    put_capture_header(&w.buffer, spec.format, spec.link->linktype);
    bench_write(&w, &w.buffer);

    for (nstime from = 0; w.written < w.limit; from += BENCH_SLICE) {
        nstime until = from + BENCH_SLICE;
        for (size_t e = 0; e < COUNT_OF(BENCH_EPISODES); e++) {
            nstime start = nominal / 1000 * BENCH_EPISODES[e].start_permille;
            start -= start % t.tick;
            if (!told[e] && start < until) {
                tell_bench_episode(&t, &BENCH_EPISODES[e], start,
                                   bench_episode_length(&BENCH_EPISODES[e], nominal));
                told[e] = true;
            }
        }
        bench_background(&t, &sites, from, until - t.tick);
        bench_flush(&t, &w, until);
    }
    if (fclose(w.file) != 0)
        die("cannot write %s", path);

    printf("%s: %" PRIu64 " packets, %" PRIu64 " bytes, ", path, w.written, w.bytes);
    print_time(w.last_ts);
    printf(" of traffic (%.0f packets/s, %.0f bytes/packet); at most %zu packets held at once\n",
           (double)w.written / ((double)w.last_ts / 1e9 + 1e-9),
           (double)(w.bytes - 24 - 16 * w.written) / (double)w.written, w.most_held);
    for (size_t e = 0; e < COUNT_OF(BENCH_EPISODES); e++) {
        const struct bench_episode *ep = &BENCH_EPISODES[e];
        nstime start = nominal / 1000 * ep->start_permille;
        printf("  %-15s %-7s from ", ipv4_text(ep->actor).s, ep->scanner ? "scanner" : "benign");
        print_time(start - start % t.tick);
        printf(": %s%s\n", ep->what, start >= w.last_ts ? " (after the end: not in the file)" : "");
    }
    bytes_free(&w.buffer);
    bytes_free(&w.frame);
    bytes_free(&w.spare_arena);
    free(w.keep);
    free(w.renumber);
    trace_free(&t);
}

/* ================================================================== */
/* The spoofed flood: wwgen --spoof-flood OUTFILE [SECONDS [RATE [ANSWERED [HOSTS]]]] */
/* ================================================================== */

/*
 * An Internet-facing /24 (198.51.100.0/24 on the router's uplink, its hosts
 * as in internet_24.pcap) whose SMB server .25 takes, for SECONDS (60) from
 * 1 s on, RATE (50,000) SYNs a second to 445 from spoofed sources, as
 * hping3 --rand-source sends them: one tool, so one shape (TTL 64 less the
 * path, no DF, window 512, no options), a random source, port and sequence
 * number each, never sent twice.  The server answers every one with a
 * SYN-ACK (SYN cookies: once, no retransmission) that goes to an address
 * where nobody answers; or, overwhelmed, only ANSWERED percent of them
 * (100), dropping the rest unanswered. With HOSTS above 1 (the default) the
 * flood sprays .1 to .HOSTS of the /24 instead, each host answering as it
 * does (a SYN-ACK, a RST, or nothing where no host exists): a flood with no
 * one victim.  Sources are drawn independently, so with millions
 * of them some address is drawn twice (a collision, at the same server).
 *
 * Among them, SPOOF_MULTI_SOURCES spoofed addresses that each hit 3 or 4
 * distinct hosts of the /24 at random moments of the flood (half of each),
 * with the same tool's shape, so that an address looks like one consistent
 * sender: mostly addresses where no host exists (no answer, or the router's
 * host unreachable), closed hosts (RST), now and then an open one (a
 * SYN-ACK, retransmitted by its Linux stack, unanswered).
 *
 * And through it all a slow Conficker-like host, SPOOF_SLOW_HOST (Windows
 * XP, Conficker's targets .1-.127, a probe every 2-5 s from 3 s on).  It is
 * told first, from the story's generator, and the flood draws from its own:
 * with RATE 0 (no flood, no spoofed source) the slow host's packets are the
 * same, so a test can compare when it is flagged with and without the flood.
 *
 * The flood's frames never enter the trace: they are made one at a time, in
 * time order, and merged into each slice as bench_flush() writes it, so
 * memory holds one slice of output whatever SECONDS and RATE. OUTFILE.truth.json
 * is the trace's truth: the slow host expected, its probes, and the spoofed
 * addresses that hit several hosts among the benign.
 */

#define SPOOF_NETWORK IPV4(198, 51, 100, 0)
#define SPOOF_SERVER (SPOOF_NETWORK | 25)
#define SPOOF_ISP_ROUTER IPV4(203, 0, 113, 254)
#define SPOOF_SLOW_HOST IPV4(77, 88, 99, 66)
#define SPOOF_FLOOD_START SEC(1)
#define SPOOF_DEFAULT_SECONDS 60u
#define SPOOF_DEFAULT_RATE 50000u
#define SPOOF_MAX_RATE 1000000u
#define SPOOF_MULTI_SOURCES 400u
#define SPOOF_TAIL SEC(20) /* after the flood: the last answers and timeouts */
#define SPOOF_SEED 0x5B00F2009A0CULL
#define SPOOF_FLOOD_SEED 0xF100D2009ULL
#define SPOOF_ANSWERS 4096 /* SYN-ACKs in flight, a ring */

/* hping3 and its kin: a hand-made SYN, no options, a random port, once. */
static const struct tcp_stack SPOOF_TOOL = {
    .ttl = 64, .dont_fragment = false, .window = 512,
    .syn_options = SYN_OPTIONS_NONE, .client_ports = PORTS_RANDOM,
    .syn_retries = 0, .retry_gaps = {0, 0}};

/* The SYN-ACK of a server's Linux stack, retransmitted after 1 s and 2 s more. */
static void spoof_unanswered_syn_ack(struct trace *t, nstime at, const struct tcp_flow *f)
{
    struct tcp_options options = syn_options(SYN_OPTIONS_LINUX, at);
    nstime gaps[] = {0, SEC(1), SEC(2)};
    for (size_t i = 0; i < COUNT_OF(gaps); i++) {
        at += gaps[i];
        send_on_flow(t, at, f, FROM_SERVER, TCP_SYN | TCP_ACK, f->server_isn, f->client_isn + 1,
                     &options, NULL);
    }
}

/* One SYN from a spoofed address, and what the target does with it. */
static void spoofed_attempt(struct trace *t, nstime at, uint32_t spoofed, uint32_t target)
{
    struct tcp_attempt a = uplink_answer(t, spoofed, target, PORT_SMB);
    struct tcp_flow flow = open_flow(t, &a);
    uint32_t syn = send_syn(t, at, &flow);
    enum outcome outcome = OUTCOME_UNANSWERED;
    switch (a.answer) {
    case ANSWER_NONE: break;
    case ANSWER_RST:
        refuse_with_reset(t, at, &flow);
        outcome = OUTCOME_REJECTED;
        break;
    case ANSWER_ICMP:
        refuse_with_icmp(t, at, &flow, syn, &a);
        outcome = OUTCOME_REJECTED;
        break;
    case ANSWER_SYN_ACK:
        spoof_unanswered_syn_ack(t, at + flow.rtt, &flow);
        outcome = OUTCOME_ACCEPTED;
        break;
    }
    record_probe(t, spoofed, target, PORT_SMB, outcome, syn, at); /* a benign source's, for the truth */
}

/* A spoofed source address: public, outside the /24, not the slow host. */
static uint32_t spoofed_address(struct rng *r)
{
    for (;;) {
        uint32_t ip = (uint32_t)(rng_next(r) >> 32);
        if (is_public_unicast(ip) && (ip & 0xff) != 0xff && ip != SPOOF_SLOW_HOST)
            return ip;
    }
}

static void tell_spoofed_multi_hits(struct trace *t, nstime from, nstime until)
{
    for (unsigned i = 0; i < SPOOF_MULTI_SOURCES; i++) {
        uint32_t spoofed = spoofed_address(&t->rng);
        set_stack(t, spoofed, &SPOOF_TOOL);
        unsigned hits = 3 + i % 2;
        uint32_t targets[4];
        for (unsigned h = 0; h < hits; h++) {
            bool fresh;
            do {
                targets[h] = SPOOF_NETWORK | (uint32_t)(1 + rng_below(&t->rng, 254));
                fresh = true;
                for (unsigned k = 0; k < h; k++)
                    fresh &= targets[k] != targets[h];
            } while (!fresh);
            spoofed_attempt(t, random_moment(t, from, until), spoofed, targets[h]);
        }
    }
}

struct spoof_flood {
    struct rng rng;
    nstime next_syn, start, end;
    uint32_t rate, answered_percent; /* SYNs a second; the share the server answers */
    uint8_t ttl;                 /* every SYN's: one tool, one path */
    uint32_t hosts;              /* 1: the server only; else .1 to .HOSTS of the /24 */
    struct flood_answer {
        nstime at;
        uint32_t client, server, seq;
        uint16_t port;
        uint8_t flags;
    } answers[SPOOF_ANSWERS];
    size_t head, count;
    uint64_t syns, syn_acks;
    struct bytes frame;
    uint8_t isp_mac[6], router_mac[6];
};

/* The i-th SYN of the flood, evenly spread: RATE a second. */
static nstime flood_syn_time(const struct spoof_flood *f, uint64_t i)
{
    return f->start + i * SEC(1) / f->rate;
}

/* A flood SYN from `client` to `server`, or the server's answer (SYN-ACK or RST). */
static void flood_frame(struct bench_writer *w, const struct spoof_flood *f, nstime ts,
                        uint8_t flags, uint32_t client, uint32_t server, uint16_t port,
                        uint32_t seq, uint16_t ip_id)
{
    bool syn = flags == TCP_SYN, reset = (flags & TCP_RST) != 0;
    struct bytes *out = &w->frame;
    out->len = 0;
    put_data(out, syn ? f->router_mac : f->isp_mac, 6);
    put_data(out, syn ? f->isp_mac : f->router_mac, 6);
    put_be16(out, ETHERTYPE_IPV4);
    struct tcp_options options = syn || reset ? (struct tcp_options){.len = 0}
                                              : syn_options(SYN_OPTIONS_LINUX, ts);
    struct tcp_segment s = {
        .src_port = syn ? port : PORT_SMB, .dst_port = syn ? PORT_SMB : port,
        .seq = syn ? seq : reset ? 0 : seq * 2654435761u, .ack = syn ? 0 : seq + 1,
        .flags = flags,
        .window = syn ? SPOOF_TOOL.window : reset ? 0 : LINUX.window, .options = &options};
    uint32_t src = syn ? client : server, dst = syn ? server : client;
    struct bytes segment = {0};
    put_tcp_segment(&segment, &s);
    seal_transport(segment.data, segment.len, PROTO_TCP,
                   pseudo_header_v4(src, dst, PROTO_TCP, segment.len));
    struct ipv4_info ip = {.src = src, .dst = dst, .protocol = PROTO_TCP,
                           .ttl = syn ? f->ttl : (uint8_t)(LINUX.ttl - 1),
                           .dont_fragment = !syn, .id = ip_id};
    put_ipv4_header(out, &ip, segment.len);
    put_data(out, segment.data, segment.len);
    bytes_free(&segment);
    nstime at = ts;
    if (w->written && at <= w->last_ts)
        at = w->last_ts + USEC(1);
    w->last_ts = at;
    put_capture_record(&w->buffer, FORMAT_PCAP_USEC, at, out->data, (uint32_t)out->len,
                       (uint32_t)out->len);
    w->written++;
}

/* Writes the flood's frames before `before`: SYNs, and the targets' answers. */
static void flood_until(struct bench_writer *w, nstime before, void *ctx)
{
    struct spoof_flood *f = ctx;
    for (;;) {
        bool answer_due = f->count > 0 && f->answers[f->head].at < before &&
                          (f->next_syn >= f->end || f->answers[f->head].at <= f->next_syn ||
                           f->next_syn >= before);
        if (answer_due) {
            const struct flood_answer *a = &f->answers[f->head];
            flood_frame(w, f, a->at, a->flags, a->client, a->server, a->port, a->seq,
                        (uint16_t)rng_next(&f->rng));
            f->head = (f->head + 1) % SPOOF_ANSWERS;
            f->count--;
            f->syn_acks++;
            continue;
        }
        if (f->next_syn >= f->end || f->next_syn >= before)
            return;
        if (f->count == SPOOF_ANSWERS)
            die("--spoof-flood: too many SYN-ACKs in flight");
        uint32_t client = spoofed_address(&f->rng);
        uint16_t port = (uint16_t)(1024 + rng_below(&f->rng, 64512));
        uint32_t seq = (uint32_t)rng_next(&f->rng);
        uint32_t server = f->hosts <= 1 ? SPOOF_SERVER
                                        : SPOOF_NETWORK | (uint32_t)(1 + rng_below(&f->rng, f->hosts));
        nstime sent = f->next_syn;
        flood_frame(w, f, sent, TCP_SYN, client, server, port, seq, (uint16_t)rng_next(&f->rng));
        f->syns++;
        f->next_syn = flood_syn_time(f, f->syns);
        uint8_t answer = TCP_SYN | TCP_ACK;
        switch (internet_24_service(server, PORT_SMB)) {
        case SERVICE_OPEN: break;
        case SERVICE_CLOSED: answer = TCP_RST | TCP_ACK; break;
        default: continue; /* nobody there, or a firewall dropping it */
        }
        if (server == SPOOF_SERVER && rng_below(&f->rng, 100) >= f->answered_percent)
            continue; /* its backlog full: this SYN is dropped */
        /* The host's turnaround, in order behind the answers before it. */
        nstime at = sent + USEC(150) + rng_below(&f->rng, 550) * USEC(1);
        if (f->count > 0) {
            nstime last = f->answers[(f->head + f->count - 1) % SPOOF_ANSWERS].at;
            if (at <= last)
                at = last + USEC(1);
        }
        f->answers[(f->head + f->count++) % SPOOF_ANSWERS] =
            (struct flood_answer){at, client, server, seq, port, answer};
    }
}

/* What the trace holds: the slow host and, until flood_end (0: no flood),
   the spoofed addresses that hit several hosts. */
static void tell_spoof_story(struct trace *t, nstime flood_end)
{
    use_uplink(t, SPOOF_NETWORK, internet_24_service, SPOOF_ISP_ROUTER);
    t->sequential_expectations = true;
    set_stack(t, SPOOF_SERVER, &LINUX);
    expect_alert(t, SPOOF_SLOW_HOST, ALERT_TCP445, CONFICKER_YES);
    scan_from_outside(t, SPOOF_SLOW_HOST,
                      &(struct outside_scan){.stack = &WINDOWS_XP, .targets = TARGETS_CONFICKER,
                                             .probes = 14, .start = SEC(3), .min_gap = SEC(2),
                                             .max_gap = SEC(5), .worm = true});
    if (flood_end)
        tell_spoofed_multi_hits(t, SPOOF_FLOOD_START, flood_end);
}

/*
 * The truth of the same story, told again from the same seed into a trace of
 * its own and finished as a committed capture's is: the slice writer keeps
 * no probes. The flood's frames can push a traced frame a tick later, never
 * more: the truth's times hold to the microsecond or two.
 */
static void write_spoof_truth(const char *path, const struct capture_spec *spec,
                              nstime flood_end, uint64_t packets)
{
    struct trace t = trace_new(spec);
    tell_spoof_story(&t, flood_end);
    finalize_trace(&t); /* not verify_story(): the real file runs on past the trace's end */
    struct bytes truth = {0};
    put_truth_json(&truth, &t, packets);
    char truth_path[4096];
    if (snprintf(truth_path, sizeof truth_path, "%s.truth.json", path) >= (int)sizeof truth_path)
        die("path too long: %s", path);
    FILE *f = fopen(truth_path, "wb");
    if (!f || fwrite(truth.data, 1, truth.len, f) != truth.len || fclose(f) != 0)
        die("cannot write %s", truth_path);
    bytes_free(&truth);
    trace_free(&t);
}

static void write_spoof_flood_capture(const char *path, uint32_t seconds, uint32_t rate,
                                      uint32_t answered_percent, uint32_t hosts)
{
    static const struct capture_spec spec = {"spoof_flood.pcap", FORMAT_PCAP_USEC,
                                             &LINK_ETHERNET, SPOOF_SEED, NULL};
    struct trace t = trace_new(&spec);
    struct bench_writer w = {.path = path, .limit = UINT64_MAX};
    struct spoof_flood *flood = calloc(1, sizeof *flood);
    if (!flood)
        die("out of memory");
    const nstime flood_end = SPOOF_FLOOD_START + SEC(seconds);
    *flood = (struct spoof_flood){.rng = rng_from_seed(SPOOF_FLOOD_SEED), .rate = rate,
                                  .answered_percent = answered_percent, .hosts = hosts,
                                  .start = SPOOF_FLOOD_START, .next_syn = SPOOF_FLOOD_START,
                                  .end = rate ? flood_end : 0, .ttl = SPOOF_TOOL.ttl - 11};
    station_mac(SPOOF_ISP_ROUTER, flood->isp_mac);
    station_mac(SPOOF_NETWORK | 1, flood->router_mac);
    w.interleave = flood_until;
    w.interleave_ctx = flood;

    tell_spoof_story(&t, rate ? flood_end : 0);

    w.file = fopen(path, "wb");
    if (!w.file)
        die("cannot create %s", path);
    put_capture_header(&w.buffer, spec.format, spec.link->linktype);
    bench_write(&w, &w.buffer);
    /* The slow host's 14 probes end before 75 s: a short flood keeps them whole. */
    nstime end = (flood_end > SEC(75) ? flood_end : SEC(75)) + SPOOF_TAIL;
    for (nstime from = 0; from < end; from += BENCH_SLICE)
        bench_flush(&t, &w, from + BENCH_SLICE);
    if (fclose(w.file) != 0)
        die("cannot write %s", path);
    /* The truth: the slow host is the one scanner, its probes as told; the
       spoofed addresses that hit several hosts are among the benign (the
       flood's millions of one-SYN sources are not listed: none may alert). */
    write_spoof_truth(path, &spec, rate ? flood_end : 0, w.written);
    printf("%s: %" PRIu64 " packets, %" PRIu64 " bytes; %" PRIu64 " spoofed SYNs to %s:445 in "
           "%u s, %" PRIu64 " answered; %u spoofed sources hitting 3-4 hosts; slow host %s\n",
           path, w.written, w.bytes, flood->syns,
           hosts <= 1 ? ipv4_text(SPOOF_SERVER).s : "the /24", rate ? seconds : 0,
           flood->syn_acks, rate ? SPOOF_MULTI_SOURCES : 0, ipv4_text(SPOOF_SLOW_HOST).s);
    bytes_free(&w.buffer);
    bytes_free(&w.frame);
    bytes_free(&w.spare_arena);
    bytes_free(&flood->frame);
    free(w.keep);
    free(w.renumber);
    free(flood);
    trace_free(&t);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--bench") == 0) {
        char *end = NULL;
        unsigned long long packets = argc == 4 ? strtoull(argv[3], &end, 10) : 0;
        if (argc != 4 || !end || *end || packets == 0 || packets > BENCH_MAX_PACKETS) {
            fprintf(stderr, "usage: %s --bench OUTFILE PACKETS (1 to %llu)\n", argv[0],
                    BENCH_MAX_PACKETS);
            return EXIT_FAILURE;
        }
        write_bench_capture(argv[2], packets);
        return EXIT_SUCCESS;
    }
    if (argc >= 2 && strcmp(argv[1], "--reseed") == 0) {
        /* The same story told with another seed: another capture of its
           class, for tests that must hold for any of them (not committed). */
        char *end = NULL;
        unsigned long long n = argc == 5 ? strtoull(argv[2], &end, 10) : 0;
        if (argc != 5 || !end || *end || n == 0) {
            fprintf(stderr, "usage: %s --reseed N OUTDIR NAME (N >= 1)\n", argv[0]);
            return EXIT_FAILURE;
        }
        struct capture_spec spec = *capture_named(argv[4]);
        spec.seed ^= mix64(n);
        write_capture_and_truth(argv[3], &spec);
        return EXIT_SUCCESS;
    }
    if (argc >= 2 && strcmp(argv[1], "--spoof-flood") == 0) {
        unsigned long seconds = SPOOF_DEFAULT_SECONDS, rate = SPOOF_DEFAULT_RATE, answered = 100;
        unsigned long hosts = 1;
        char *end = NULL;
        bool ok = argc >= 3 && argc <= 7;
        if (ok && argc >= 4)
            ok = (seconds = strtoul(argv[3], &end, 10)) >= 1 && seconds <= 3600 && !*end;
        if (ok && argc >= 5)
            ok = (rate = strtoul(argv[4], &end, 10)) <= SPOOF_MAX_RATE && !*end;
        if (ok && argc >= 6)
            ok = (answered = strtoul(argv[5], &end, 10)) <= 100 && !*end;
        if (ok && argc == 7)
            ok = (hosts = strtoul(argv[6], &end, 10)) >= 1 && hosts <= 254 && !*end;
        if (!ok) {
            fprintf(stderr,
                    "usage: %s --spoof-flood OUTFILE [SECONDS (1-3600) [RATE (0-%u) "
                    "[ANSWERED (0-100 %%) [HOSTS (1-254)]]]]\n",
                    argv[0], SPOOF_MAX_RATE);
            return EXIT_FAILURE;
        }
        write_spoof_flood_capture(argv[2], (uint32_t)seconds, (uint32_t)rate, (uint32_t)answered,
                                  (uint32_t)hosts);
        return EXIT_SUCCESS;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr,
                "usage: %s OUTDIR [NAME]\n       %s --bench OUTFILE PACKETS\n"
                "       %s --reseed N OUTDIR NAME\n"
                "       %s --spoof-flood OUTFILE [SECONDS [RATE [ANSWERED [HOSTS]]]]\n",
                argv[0], argv[0], argv[0], argv[0]);
        return EXIT_FAILURE;
    }
    const char *outdir = argv[1], *only = argc == 3 ? argv[2] : NULL;
    bool matched = false;
    for (size_t i = 0; i < COUNT_OF(CAPTURES); i++)
        if (!only || strcmp(only, CAPTURES[i].name) == 0) {
            write_capture_and_truth(outdir, &CAPTURES[i]);
            matched = true;
        }
    for (size_t i = 0; i < COUNT_OF(DERIVED); i++)
        if (!only || strcmp(only, DERIVED[i].name) == 0) {
            DERIVED[i].write(outdir, DERIVED[i].name);
            matched = true;
        }
    if (!matched)
        die("no capture named %s", only);
    return EXIT_SUCCESS;
}
