/*
 * The per-address identity table: a thin layer over table.h, plus a small
 * direct-mapped table of DHCP REQUESTs waiting for their ACK. See
 * identity.h for the rules of a change of hands.
 *
 * The pending table is a cache, not a queue: a REQUEST takes the slot its
 * (xid, chaddr) hashes to, pushing out whatever was there (counted). A
 * REQUEST is answered within a second or two, so a few thousand slots
 * serve a busy segment, and a flood of forged REQUESTs can only cost a
 * host name for the duration of the flood, never memory.
 */
#include "wormwatch/identity.h"

#include <stdlib.h>
#include <string.h>

#include "wormwatch/format.h"
#include "wormwatch/jsonw.h"

#define PENDING_MAX_SLOTS 4096u

struct pending_request {
    bool used;
    uint8_t mac[6];    /* chaddr of the REQUEST */
    uint32_t xid;      /* its transaction ID */
    uint64_t ts_ns;    /* packet time of the REQUEST */
    char hostname[WW_IDENTITY_HOSTNAME_MAX + 1]; /* its option 12 */
};

struct ww_identities {
    struct ww_table *table;
    struct ww_hash_key key;
    struct pending_request *pending;
    uint32_t pending_slots;
    struct ww_identity_stats stats;
};

struct ww_identities *ww_identities_new(uint64_t memory, uint64_t idle_timeout_ns,
                                        const struct ww_hash_key *key)
{
    uint64_t slots = memory / 16 / sizeof(struct pending_request);
    if (slots > PENDING_MAX_SLOTS)
        slots = PENDING_MAX_SLOTS;
    if (slots == 0)
        slots = 1;
    uint64_t pending_bytes = slots * sizeof(struct pending_request);
    if (pending_bytes >= memory)
        return NULL;
    struct ww_identities *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->key = *key;
    t->pending = calloc((size_t)slots, sizeof *t->pending);
    t->table = ww_table_new(sizeof(struct ww_identity), memory - pending_bytes, idle_timeout_ns);
    if (!t->pending || !t->table) {
        ww_identities_free(t);
        return NULL;
    }
    t->pending_slots = (uint32_t)slots;
    t->stats.pending_slots = (uint32_t)slots;
    t->stats.pending_bytes = pending_bytes;
    return t;
}

void ww_identities_free(struct ww_identities *t)
{
    if (!t)
        return;
    ww_table_free(t->table);
    free(t->pending);
    free(t);
}

static uint32_t addr_hash(const struct ww_identities *t, uint32_t addr)
{
    return (uint32_t)ww_hash_u32(&t->key, addr);
}

static struct pending_request *pending_slot(struct ww_identities *t, uint32_t xid,
                                            const uint8_t mac[6])
{
    uint32_t mac_hi = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
    uint32_t mac_lo = (uint32_t)mac[4] << 8 | mac[5];
    uint64_t h = ww_hash_u32x4(&t->key, xid, mac_hi, mac_lo, WW_DHCP_SERVER_PORT);
    return &t->pending[h % t->pending_slots];
}

static void forget_names(struct ww_identity *id)
{
    id->known &= (uint8_t)~(WW_IDENTITY_NETBIOS | WW_IDENTITY_DHCP);
    memset(id->netbios_name, 0, sizeof id->netbios_name);
    memset(id->dhcp_hostname, 0, sizeof id->dhcp_hostname);
    id->netbios_seen_ns = 0;
    id->dhcp_seen_ns = 0;
}

/* Packet times may run backwards a little (several links): never step back. */
static void seen_at(uint64_t *seen_ns, uint64_t ts_ns)
{
    if (ts_ns > *seen_ns)
        *seen_ns = ts_ns;
}

/* Rule 1: `mac` holds `addr` now. */
static struct ww_identity *bind_mac(struct ww_identities *t, uint32_t addr, const uint8_t mac[6],
                                    uint64_t ts_ns)
{
    bool created;
    struct ww_identity *id = ww_table_upsert(t->table, addr, addr_hash(t, addr), ts_ns, &created);
    if ((id->known & WW_IDENTITY_MAC) && memcmp(id->mac, mac, 6) != 0) {
        forget_names(id);
        id->mac_seen_ns = 0;
        t->stats.hand_overs++;
    }
    if (!(id->known & WW_IDENTITY_MAC) || memcmp(id->mac, mac, 6) != 0)
        t->stats.macs++;
    memcpy(id->mac, mac, 6);
    id->known |= WW_IDENTITY_MAC;
    seen_at(&id->mac_seen_ns, ts_ns);
    return id;
}

/* No machine has an all-zero or a group (multicast, broadcast) address of its own. */
static bool unicast_mac(const uint8_t mac[6])
{
    return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
}

void ww_identity_saw_mac(struct ww_identities *t, uint32_t addr, const uint8_t mac[6],
                         uint64_t ts_ns)
{
    if (addr == 0 || addr == UINT32_MAX)
        return;
    if (!unicast_mac(mac)) {
        t->stats.macs_rejected++;
        return;
    }
    bind_mac(t, addr, mac, ts_ns);
}

static void remember_request(struct ww_identities *t, const struct ww_dhcp_message *msg,
                             uint64_t ts_ns)
{
    struct pending_request *slot = pending_slot(t, msg->xid, msg->mac);
    bool same = slot->used && slot->xid == msg->xid && memcmp(slot->mac, msg->mac, 6) == 0;
    if (slot->used && !same && ts_ns >= slot->ts_ns && ts_ns - slot->ts_ns <= WW_IDENTITY_PENDING_NS)
        t->stats.pending_replaced++;
    slot->used = true;
    slot->xid = msg->xid;
    memcpy(slot->mac, msg->mac, 6);
    slot->ts_ns = ts_ns;
    memcpy(slot->hostname, msg->hostname, msg->hostname_len);
    slot->hostname[msg->hostname_len] = '\0';
    t->stats.requests_pending++;
}

/* The host name the REQUEST of this ACK's transaction gave, or NULL; the slot is freed. */
static const char *take_request_hostname(struct ww_identities *t,
                                         const struct ww_dhcp_message *ack, uint64_t ts_ns,
                                         char out[WW_IDENTITY_HOSTNAME_MAX + 1])
{
    struct pending_request *slot = pending_slot(t, ack->xid, ack->mac);
    if (!slot->used || slot->xid != ack->xid || memcmp(slot->mac, ack->mac, 6) != 0)
        return NULL;
    slot->used = false;
    if (ts_ns < slot->ts_ns || ts_ns - slot->ts_ns > WW_IDENTITY_PENDING_NS)
        return NULL;
    memcpy(out, slot->hostname, sizeof slot->hostname);
    return out;
}

static void on_ack(struct ww_identities *t, const struct ww_dhcp_message *msg, uint64_t ts_ns)
{
    uint32_t addr = msg->yiaddr ? msg->yiaddr : msg->ciaddr; /* ciaddr: the ACK of an INFORM */
    if (addr == 0 || addr == UINT32_MAX)
        return;
    if (!unicast_mac(msg->mac)) {
        t->stats.macs_rejected++;
        return;
    }
    char buffer[WW_IDENTITY_HOSTNAME_MAX + 1];
    const char *hostname = take_request_hostname(t, msg, ts_ns, buffer);
    if (hostname)
        t->stats.hostnames_from_request++;
    else if (msg->hostname_len > 0) {
        hostname = msg->hostname;
        t->stats.hostnames_from_ack++;
    }
    struct ww_identity *id = bind_mac(t, addr, msg->mac, ts_ns);
    t->stats.acks++;
    if (!hostname)
        return;
    if (strcmp(id->dhcp_hostname, hostname) != 0) {
        memset(id->dhcp_hostname, 0, sizeof id->dhcp_hostname);
        memcpy(id->dhcp_hostname, hostname, strlen(hostname));
        id->dhcp_seen_ns = 0;
    }
    id->known |= WW_IDENTITY_DHCP;
    seen_at(&id->dhcp_seen_ns, ts_ns);
}

static void on_release(struct ww_identities *t, const struct ww_dhcp_message *msg)
{
    uint32_t addr = msg->ciaddr;
    if (addr == 0)
        return;
    uint32_t hash = addr_hash(t, addr);
    const struct ww_identity *id = ww_table_find(t->table, addr, hash);
    if (!id)
        return;
    if ((id->known & WW_IDENTITY_MAC) && memcmp(id->mac, msg->mac, 6) != 0) {
        t->stats.releases_ignored++;
        return;
    }
    ww_table_remove(t->table, addr, hash);
    t->stats.releases++;
}

void ww_identity_dhcp(struct ww_identities *t, const struct ww_dhcp_message *msg, uint64_t ts_ns)
{
    if (!msg->has_mac)
        return; /* not Ethernet: nothing to bind */
    if (msg->op == 1 && msg->type == WW_DHCP_REQUEST && msg->hostname_len > 0)
        remember_request(t, msg, ts_ns);
    else if (msg->op == 2 && msg->type == WW_DHCP_ACK)
        on_ack(t, msg, ts_ns);
    else if (msg->op == 1 && msg->type == WW_DHCP_RELEASE)
        on_release(t, msg);
}

bool ww_identity_netbios(struct ww_identities *t, const struct ww_nbns_message *msg,
                         uint64_t ts_ns)
{
    uint32_t addr = msg->address;
    if (!ww_nbns_names_machine(msg) || addr == 0 || addr == UINT32_MAX) {
        t->stats.netbios_ignored++;
        return false;
    }
    bool created;
    struct ww_identity *id = ww_table_upsert(t->table, addr, addr_hash(t, addr), ts_ns, &created);
    if (!(id->known & WW_IDENTITY_NETBIOS) || strcmp(id->netbios_name, msg->name.name) != 0) {
        memset(id->netbios_name, 0, sizeof id->netbios_name);
        memcpy(id->netbios_name, msg->name.name, msg->name.len);
        id->netbios_seen_ns = 0;
    }
    id->known |= WW_IDENTITY_NETBIOS;
    seen_at(&id->netbios_seen_ns, ts_ns);
    t->stats.netbios_names++;
    return true;
}

const struct ww_identity *ww_identity_get(struct ww_identities *t, uint32_t addr)
{
    return ww_table_find(t->table, addr, addr_hash(t, addr));
}

void ww_identities_expire(struct ww_identities *t, uint64_t now_ns)
{
    ww_table_expire(t->table, now_ns);
}

const struct ww_identity_stats *ww_identities_stats(const struct ww_identities *t)
{
    return &t->stats;
}

const struct ww_table_stats *ww_identities_table_stats(const struct ww_identities *t)
{
    return ww_table_stats(t->table);
}

/* A name and when it was last seen, under `key` and `seen_key`. */
static void write_field(struct ww_jsonw *w, const char *key, const char *seen_key,
                        const char *value, uint64_t seen_ns)
{
    char when[WW_TIMESTAMP_LEN];
    ww_format_timestamp(seen_ns, when);
    if (ww_jsonw_string(w, key, value)) /* a name that is not UTF-8 goes with its time */
        ww_jsonw_string(w, seen_key, when);
}

void ww_identity_write(struct ww_jsonw *w, const char *key, const struct ww_identity *id)
{
    if (!id || !(id->known & (WW_IDENTITY_MAC | WW_IDENTITY_NETBIOS | WW_IDENTITY_DHCP)))
        return;
    ww_jsonw_object(w, key);
    if (id->known & WW_IDENTITY_MAC) {
        static const char hex[] = "0123456789abcdef";
        char mac[18];
        for (int i = 0; i < 6; i++) {
            mac[3 * i] = hex[id->mac[i] >> 4];
            mac[3 * i + 1] = hex[id->mac[i] & 15];
            mac[3 * i + 2] = i < 5 ? ':' : '\0';
        }
        write_field(w, "mac", "mac_seen", mac, id->mac_seen_ns);
    }
    if (id->known & WW_IDENTITY_NETBIOS)
        write_field(w, "netbios_name", "netbios_name_seen", id->netbios_name, id->netbios_seen_ns);
    if (id->known & WW_IDENTITY_DHCP)
        write_field(w, "dhcp_hostname", "dhcp_hostname_seen", id->dhcp_hostname,
                    id->dhcp_seen_ns);
    ww_jsonw_close(w);
}
