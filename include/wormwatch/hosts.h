/*
 * Hosts: which addresses of the home networks are live, learned passively.
 *
 * An address is live once it has been seen sending anything (an IPv4 source,
 * an ARP sender). The probe stage asks when an ARP request goes unanswered:
 * a request for an address never seen live is a contact with dark space.
 * The table holds a fixed number of addresses, evicting the one learned or
 * refreshed longest ago (an address in the small cache of recent ones is not
 * refreshed, so a busy one may go, and comes back with its next packet);
 * only addresses inside the home networks are learned, so an Internet link
 * cannot fill it.
 */
#ifndef WW_HOSTS_H
#define WW_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wormwatch/hash.h"
#include "wormwatch/rules.h"

struct ww_hosts_stats {
    uint32_t live;       /* addresses held */
    uint32_t capacity;
    uint64_t learned;    /* addresses added */
    uint64_t evictions;  /* pushed out by newer ones while full */
};

struct ww_hosts;

/* NULL if memory is short. `scope` (copied) limits what is learned; `key`
   (copied) keys the table's hash. */
struct ww_hosts *ww_hosts_new(uint32_t capacity, const struct ww_prefix_list *scope,
                              const struct ww_hash_key *key);
void ww_hosts_free(struct ww_hosts *hosts);
size_t ww_hosts_bytes_per_host(void);

/* `addr` was seen sending. */
void ww_hosts_saw(struct ww_hosts *hosts, uint32_t addr);
bool ww_hosts_is_live(const struct ww_hosts *hosts, uint32_t addr);
/* Whether the address is one the table learns (inside the home networks). */
bool ww_hosts_in_scope(const struct ww_hosts *hosts, uint32_t addr);

const struct ww_hosts_stats *ww_hosts_stats(const struct ww_hosts *hosts);

#endif
