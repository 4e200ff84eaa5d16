/*
 * Contacts: one source's recent SMB hosts, a ring searched linearly.
 *
 * 32 entries of 12 bytes are three cache lines; a source probing 445 touches
 * its ring once per attempt and once per outcome, which costs less than the
 * hash lookups that brought the event here. A ring (oldest out) rather than
 * a set with recency: a scanner's targets come and go, a client's few
 * servers come back, and the ring keeps the latter as long as fewer than 32
 * other hosts came in between. A repeat does not move a host forward: a
 * monitor polling 20 servers keeps all 20 however often it polls.
 */
#include "wormwatch/contacts.h"

#include <stddef.h>

#include "wormwatch/decode.h"
#include "wormwatch/probe.h"

#define NS_PER_MS 1000000ULL

enum ww_contact_port ww_contact_port_of(uint8_t proto, uint16_t port)
{
    if (proto == WW_PROTO_ARP)
        return WW_CONTACT_ARP;
    if (proto == WW_IPPROTO_TCP && port == 445)
        return WW_CONTACT_SMB;
    if (proto == WW_IPPROTO_TCP && port == 139)
        return WW_CONTACT_NBSS;
    return WW_CONTACT_OTHER;
}

static struct ww_contact_host *find(struct ww_contacts *c, uint32_t addr)
{
    for (unsigned i = 0; i < c->count; i++)
        if (c->host[i].addr == addr)
            return &c->host[i];
    return NULL;
}

int ww_contacts_first_port(const struct ww_contacts *c, uint32_t addr)
{
    for (unsigned i = 0; i < c->count; i++)
        if (c->host[i].addr == addr)
            return c->host[i].first;
    return -1;
}

static uint8_t bit(enum ww_contact_port port)
{
    return (uint8_t)(1u << port);
}

enum ww_contact_kind ww_contacts_attempt(struct ww_contacts *c, uint32_t addr,
                                         enum ww_contact_port port, uint64_t ts_ns)
{
    struct ww_contact_host *h = find(c, addr);
    if (!h) {
        h = &c->host[c->next];
        c->next = (uint8_t)((c->next + 1) % WW_CONTACT_HOSTS);
        if (c->count < WW_CONTACT_HOSTS)
            c->count++;
        *h = (struct ww_contact_host){.addr = addr, .tried = bit(port), .first = (uint8_t)port};
        return WW_CONTACT_NEW;
    }
    if (h->tried & bit(port))
        return WW_CONTACT_REPEAT;
    h->tried |= bit(port);
    /* An ARP request says nothing of the host's ports; so is a port after it. */
    if (port == WW_CONTACT_ARP || h->first == WW_CONTACT_ARP)
        return WW_CONTACT_REPEAT;
    uint8_t first = bit((enum ww_contact_port)h->first);
    if (h->accepted) {
        uint32_t since = (uint32_t)(ts_ns / NS_PER_MS) - h->accepted_ms; /* modulo 2^32 */
        return since <= WW_CONTACT_PORT_CHECK_MS ? WW_CONTACT_PORT_CHECK : WW_CONTACT_AGAIN;
    }
    if (h->failed & (uint8_t)(first << 4))
        return WW_CONTACT_SILENT_FALLBACK;
    if (h->failed & first)
        return WW_CONTACT_FALLBACK;
    return WW_CONTACT_PAIRED;
}

void ww_contacts_result(struct ww_contacts *c, uint32_t addr, enum ww_contact_port port,
                        enum ww_contact_fate fate, uint64_t ts_ns)
{
    struct ww_contact_host *h = find(c, addr);
    if (!h || !(h->tried & bit(port)))
        return;
    if (fate != WW_FATE_ACCEPTED) {
        h->failed |= bit(port);
        if (fate == WW_FATE_SILENT)
            h->failed |= (uint8_t)(bit(port) << 4);
    } else {
        if (!h->accepted)
            h->accepted_ms = (uint32_t)(ts_ns / NS_PER_MS);
        h->accepted |= bit(port);
    }
}
