/*
 * Identity: which machine an IPv4 address is, learnt passively, so that an
 * alert about 10.0.0.7 can say "DESKTOP-V1FA0UQ, 00:0c:29:61:f5:5f".
 *
 * Three witnesses, each remembered with the packet time it was last seen:
 * the Ethernet address frames from the address came from, the NetBIOS name
 * the machine registered or answered for (nbname.h), and the host name it
 * gave the DHCP server (dhcp.h). A bounded per-address table (table.h) with
 * its own idle timeout: when full the address quiet for longest goes.
 *
 * Addresses change hands (DHCP leases end, laptops leave), and a name must
 * never outlive the machine it belonged to, so the rules are:
 *
 *  1. The MAC is the machine. A MAC seen for an address that had another
 *     one (ww_identity_saw_mac, or a DHCP ACK's chaddr) means the address
 *     has a new holder: the old NetBIOS name and DHCP host name are
 *     forgotten and the new MAC kept (counted as hand_overs). The same MAC
 *     again keeps everything.
 *  2. A DHCP ACK binds yiaddr (ciaddr for the ACK of an INFORM) to chaddr
 *     (rule 1 applies), and sets the DHCP host name to the one the
 *     client's REQUEST gave in the same transaction (xid and chaddr), or
 *     else to the ACK's own option 12; without either, a name the same MAC
 *     gave before is kept. REQUESTs wait for their ACK in a small bounded
 *     table of pending transactions, for at most WW_IDENTITY_PENDING_NS.
 *  3. A DHCP RELEASE of ciaddr by its MAC (or by any MAC if none is known)
 *     forgets the address altogether: it no longer belongs to anyone.
 *  4. A NetBIOS name is recorded only for a machine name (unique, suffix
 *     0x00 or 0x20: ww_nbns_names_machine()); the caller passes the address
 *     the record names. It belongs to whichever machine holds the address
 *     now: a later hand-over forgets it.
 *
 * The caller decides when a frame's Ethernet source is the machine's own:
 * frames routed in from elsewhere carry the router's MAC, which would make
 * every remote address "the router". Call ww_identity_saw_mac only for
 * sources on the sensor's own segment (and not for 0.0.0.0). An all-zero
 * or group (multicast) MAC is never a machine's: refused and counted.
 */
#ifndef WW_IDENTITY_H
#define WW_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "wormwatch/dhcp.h"
#include "wormwatch/hash.h"
#include "wormwatch/nbname.h"
#include "wormwatch/table.h"

#define WW_IDENTITY_NETBIOS_MAX WW_NBNAME_LEN   /* chars of a NetBIOS name */
#define WW_IDENTITY_HOSTNAME_MAX WW_DHCP_HOSTNAME_MAX
#define WW_IDENTITY_PENDING_NS (60ULL * 1000000000ULL) /* a REQUEST waits this long for its ACK */

/* Bits of ww_identity.known. */
#define WW_IDENTITY_MAC 0x1u
#define WW_IDENTITY_NETBIOS 0x2u
#define WW_IDENTITY_DHCP 0x4u

/* What one address is known to be. A field is valid only if its bit is in `known`. */
struct ww_identity {
    uint8_t known;  /* WW_IDENTITY_* bits */
    uint8_t mac[6]; /* Ethernet address of the machine holding the address */
    char netbios_name[WW_IDENTITY_NETBIOS_MAX + 1];  /* trimmed, no suffix */
    char dhcp_hostname[WW_IDENTITY_HOSTNAME_MAX + 1]; /* option 12 as given */
    uint64_t mac_seen_ns;     /* packet time the MAC was last seen */
    uint64_t netbios_seen_ns; /* ... the NetBIOS name */
    uint64_t dhcp_seen_ns;    /* ... the DHCP host name */
};

struct ww_identity_stats {
    uint64_t macs;            /* MACs recorded (saw_mac and ACKs) */
    uint64_t macs_rejected;   /* all-zero or group MACs refused (frames and ACKs) */
    uint64_t hand_overs;      /* a new MAC for an address: old names forgotten */
    uint64_t acks;            /* DHCP ACKs that bound an address */
    uint64_t releases;        /* DHCP RELEASEs that forgot an address */
    uint64_t releases_ignored; /* RELEASEs by a MAC that did not hold the address */
    uint64_t requests_pending; /* REQUESTs with a host name remembered for their ACK */
    uint64_t pending_replaced; /* ... pushed out of their slot before their ACK came */
    uint64_t hostnames_from_request; /* ACKs named by their REQUEST's option 12 */
    uint64_t hostnames_from_ack;     /* ACKs named by their own option 12 */
    uint64_t netbios_names;   /* NetBIOS machine names recorded */
    uint64_t netbios_ignored; /* NetBIOS messages that name no machine */
    uint32_t pending_slots;   /* capacity of the pending REQUEST table */
    uint64_t pending_bytes;   /* its memory */
};

struct ww_identities;

/*
 * As many addresses as fit in `memory` bytes (the pending REQUEST table
 * takes a sixteenth of it, at most 4096 slots); NULL if not one fits.
 */
struct ww_identities *ww_identities_new(uint64_t memory, uint64_t idle_timeout_ns,
                                        const struct ww_hash_key *key);
void ww_identities_free(struct ww_identities *t);

/* Frames from `addr` came from Ethernet address `mac` at ts_ns (rule 1). */
void ww_identity_saw_mac(struct ww_identities *t, uint32_t addr, const uint8_t mac[6],
                         uint64_t ts_ns);
/* A parsed DHCP message seen at ts_ns (rules 1-3); others are ignored. */
void ww_identity_dhcp(struct ww_identities *t, const struct ww_dhcp_message *msg, uint64_t ts_ns);
/*
 * A parsed NBNS message seen at ts_ns: its name is recorded for
 * msg->address if ww_nbns_names_machine(msg) (rule 4). True if recorded.
 */
bool ww_identity_netbios(struct ww_identities *t, const struct ww_nbns_message *msg,
                         uint64_t ts_ns);

/* What `addr` is known to be, or NULL. Does not refresh it. */
const struct ww_identity *ww_identity_get(struct ww_identities *t, uint32_t addr);
void ww_identities_expire(struct ww_identities *t, uint64_t now_ns);
const struct ww_identity_stats *ww_identities_stats(const struct ww_identities *t);
const struct ww_table_stats *ww_identities_table_stats(const struct ww_identities *t);

/*
 * The EVE `identity` object, as member `key` of the writer's open object:
 * "mac" ("00:0c:29:61:f5:5f"), "netbios_name", "dhcp_hostname", each with
 * "<field>_seen" (the timestamp format of format.h); fields never seen are
 * left out, and so is the object when nothing is known (or id is NULL).
 */
struct ww_jsonw;
void ww_identity_write(struct ww_jsonw *w, const char *key, const struct ww_identity *id);

#endif
